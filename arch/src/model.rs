//! The data the analyser reads off the sources: for each target a tree of modules, and
//! for each module the file it lives in, the names it defines and imports, and every path,
//! word and string literal its code holds.

use std::collections::BTreeMap;
use std::path::PathBuf;

use syn::Visibility;

use crate::workspace::{Kind, Package};

/// The index of a tree in [`Workspace::trees`].
pub type TreeId = usize;
/// The index of a module in [`Tree::modules`]; the crate root is 0.
pub type ModId = usize;

/// How far a name is visible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vis {
    /// `pub`: outside the crate too.
    Pub,
    /// `pub(crate)`, `pub(super)` or `pub(in …)`: inside the crate.
    Crate,
    /// No visibility: the module and its descendants.
    Private,
}

impl From<&Visibility> for Vis {
    fn from(vis: &Visibility) -> Self {
        match vis {
            Visibility::Public(_) => Vis::Pub,
            Visibility::Restricted(_) => Vis::Crate,
            Visibility::Inherited => Vis::Private,
        }
    }
}

/// An item a module defines (other than a module): a type, function, constant, trait,
/// static or macro.
#[derive(Debug, Clone)]
pub struct Def {
    /// Its name.
    pub name: String,
    /// Its visibility.
    pub vis: Vis,
    /// Whether it is a `macro_rules!` macro.
    pub is_macro: bool,
    /// Its line.
    pub line: usize,
}

/// A `use` declaration's single name (`name: Some`) or glob (`name: None`).
#[derive(Debug, Clone)]
pub struct Import {
    /// The name it brings into scope, `None` for a glob.
    pub name: Option<String>,
    /// The path it imports (for a glob, the module whose names it brings).
    pub path: Vec<String>,
    /// Its visibility: `pub use` re-exports.
    pub vis: Vis,
    /// Its line.
    pub line: usize,
}

/// A path the code names, outside `use` declarations.
#[derive(Debug, Clone)]
pub struct Name {
    /// Its segments (`["crate", "wire", "Record"]`).
    pub path: Vec<String>,
    /// Its line.
    pub line: usize,
}

/// A bare identifier: a method's name, an attribute's name, or an identifier inside a
/// macro's body that does not parse as expressions.
#[derive(Debug, Clone)]
pub struct Word {
    /// The identifier.
    pub text: String,
    /// Its line.
    pub line: usize,
}

/// The value of a string, byte-string or C-string literal.
#[derive(Debug, Clone)]
pub struct Literal {
    /// Its bytes, escapes decoded.
    pub value: Vec<u8>,
    /// Its line.
    pub line: usize,
}

/// A module: a file, or a `mod x { … }` block inside one.
#[derive(Debug, Clone, Default)]
pub struct Module {
    /// Its name (empty for the crate root).
    pub name: String,
    /// Its parent, `None` for the root.
    pub parent: Option<ModId>,
    /// The file it lives in, relative to the workspace root.
    pub file: PathBuf,
    /// The visibility of its `mod` declaration.
    pub vis: Option<Vis>,
    /// The line of its `mod` declaration in the parent's file.
    pub line: usize,
    /// Its child modules by name.
    pub children: BTreeMap<String, ModId>,
    /// The other items it defines.
    pub defs: Vec<Def>,
    /// Its `use` declarations, those inside function bodies included.
    pub imports: Vec<Import>,
    /// The paths its code names.
    pub names: Vec<Name>,
    /// Identifiers that are not paths.
    pub words: Vec<Word>,
    /// String literals.
    pub literals: Vec<Literal>,
    /// The names of its attributes (`derive`, `serde`, `command`…), doc comments aside.
    pub attributes: Vec<Word>,
}

/// The module tree of one target.
#[derive(Debug, Clone)]
pub struct Tree {
    /// The index of its package in [`Workspace::packages`].
    pub package: usize,
    /// What the target is for.
    pub kind: Kind,
    /// Its modules; the root is first.
    pub modules: Vec<Module>,
}

impl Tree {
    /// The module with this path of names below the root, if there is one.
    pub fn module(&self, path: &[&str]) -> Option<ModId> {
        path.iter()
            .try_fold(0, |m, name| self.modules[m].children.get(*name).copied())
    }

    /// The path of a module as `crate::a::b` (`crate` alone for the root).
    pub fn path_of(&self, module: ModId) -> String {
        let mut names = Vec::new();
        let mut at = Some(module);
        while let Some(m) = at {
            if m != 0 {
                names.push(self.modules[m].name.as_str());
            }
            at = self.modules[m].parent;
        }
        names.push("crate");
        names.reverse();
        names.join("::")
    }

    /// Whether `module` is `ancestor` or below it.
    pub fn is_within(&self, module: ModId, ancestor: ModId) -> bool {
        let mut at = Some(module);
        while let Some(m) = at {
            if m == ancestor {
                return true;
            }
            at = self.modules[m].parent;
        }
        false
    }
}

/// Every target of every member, read.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The members.
    pub packages: Vec<Package>,
    /// One tree per target of every member.
    pub trees: Vec<Tree>,
}

impl Workspace {
    /// The libraries and binaries of every member: the code that ships.
    pub fn product_trees(&self) -> impl Iterator<Item = TreeId> + '_ {
        (0..self.trees.len()).filter(|&t| self.trees[t].kind.is_product())
    }

    /// The library trees of every member.
    pub fn libraries(&self) -> impl Iterator<Item = TreeId> + '_ {
        (0..self.trees.len()).filter(|&t| self.trees[t].kind == Kind::Lib)
    }

    /// The library tree of the package whose library is called `lib_name`.
    pub fn lib(&self, lib_name: &str) -> Option<TreeId> {
        self.trees
            .iter()
            .position(|t| t.kind == Kind::Lib && self.packages[t.package].lib_name == lib_name)
    }
}
