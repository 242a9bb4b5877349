//! The module trees of the workspace's targets: for each module, the file it lives in, the
//! names it defines and imports, and every path, word and string literal its code holds.
//! A tree grows from a target's root file through `mod x;` declarations (and `#[path]`);
//! in the library and the binaries the items under `#[cfg(test)]` are skipped, and nothing
//! else is.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Attribute, Item, Token, UseTree, Visibility};

use crate::sources::Sources;
use crate::workspace::{self, Error, Kind, Package};

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
    /// Reads the workspace whose root manifest is `Cargo.toml` in `sources`.
    ///
    /// # Errors
    /// A missing manifest or module file, or a file that does not parse.
    pub fn load(sources: &Sources) -> Result<Self, Error> {
        let packages = workspace::packages(sources)?;
        let mut trees = Vec::new();
        for (index, package) in packages.iter().enumerate() {
            for target in &package.targets {
                let mut tree = Tree {
                    package: index,
                    kind: target.kind,
                    modules: vec![Module {
                        file: target.root.clone(),
                        ..Module::default()
                    }],
                };
                let dir = target.root.parent().unwrap_or(Path::new("")).to_path_buf();
                let mut loader = Loader {
                    sources,
                    tree: &mut tree,
                    skip_tests: target.kind.is_product(),
                };
                loader.file(0, &target.root, &dir)?;
                trees.push(tree);
            }
        }
        Ok(Workspace { packages, trees })
    }

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

/// A workspace of one member, `a` (library `a`), holding `files` besides the manifests:
/// the small trees the checks' unit tests plant violations in.
#[cfg(test)]
pub(crate) fn one_crate(files: &[(&str, &str)]) -> Workspace {
    let manifests = [
        ("Cargo.toml", "[workspace]\nmembers = [\"a\"]\n"),
        ("a/Cargo.toml", "[package]\nname = \"a\"\n"),
    ];
    let sources = Sources::memory(manifests.iter().chain(files).copied());
    Workspace::load(&sources).unwrap()
}

/// Grows one tree.
struct Loader<'a> {
    sources: &'a Sources,
    tree: &'a mut Tree,
    skip_tests: bool,
}

