//! Every type that crosses the network: recognition events, the receiver's answer, the
//! device API's bodies, and the outcome classes and statistics reports that `/sim/stats`
//! and the load results carry. This is the only module that spells a protocol field name;
//! it does no I/O and depends on no other module of the crate. Decoding is strict and
//! precise: a bad body yields an error naming the field.
//!
//! This file only declares the parts and gives each item its one public path
//! (`wire::Record`, not `wire::record::Record`); every part is private, and what the parts
//! share lives in a part of its own, so that no part depends on this file.

mod ai;
mod answer;
mod auth;
mod building;
mod codes;
mod door;
mod envelope;
pub mod field;
mod fleet;
mod functions;
mod head;
mod history;
pub(crate) mod layouts;
mod library;
mod login;
mod maintenance;
mod outcome;
mod overrides;
mod record;
pub mod settings;
mod sim;
mod subscription;

pub use ai::*;
pub use answer::*;
pub use auth::*;
pub use building::*;
pub use codes::*;
pub use door::*;
pub use envelope::*;
pub use fleet::*;
pub use functions::*;
pub use head::*;
pub use history::*;
pub use library::*;
pub use login::*;
pub use maintenance::*;
pub use outcome::*;
pub use overrides::*;
pub use record::*;
pub use sim::*;
pub use subscription::*;

#[cfg(test)]
mod tests;
