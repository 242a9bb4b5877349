//! What only the `facecert` binary holds: the clap arguments, validated into the library's
//! [`facecert::run::Config`]. The library never sees a clap type.

pub mod cli;