impl Loader<'_> {
    /// Reads `file` as the body of `module`, whose child modules' files live in `dir`.
    fn file(&mut self, module: ModId, file: &Path, dir: &Path) -> Result<(), Error> {
        let text = self.sources.read(file).ok_or_else(|| Error::NoModuleFile {
            file: file.to_path_buf(),
            module: self.tree.modules[module].name.clone(),
            looked: file.display().to_string(),
        })?;
        let parsed = syn::parse_file(&text).map_err(|e| Error::Parse {
            file: file.to_path_buf(),
            message: format!("line {}: {e}", e.span().start().line),
        })?;
        self.items(module, &parsed.items, file, dir)
    }

    /// Records the items of `module` and reads its child modules.
    fn items(
        &mut self,
        module: ModId,
        items: &[Item],
        file: &Path,
        dir: &Path,
    ) -> Result<(), Error> {
        for item in items {
            if self.skip_tests && item_attrs(item).is_some_and(is_cfg_test) {
                continue;
            }
            match item {
                Item::Mod(m) => self.child(module, m, file, dir)?,
                _ => {
                    if let Some(def) = definition(item) {
                        self.tree.modules[module].defs.push(def);
                    }
                    let mut collect = Collect {
                        module: &mut self.tree.modules[module],
                        skip_tests: self.skip_tests,
                    };
                    collect.visit_item(item);
                }
            }
        }
        Ok(())
    }

    /// Adds the child module `m` of `parent` and reads its items.
    fn child(
        &mut self,
        parent: ModId,
        m: &syn::ItemMod,
        file: &Path,
        dir: &Path,
    ) -> Result<(), Error> {
        let name = m.ident.to_string();
        let id = self.tree.modules.len();
        self.tree.modules.push(Module {
            name: name.clone(),
            parent: Some(parent),
            file: file.to_path_buf(),
            vis: Some(Vis::from(&m.vis)),
            line: m.ident.span().start().line,
            ..Module::default()
        });
        self.tree.modules[parent].children.insert(name.clone(), id);
        let mut collect = Collect {
            module: &mut self.tree.modules[id],
            skip_tests: self.skip_tests,
        };
        for attr in &m.attrs {
            collect.visit_attribute(attr);
        }
        let at = path_attribute(&m.attrs);
        if let Some((_, items)) = &m.content {
            let inner = at.map_or_else(|| dir.join(&name), |p| dir.join(p));
            return self.items(id, items, file, &inner);
        }
        let candidates = match at {
            Some(p) => vec![file.parent().unwrap_or(Path::new("")).join(p)],
            None => vec![
                dir.join(format!("{name}.rs")),
                dir.join(&name).join("mod.rs"),
            ],
        };
        let Some(found) = candidates.iter().find(|c| self.sources.exists(c)) else {
            return Err(Error::NoModuleFile {
                file: file.to_path_buf(),
                module: name,
                looked: candidates
                    .iter()
                    .map(|c| c.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        // A `mod.rs` keeps its children beside it; `x.rs` keeps them in `x/`.
        let child_dir = if found.ends_with("mod.rs") {
            found.parent().unwrap_or(Path::new("")).to_path_buf()
        } else {
            found.with_extension("")
        };
        self.tree.modules[id].file = found.clone();
        let found = found.clone();
        self.file(id, &found, &child_dir)
    }
}

/// The attributes of an item.
fn item_attrs(item: &Item) -> Option<&[Attribute]> {
    Some(match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => return None,
    })
}

/// What an item defines, when it defines a name.
fn definition(item: &Item) -> Option<Def> {
    let (ident, vis) = match item {
        Item::Const(i) => (&i.ident, &i.vis),
        Item::Enum(i) => (&i.ident, &i.vis),
        Item::Fn(i) => (&i.sig.ident, &i.vis),
        Item::Static(i) => (&i.ident, &i.vis),
        Item::Struct(i) => (&i.ident, &i.vis),
        Item::Trait(i) => (&i.ident, &i.vis),
        Item::TraitAlias(i) => (&i.ident, &i.vis),
        Item::Type(i) => (&i.ident, &i.vis),
        Item::Union(i) => (&i.ident, &i.vis),
        Item::Macro(i) => {
            let ident = i.ident.as_ref()?;
            let exported = i.attrs.iter().any(|a| a.path().is_ident("macro_export"));
            return Some(Def {
                name: ident.to_string(),
                vis: if exported { Vis::Pub } else { Vis::Crate },
                is_macro: true,
                line: ident.span().start().line,
            });
        }
        _ => return None,
    };
    Some(Def {
        name: ident.to_string(),
        vis: Vis::from(vis),
        is_macro: false,
        line: ident.span().start().line,
    })
}

/// Whether the attributes hold `#[cfg(test)]` (or `#[cfg(all(test, …))]`): test-only code.
pub fn is_cfg_test(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>().is_ok_and(|meta| match meta {
                syn::Meta::Path(p) => p.is_ident("test"),
                syn::Meta::List(list) if list.path.is_ident("all") => list
                    .parse_args_with(Punctuated::<syn::Meta, Token![,]>::parse_terminated)
                    .is_ok_and(|all| all.iter().any(|m| m.path().is_ident("test"))),
                _ => false,
            })
    })
}

