//! Integration tests for facecert: the suite against the reference receiver (a clean pass
//! over http and https), against every faulty receiver of the zoo (each found out by
//! exactly the checks aimed at it), receivers as the usual frameworks make them (small
//! listen backlogs, slow handlers, a refused baseline, a receiver slow only when requests
//! crowd it), the `facecert` binary's exit codes and report files, the version checks no
//! zoo fault is aimed at, and the generated conformance matrix in the docs.

mod auth;
mod binary;
mod crowd;
mod docs;
mod pinning;
mod reference;
mod schema;
mod support;
mod trust;
mod versions;
mod zoo;
