//! facesim-proto: the protocol core every part of facesim is built on, with no I/O and no
//! clock: the wire types (`wire`), the API versions as data (`profile`), the HTTP/1.1
//! framer (`http1`), the one latency histogram (`histogram`), the seeds (`seed`) and the
//! JSON Schemas of each version's push and callback (`schema`), and the device web API's
//! route table (`routes`) with the OpenAPI document written from it (`openapi`).
//!
//! It is a crate of its own so that the compiler keeps the core below everything: nothing
//! here can name the terminal, the receivers, the load engine or a socket, because this
//! crate depends on none of them (quinn-proto's way: the protocol without the I/O).

pub mod histogram;
pub mod http1;
pub mod openapi;
pub mod profile;
pub mod routes;
pub mod schema;
pub mod seed;
pub mod wire;
