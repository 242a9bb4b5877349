//! The seven checks, one file each; each is a function from a loaded workspace to the
//! violations it finds, with a unit test that plants a violation and sees it reported.

pub(crate) mod clap;
pub(crate) mod cycles;
pub(crate) mod http;
pub(crate) mod layers;
pub(crate) mod paths;
pub(crate) mod public;
pub(crate) mod pure;
