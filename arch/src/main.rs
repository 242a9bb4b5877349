//! Lists the violations of the architecture invariants on this workspace, one per line, and
//! fails when there are any. `--uses TEXT` lists instead the file-level uses whose either
//! end contains TEXT, with the line and path that show each: what a circle is made of.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use facesim_arch::{CHECKS, Sources, Workspace, uses};

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let started = Instant::now();
    let ws = match Workspace::load(&Sources::Disk(root)) {
        Ok(ws) => ws,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, text] = args.as_slice()
        && flag == "--uses"
    {
        for edge in uses(&ws) {
            let (from, to) = (edge.from.display(), edge.to.display());
            if from.to_string().contains(text) || to.to_string().contains(text) {
                println!("{from}:{} -> {to} (`{}`)", edge.line, edge.name);
            }
        }
        return ExitCode::SUCCESS;
    }
    let mut count = 0;
    for (name, check) in CHECKS {
        let found = check(&ws);
        println!("{name}: {} violation(s)", found.len());
        for violation in &found {
            println!("  {violation}");
        }
        count += found.len();
    }
    eprintln!("{count} violation(s) in {:.0?}", started.elapsed());
    if count == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
