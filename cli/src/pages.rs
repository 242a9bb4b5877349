//! Shell completions and man pages, made from the same clap definitions the binaries
//! parse, so that neither can drift from the flags a binary really takes.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory};
use clap_complete::Shell;

/// `completions SHELL`: the completion script of a shell for the binary.
#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell. For example
    /// `facesim completions bash > /etc/bash_completion.d/facesim`, or
    /// `facesim completions zsh > "${fpath[1]}/_facesim"`, or
    /// `facesim completions fish > ~/.config/fish/completions/facesim.fish`.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// `man [--out DIR]`: the binary's man pages in roff.
#[derive(Debug, Clone, Args)]
pub struct ManArgs {
    /// Write one page per command into DIR (`NAME.1`, `NAME-SUBCOMMAND.1`, …), creating
    /// it, instead of printing the main page on standard output (`… man | man -l -`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Writes the completion script of `args.shell` for the command line `C`.
pub fn write_completions<C: CommandFactory>(args: &CompletionsArgs, out: &mut dyn Write) {
    let mut command = C::command();
    let name = command.get_name().to_owned();
    clap_complete::generate(args.shell, &mut command, name, out);
}

/// Writes the man pages of the command line `C`: every page into `args.out`, or the main
/// page to `out`. Answers the files written.
///
/// # Errors
/// The directory cannot be made or a page cannot be written.
pub fn write_man_pages<C: CommandFactory>(
    args: &ManArgs,
    out: &mut dyn Write,
) -> io::Result<Vec<PathBuf>> {
    match &args.out {
        None => {
            clap_mangen::Man::new(C::command()).render(out)?;
            Ok(Vec::new())
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            // `generate_to` builds the command itself with the help subcommand disabled;
            // building it here first would add a page per `help` pseudo-command.
            clap_mangen::generate_to(C::command(), dir)?;
            pages_in(dir)
        }
    }
}

fn pages_in(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "1"))
        .collect();
    pages.sort();
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use clap::{Parser, Subcommand};

    use super::*;

    /// A small command line shaped like the binaries'.
    #[derive(Debug, Parser)]
    #[command(name = "demo-bin", version, about = "A demo binary.")]
    struct Demo {
        #[command(subcommand)]
        command: DemoCommand,
    }

    #[derive(Debug, Subcommand)]
    enum DemoCommand {
        /// Runs it.
        Run {
            /// How fast.
            #[arg(long)]
            rate: Option<u32>,
        },
        /// Prints completions.
        Completions(CompletionsArgs),
    }

    #[test]
    fn completions_name_every_subcommand_and_flag() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let mut script = Vec::new();
            write_completions::<Demo>(&CompletionsArgs { shell }, &mut script);
            let script = String::from_utf8(script).unwrap();
            assert!(script.contains("demo-bin"), "{shell}: {script}");
            assert!(script.contains("completions"), "{shell}");
            assert!(script.contains("rate"), "{shell}");
        }
    }

    #[test]
    fn man_pages_go_to_a_directory_one_per_command() {
        let dir = std::env::temp_dir().join(format!("facesim-cli-man-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let pages = write_man_pages::<Demo>(
            &ManArgs {
                out: Some(dir.clone()),
            },
            &mut io::sink(),
        )
        .unwrap();
        let names: Vec<String> = pages
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            ["demo-bin-completions.1", "demo-bin-run.1", "demo-bin.1"]
        );
        let main = std::fs::read_to_string(dir.join("demo-bin.1")).unwrap();
        assert!(main.contains(".TH demo-bin"), "{main}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_main_page_prints_without_a_directory() {
        let mut page = Vec::new();
        let written = write_man_pages::<Demo>(&ManArgs { out: None }, &mut page).unwrap();
        assert!(written.is_empty());
        let page = String::from_utf8(page).unwrap();
        assert!(page.contains(".TH demo-bin"), "{page}");
        assert!(page.contains("A demo binary."));
    }
}
