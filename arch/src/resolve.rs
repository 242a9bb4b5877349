//! Name resolution, as far as the checks need it: a path named in a module resolves through
//! `crate::`, `self::`, `super::`, child modules, `use` imports (globs included) and
//! `pub use` re-exports to the module or the item it means, in whichever tree of the
//! workspace defines it, or to another crate outside the workspace.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::model::{ModId, TreeId, Workspace};

/// What a path means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A module of a workspace tree.
    Module(TreeId, ModId),
    /// An item (type, function, constant, macro…) defined in a module of a workspace tree.
    Item(TreeId, ModId, String),
    /// A path into a crate outside the workspace (`std`, `tokio`…), with its segments.
    External(Vec<String>),
    /// A path that names nothing the analyser knows (a local, a generic, an associated item
    /// of a type parameter).
    Unknown,
}

/// An import, by its tree, module and index, to step over while resolving its own path.
type ImportId = (TreeId, ModId, usize);

/// The modules a path's own segments land on, collected for the caller's tree only.
type Steps<'s> = Option<&'s mut Vec<(TreeId, ModId)>>;

/// What an import resolved to, and the modules of its own tree its path named.
type Resolved = Rc<(Target, Vec<(TreeId, ModId)>)>;

/// Resolves paths in a loaded workspace. Each import is resolved once and remembered:
/// without that, a module with several globs resolves each glob again for every name it
/// looks up, which grows exponentially with the globs in scope.
#[derive(Debug)]
pub struct Resolver<'a> {
    ws: &'a Workspace,
    /// `None` while the import is being resolved, so that an import cycle ends.
    imports: RefCell<HashMap<ImportId, Option<Resolved>>>,
}

impl<'a> Resolver<'a> {
    /// A resolver for `ws`.
    pub fn new(ws: &'a Workspace) -> Self {
        Resolver {
            ws,
            imports: RefCell::new(HashMap::new()),
        }
    }

