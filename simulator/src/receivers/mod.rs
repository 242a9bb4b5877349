//! The servers a terminal talks to: the reference receiver and auth server, and the zoo
//! of faulty ones, whose faults are deviations between the reference pipeline's steps.

pub mod receiver;
pub mod zoo;
