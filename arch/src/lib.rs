//! The structural invariants of ARCHITECTURE.md, read off the sources of every crate of the
//! workspace by a small analyser: it loads each target's module tree from its root file
//! (skipping only the items under `#[cfg(test)]` of the libraries and binaries), resolves
//! the paths the code names, builds the file-level "uses" graph and runs seven checks on it.
//! `tests/it.rs` runs them on this workspace; `cargo run -p facesim-arch` lists what they
//! find.

mod checks;
mod collect;
mod graph;
mod load;
mod model;
mod resolve;
mod sources;
mod violation;
mod workspace;

pub use checks::clap::only_the_binaries_see_clap;
pub use checks::cycles::no_cycles;
pub use checks::http::{FRAMERS, only_net_frames_http};
pub use checks::layers::{LAYERS, Layer, Scope, layers};
pub use checks::paths::one_public_path;
pub use checks::public::public_only_when_used_outside;
pub use checks::pure::{CORE, the_core_is_pure};
pub use graph::{Edge, uses};
pub use model::{Def, Import, Literal, ModId, Module, Name, Tree, TreeId, Vis, Word, Workspace};
pub use sources::Sources;
pub use violation::Violation;
pub use workspace::{Error, Kind, Package, Target};

/// A check: the violations it finds in a workspace.
pub type Check = fn(&Workspace) -> Vec<Violation>;

/// Every check, by name, in the order of ARCHITECTURE.md.
pub const CHECKS: &[(&str, Check)] = &[
    ("cycles", no_cycles),
    ("layers", layers),
    ("http", only_net_frames_http),
    ("clap", only_the_binaries_see_clap),
    ("public", public_only_when_used_outside),
    ("paths", one_public_path),
    ("pure", the_core_is_pure),
];