    /// The workspace it resolves in.
    pub fn workspace(&self) -> &'a Workspace {
        self.ws
    }

    /// What `path`, named in module `module` of tree `tree`, means.
    pub fn resolve(&self, tree: TreeId, module: ModId, path: &[String]) -> Target {
        self.path(tree, tree, module, path, None, None)
    }

    /// What `path` means, and the modules its segments name along the way, including those
    /// named by imports of the same tree it goes through, but not those a re-export in
    /// another tree goes through on its behalf.
    pub fn resolve_steps(
        &self,
        tree: TreeId,
        module: ModId,
        path: &[String],
    ) -> (Target, Vec<(TreeId, ModId)>) {
        let mut steps = Vec::new();
        let target = self.path(tree, tree, module, path, None, Some(&mut steps));
        (target, steps)
    }

    /// What the import `index` of `module` means (a glob: the module it brings names from).
    pub fn import(&self, tree: TreeId, module: ModId, index: usize) -> Target {
        self.resolved(tree, module, index).0.clone()
    }

    /// What the import `index` of `module` means, and the modules its path names (as
    /// [`Resolver::resolve_steps`]).
    pub fn import_steps(
        &self,
        tree: TreeId,
        module: ModId,
        index: usize,
    ) -> (Target, Vec<(TreeId, ModId)>) {
        let resolved = self.resolved(tree, module, index);
        (resolved.0.clone(), resolved.1.clone())
    }

    /// An import's resolution, computed once.
    fn resolved(&self, tree: TreeId, module: ModId, index: usize) -> Resolved {
        let id = (tree, module, index);
        match self.imports.borrow().get(&id) {
            Some(Some(done)) => return done.clone(),
            Some(None) => return Rc::new((Target::Unknown, Vec::new())),
            None => {}
        }
        self.imports.borrow_mut().insert(id, None);
        let import = &self.ws.trees[tree].modules[module].imports[index];
        let mut steps = Vec::new();
        let target = self.path(tree, tree, module, &import.path, Some(id), Some(&mut steps));
        let done = Rc::new((target, steps));
        self.imports.borrow_mut().insert(id, Some(done.clone()));
        done
    }

    fn path(
        &self,
        origin: TreeId,
        tree: TreeId,
        module: ModId,
        path: &[String],
        skip: Option<ImportId>,
        mut steps: Steps<'_>,
    ) -> Target {
        if path.is_empty() {
            return Target::Unknown;
        }
        let modules = &self.ws.trees[tree].modules;
        let (mut current, mut used) = match path[0].as_str() {
            "crate" | "$crate" => (Target::Module(tree, 0), 1),
            "self" => (Target::Module(tree, module), 1),
            "super" => {
                let mut at = module;
                let mut used = 0;
                while path.get(used).is_some_and(|s| s == "super") {
                    let Some(parent) = modules[at].parent else {
                        return Target::Unknown;
                    };
                    at = parent;
                    used += 1;
                }
                (Target::Module(tree, at), used)
            }
            "Self" => return Target::Unknown,
            first => {
                let last = path.len() == 1;
                let found = self.scope(
                    origin,
                    tree,
                    module,
                    first,
                    last,
                    skip,
                    steps.as_deref_mut(),
                );
                (found, 1)
            }
        };
        loop {
            if let (Target::Module(t, m), Some(steps)) = (&current, steps.as_deref_mut())
                && tree == origin
            {
                steps.push((*t, *m));
            }
            let Some(segment) = path.get(used) else {
                return current;
            };
            let last = used + 1 == path.len();
            current = match current {
                Target::Module(t, m) => self
                    .member(
                        origin,
                        t,
                        m,
                        segment,
                        last,
                        None,
                        steps.as_deref_mut(),
                        &mut Vec::new(),
                    )
                    .unwrap_or(Target::Unknown),
                // A type's variant or associated item: the path means the type.
                Target::Item(..) => return current,
                Target::External(mut segments) => {
                    segments.push(segment.clone());
                    Target::External(segments)
                }
                Target::Unknown => return Target::Unknown,
            };
            used += 1;
        }
    }

    /// The first segment of a path: a name in the module's scope, a macro of an enclosing
    /// module, a workspace crate, or another crate.
    #[allow(clippy::too_many_arguments)]
    fn scope(
        &self,
        origin: TreeId,
        tree: TreeId,
        module: ModId,
        name: &str,
        last: bool,
        skip: Option<ImportId>,
        steps: Steps<'_>,
    ) -> Target {
        let found = self.member(
            origin,
            tree,
            module,
            name,
            last,
            skip,
            steps,
            &mut Vec::new(),
        );
        if let Some(found) = found {
            return found;
        }
        // `macro_rules!` macros are seen by the modules declared after them, below them.
        let modules = &self.ws.trees[tree].modules;
        let mut at = modules[module].parent;
        while let Some(m) = at {
            if modules[m].defs.iter().any(|d| d.is_macro && d.name == name) {
                return Target::Item(tree, m, name.to_string());
            }
            at = modules[m].parent;
        }
        match self.ws.lib(name) {
            Some(lib) => Target::Module(lib, 0),
            None => Target::External(vec![name.to_string()]),
        }
    }

    /// A name inside a module: a child module, an item, or an import's target. `seen` holds
    /// the modules whose globs this lookup already went through, so that a child's
    /// `use super::*` beside its parent's `pub use child::*` ends.
    #[allow(clippy::too_many_arguments)]
    fn member(
        &self,
        origin: TreeId,
        tree: TreeId,
        module: ModId,
        name: &str,
        last: bool,
        skip: Option<ImportId>,
        mut steps: Steps<'_>,
        seen: &mut Vec<(TreeId, ModId)>,
    ) -> Option<Target> {
        if seen.contains(&(tree, module)) {
            return None;
        }
        seen.push((tree, module));
        let m = &self.ws.trees[tree].modules[module];
        let child = m.children.get(name).map(|&c| Target::Module(tree, c));
        let def = m
            .defs
            .iter()
            .any(|d| d.name == name)
            .then(|| Target::Item(tree, module, name.to_string()));
        // A module and a function may share a name; the path's next segment tells which.
        let own = if last { def.or(child) } else { child.or(def) };
        if own.is_some() {
            return own;
        }
        for (index, import) in m.imports.iter().enumerate() {
            if import.name.as_deref() != Some(name) || skip == Some((tree, module, index)) {
                continue;
            }
            let resolved = self.resolved(tree, module, index);
            if resolved.0 != Target::Unknown {
                if tree == origin
                    && let Some(steps) = steps.as_deref_mut()
                {
                    steps.extend(&resolved.1);
                }
                return Some(resolved.0.clone());
            }
        }
        for (index, import) in m.imports.iter().enumerate() {
            if import.name.is_some() || skip == Some((tree, module, index)) {
                continue;
            }
            if let Target::Module(t, g) = self.resolved(tree, module, index).0
                && let Some(found) = self.member(origin, t, g, name, last, None, None, seen)
            {
                return Some(found);
            }
        }
        None
    }
}
