//! The file-level "uses" graph of one tree: an edge A→B when A's code names an item defined
//! in file B (a `use` counts; a file that re-exports an item uses it; a glob re-export uses
//! what the module it re-exports offers), and its circles.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::model::{ModId, TreeId, Vis, Workspace};
use crate::resolve::{Resolver, Target};

/// One use of a file by another, with the first place that shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// The using file.
    pub from: PathBuf,
    /// The file that defines what is used.
    pub to: PathBuf,
    /// The line in `from` of the first such use.
    pub line: usize,
    /// The path as written there.
    pub name: String,
}

/// The edges of every library and binary of the workspace.
pub fn uses(ws: &Workspace) -> Vec<Edge> {
    ws.product_trees()
        .flat_map(|tree| edges(ws, tree))
        .collect()
}

/// The edges of tree `tree`, one per pair of files, sorted.
pub fn edges(ws: &Workspace, tree: TreeId) -> Vec<Edge> {
    let resolver = Resolver::new(ws);
    let modules = &ws.trees[tree].modules;
    let mut found: BTreeMap<(PathBuf, PathBuf), (usize, String)> = BTreeMap::new();
    let mut add = |from: ModId, to: ModId, line: usize, name: String| {
        let (from, to) = (&modules[from].file, &modules[to].file);
        if from != to {
            let entry = found
                .entry((from.clone(), to.clone()))
                .or_insert((line, name.clone()));
            if line < entry.0 {
                *entry = (line, name);
            }
        }
    };
    for (id, module) in modules.iter().enumerate() {
        for name in &module.names {
            if let Target::Item(t, m, _) = resolver.resolve(tree, id, &name.path)
                && t == tree
            {
                add(id, m, name.line, name.path.join("::"));
            }
        }
        for (index, import) in module.imports.iter().enumerate() {
            let target = resolver.import(tree, id, index);
            let written = import.path.join("::");
            match (target, &import.name) {
                (Target::Item(t, m, _), Some(_)) if t == tree => add(id, m, import.line, written),
                (Target::Module(t, g), None) if t == tree && import.vis != Vis::Private => {
                    // A glob re-export offers everything the module offers.
                    for (to, line) in offered(&resolver, tree, g) {
                        add(id, to, line.max(import.line), written.clone() + "::*");
                    }
                }
                _ => {}
            }
        }
    }
    found
        .into_iter()
        .map(|((from, to), (line, name))| Edge {
            from,
            to,
            line,
            name,
        })
        .collect()
}

/// The modules defining what `module` offers to a glob: its own items and what its named
/// imports bring (for each, the module that defines it).
fn offered(resolver: &Resolver<'_>, tree: TreeId, module: ModId) -> Vec<(ModId, usize)> {
    let m = &resolver.workspace().trees[tree].modules[module];
    let mut out = Vec::new();
    if !m.defs.is_empty() {
        out.push((module, 0));
    }
    for (index, import) in m.imports.iter().enumerate() {
        if import.name.is_some()
            && import.vis != Vis::Private
            && let Target::Item(t, defining, _) = resolver.import(tree, module, index)
            && t == tree
        {
            out.push((defining, 0));
        }
    }
    out
}

/// The circles of the graph: each strongly connected set of two or more files, sorted.
pub fn cycles(edges: &[Edge]) -> Vec<Vec<PathBuf>> {
    let mut files: BTreeSet<&PathBuf> = BTreeSet::new();
    for edge in edges {
        files.insert(&edge.from);
        files.insert(&edge.to);
    }
    let files: Vec<&PathBuf> = files.into_iter().collect();
    let index: BTreeMap<&PathBuf, usize> = files.iter().enumerate().map(|(i, f)| (*f, i)).collect();
    let mut next = vec![Vec::new(); files.len()];
    for edge in edges {
        next[index[&edge.from]].push(index[&edge.to]);
    }
    let components = tarjan(&next);
    let mut out: Vec<Vec<PathBuf>> = components
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|c| {
            let mut c: Vec<PathBuf> = c.into_iter().map(|i| files[i].clone()).collect();
            c.sort();
            c
        })
        .collect();
    out.sort();
    out
}

/// Tarjan's strongly connected components, iteratively so that no tree is too deep.
fn tarjan(next: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = next.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut components = Vec::new();
    let mut counter = 0;
    for start in 0..n {
        if index[start] != usize::MAX {
            continue;
        }
        // (node, position in its successor list)
        let mut work = vec![(start, 0)];
        index[start] = counter;
        low[start] = counter;
        counter += 1;
        stack.push(start);
        on_stack[start] = true;
        while let Some(&(v, at)) = work.last() {
            if let Some(&w) = next[v].get(at) {
                if let Some(top) = work.last_mut() {
                    top.1 += 1;
                }
                if index[w] == usize::MAX {
                    index[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                components.push(component);
            }
        }
    }
    components
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(from: &str, to: &str) -> Edge {
        Edge {
            from: from.into(),
            to: to.into(),
            line: 1,
            name: String::new(),
        }
    }

    #[test]
    fn circles_are_the_strongly_connected_sets() {
        let edges = [
            edge("a", "b"),
            edge("b", "c"),
            edge("c", "a"),
            edge("c", "d"),
            edge("d", "e"),
            edge("e", "d"),
            edge("f", "a"),
        ];
        let found = cycles(&edges);
        let names: Vec<Vec<&str>> = found
            .iter()
            .map(|c| c.iter().map(|p| p.to_str().unwrap()).collect())
            .collect();
        assert_eq!(names, [vec!["a", "b", "c"], vec!["d", "e"]]);
    }
}