/// The value of a `#[path = "…"]` attribute.
fn path_attribute(attrs: &[Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| match &a.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

/// Collects what one module's code names.
struct Collect<'a> {
    module: &'a mut Module,
    skip_tests: bool,
}

impl Collect<'_> {
    fn skipped(&self, attrs: &[Attribute]) -> bool {
        self.skip_tests && is_cfg_test(attrs)
    }

    fn name(&mut self, path: &syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if segments.is_empty() {
            return;
        }
        self.module.names.push(Name {
            path: segments,
            line: path.span().start().line,
        });
    }

    fn literal(&mut self, lit: &syn::Lit) {
        let value = match lit {
            syn::Lit::Str(s) => s.value().into_bytes(),
            syn::Lit::ByteStr(s) => s.value(),
            syn::Lit::CStr(s) => s.value().into_bytes(),
            _ => return,
        };
        self.module.literals.push(Literal {
            value,
            line: lit.span().start().line,
        });
    }

    /// Reads tokens that are not parsed as code: every identifier is a word, every
    /// `a::b` sequence a path, every literal a literal.
    fn tokens(&mut self, tokens: TokenStream) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let mut at = 0;
        while at < tokens.len() {
            match &tokens[at] {
                TokenTree::Group(g) => self.tokens(g.stream()),
                TokenTree::Literal(l) => self.literal(&syn::Lit::new(l.clone())),
                TokenTree::Punct(_) => {}
                TokenTree::Ident(ident) => {
                    let line = ident.span().start().line;
                    let mut path = vec![ident.to_string()];
                    while let [
                        TokenTree::Punct(a),
                        TokenTree::Punct(b),
                        TokenTree::Ident(next),
                        ..,
                    ] = &tokens[at + 1..]
                    {
                        if a.as_char() != ':' || b.as_char() != ':' {
                            break;
                        }
                        path.push(next.to_string());
                        at += 3;
                    }
                    for text in &path {
                        self.module.words.push(Word {
                            text: text.clone(),
                            line,
                        });
                    }
                    if path.len() > 1 {
                        self.module.names.push(Name { path, line });
                    }
                }
            }
            at += 1;
        }
    }

    /// Records a `use` tree under `prefix`.
    fn use_tree(&mut self, tree: &UseTree, prefix: &mut Vec<String>, vis: Vis) {
        match tree {
            UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(&p.tree, prefix, vis);
                prefix.pop();
            }
            UseTree::Name(n) => self.import(prefix, &n.ident, &n.ident, vis),
            UseTree::Rename(r) => self.import(prefix, &r.ident, &r.rename, vis),
            UseTree::Glob(g) => self.module.imports.push(Import {
                name: None,
                path: prefix.clone(),
                vis,
                line: g.star_token.span.start().line,
            }),
            UseTree::Group(g) => {
                for tree in &g.items {
                    self.use_tree(tree, prefix, vis);
                }
            }
        }
    }

    fn import(&mut self, prefix: &[String], ident: &syn::Ident, alias: &syn::Ident, vis: Vis) {
        // `use a::{self}` imports `a` itself.
        let mut path = prefix.to_vec();
        if ident != "self" {
            path.push(ident.to_string());
        }
        let name = if alias == "self" {
            prefix.last().cloned().unwrap_or_default()
        } else {
            alias.to_string()
        };
        if name == "_" {
            // `use Trait as _` names the trait without binding it.
            self.module.names.push(Name {
                path,
                line: ident.span().start().line,
            });
            return;
        }
        self.module.imports.push(Import {
            name: Some(name),
            path,
            vis,
            line: ident.span().start().line,
        });
    }
}

