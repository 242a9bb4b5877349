//! What only the `facesim` binary holds: the clap arguments (`cli`, `load_cli`), validated
//! into the library's configurations, and each subcommand (`cmd`) as a function that takes
//! its arguments and a shutdown future, runs the library's engines and prints its console
//! report. The library never sees a clap type.

pub mod cli;
pub mod cmd;
pub mod load_cli;