impl<'ast> Visit<'ast> for Collect<'_> {
    fn visit_item(&mut self, item: &'ast Item) {
        if item_attrs(item).is_some_and(|a| self.skipped(a)) {
            return;
        }
        match item {
            // Modules are the tree's business.
            Item::Mod(_) => {}
            Item::ExternCrate(e) => {
                let name = e.rename.as_ref().map_or(&e.ident, |(_, r)| r).to_string();
                self.module.imports.push(Import {
                    name: Some(name),
                    path: vec![e.ident.to_string()],
                    vis: Vis::from(&e.vis),
                    line: e.ident.span().start().line,
                });
            }
            _ => visit::visit_item(self, item),
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&item.tree, &mut Vec::new(), Vis::from(&item.vis));
    }

    fn visit_impl_item(&mut self, item: &'ast syn::ImplItem) {
        let attrs = match item {
            syn::ImplItem::Const(i) => &i.attrs,
            syn::ImplItem::Fn(i) => &i.attrs,
            syn::ImplItem::Type(i) => &i.attrs,
            syn::ImplItem::Macro(i) => &i.attrs,
            _ => return visit::visit_impl_item(self, item),
        };
        if !self.skipped(attrs) {
            visit::visit_impl_item(self, item);
        }
    }

    fn visit_trait_item(&mut self, item: &'ast syn::TraitItem) {
        let attrs = match item {
            syn::TraitItem::Const(i) => &i.attrs,
            syn::TraitItem::Fn(i) => &i.attrs,
            syn::TraitItem::Type(i) => &i.attrs,
            syn::TraitItem::Macro(i) => &i.attrs,
            _ => return visit::visit_trait_item(self, item),
        };
        if !self.skipped(attrs) {
            visit::visit_trait_item(self, item);
        }
    }

    fn visit_field(&mut self, field: &'ast syn::Field) {
        if !self.skipped(&field.attrs) {
            visit::visit_field(self, field);
        }
    }

    fn visit_variant(&mut self, variant: &'ast syn::Variant) {
        if !self.skipped(&variant.attrs) {
            visit::visit_variant(self, variant);
        }
    }

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        if !self.skipped(&arm.attrs) {
            visit::visit_arm(self, arm);
        }
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        if !self.skipped(&local.attrs) {
            visit::visit_local(self, local);
        }
    }

    fn visit_stmt(&mut self, stmt: &'ast syn::Stmt) {
        if let syn::Stmt::Macro(m) = stmt
            && self.skipped(&m.attrs)
        {
            return;
        }
        visit::visit_stmt(self, stmt);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        self.name(path);
        visit::visit_path(self, path);
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        self.module.words.push(Word {
            text: call.method.to_string(),
            line: call.method.span().start().line,
        });
        visit::visit_expr_method_call(self, call);
    }

    fn visit_lit(&mut self, lit: &'ast syn::Lit) {
        self.literal(lit);
    }

    fn visit_attribute(&mut self, attr: &'ast Attribute) {
        let path = attr.path();
        // Doc comments are prose; everything else an attribute says is read.
        if path.is_ident("doc") {
            return;
        }
        for segment in &path.segments {
            self.module.attributes.push(Word {
                text: segment.ident.to_string(),
                line: segment.ident.span().start().line,
            });
        }
        if path.is_ident("derive")
            && let Ok(derived) =
                attr.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
        {
            for path in &derived {
                self.name(path);
            }
            return;
        }
        match &attr.meta {
            syn::Meta::Path(_) => {}
            syn::Meta::List(list) => self.tokens(list.tokens.clone()),
            syn::Meta::NameValue(nv) => self.visit_expr(&nv.value),
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.name(&mac.path);
        // Most macros take expressions (`format!`, `assert!`, `vec!`); read them as code so
        // their paths resolve, and read any other body as tokens.
        match mac.parse_body_with(Punctuated::<syn::Expr, Token![,]>::parse_terminated) {
            Ok(exprs) => {
                for expr in &exprs {
                    self.visit_expr(expr);
                }
            }
            Err(_) => self.tokens(mac.tokens.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_items_under_cfg_test_are_skipped_and_module_files_are_found_every_way() {
        let ws = one_crate(&[
            (
                "a/src/lib.rs",
                "#[cfg(test)]\nmod tests;\n#[cfg(all(test, unix))]\nfn helper() { crate::gone(); }\nmod x;\n#[path = \"other/place.rs\"]\nmod y;\nmod z { pub mod w; }\npub fn after() { x::X; }\n",
            ),
            ("a/src/x/mod.rs", "pub struct X;\nmod inner;\n"),
            (
                "a/src/x/inner.rs",
                "#[cfg(test)]\nuse crate::y::Y;\nfn f() -> &'static str { \"kept\" }\n",
            ),
            ("a/src/other/place.rs", "pub struct Y;\n"),
            ("a/src/z/w.rs", "pub struct W;\n"),
            (
                "a/tests/it.rs",
                "#[cfg(test)]\nmod planted { fn t() { a::after(); } }\n",
            ),
        ]);
        let lib = &ws.trees[0];
        let files: Vec<&str> = lib
            .modules
            .iter()
            .map(|m| m.file.to_str().unwrap())
            .collect();
        assert_eq!(
            files,
            [
                "a/src/lib.rs",
                "a/src/x/mod.rs",
                "a/src/x/inner.rs",
                "a/src/other/place.rs",
                "a/src/lib.rs",
                "a/src/z/w.rs"
            ]
        );
        let root = &lib.modules[0];
        let named: Vec<String> = root.names.iter().map(|n| n.path.join("::")).collect();
        assert_eq!(
            named,
            ["x::X"],
            "the code after the test module is read, the test items are not"
        );
        assert_eq!(root.names[0].line, 9);
        let inner = &lib.modules[lib.module(&["x", "inner"]).unwrap()];
        assert!(inner.imports.is_empty());
        assert_eq!(inner.literals[0].value, b"kept");
        // An integration test is compiled with cfg(test): its test modules are its code.
        let it = &ws.trees[1];
        assert_eq!(it.kind, Kind::Test);
        assert_eq!(it.modules[1].names[0].path, ["a", "after"]);
    }
}
