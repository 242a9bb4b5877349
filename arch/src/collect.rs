//! What one module's code names, read with syn's visitor: its `use` declarations (those in
//! function bodies too), every path, method name, attribute name and string literal, and,
//! inside macro bodies, the expressions they hold or else their tokens. The items under
//! `#[cfg(test)]` are skipped wherever they sit when the tree is a product's.

use proc_macro2::{TokenStream, TokenTree};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Attribute, Item, Token, UseTree};

use crate::model::{Def, Import, Literal, Module, Name, Vis, Word};

/// The attributes of an item.
pub(crate) fn item_attrs(item: &Item) -> Option<&[Attribute]> {
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
pub(crate) fn definition(item: &Item) -> Option<Def> {
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
pub(crate) fn is_cfg_test(attrs: &[Attribute]) -> bool {
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
pub(crate) fn path_attribute(attrs: &[Attribute]) -> Option<String> {
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

/// The keywords that start an item a macro's expansion may define.
const ITEM_KEYWORDS: &[&str] = &[
    "struct", "enum", "union", "fn", "const", "static", "type", "trait",
];

/// The items a `macro_rules!` macro defines at the top level of its expansion: those whose
/// name the macro spells, and whether it defines one the invocation names (`enum $name`).
/// The analyser does not expand macros; it takes that name to be the first identifier of
/// the invocation outside its attributes, as in `wire_enum! { Mask: u8 { … } }`.
#[derive(Debug, Clone, Default)]
pub(crate) struct MacroDefs {
    fixed: Vec<(String, Vis)>,
    named: Option<Vis>,
}

impl MacroDefs {
    /// Reads the rules of a `macro_rules!` body.
    pub(crate) fn read(body: &TokenStream) -> Self {
        let mut defs = MacroDefs::default();
        let rules: Vec<TokenTree> = body.clone().into_iter().collect();
        for at in 2..rules.len() {
            let (TokenTree::Punct(eq), TokenTree::Punct(gt), TokenTree::Group(transcriber)) =
                (&rules[at - 2], &rules[at - 1], &rules[at])
            else {
                continue;
            };
            if eq.as_char() != '=' || gt.as_char() != '>' {
                continue;
            }
            let tokens: Vec<TokenTree> = transcriber.stream().into_iter().collect();
            for (i, token) in tokens.iter().enumerate() {
                let TokenTree::Ident(keyword) = token else {
                    continue;
                };
                if !ITEM_KEYWORDS.contains(&keyword.to_string().as_str()) {
                    continue;
                }
                let is_pub =
                    |t: Option<&TokenTree>| matches!(t, Some(TokenTree::Ident(p)) if p == "pub");
                let vis = if i >= 1 && is_pub(tokens.get(i - 1)) {
                    Vis::Pub
                } else if i >= 2 && is_pub(tokens.get(i - 2)) {
                    Vis::Crate
                } else {
                    Vis::Private
                };
                match (tokens.get(i + 1), tokens.get(i + 2)) {
                    (Some(TokenTree::Ident(name)), _) => defs.fixed.push((name.to_string(), vis)),
                    (Some(TokenTree::Punct(dollar)), Some(TokenTree::Ident(_)))
                        if dollar.as_char() == '$' =>
                    {
                        defs.named = Some(vis);
                    }
                    _ => {}
                }
            }
        }
        defs
    }

    /// What an invocation with these tokens defines.
    pub(crate) fn defs(&self, invocation: &TokenStream) -> Vec<Def> {
        let mut out: Vec<Def> = self
            .fixed
            .iter()
            .map(|(name, vis)| Def {
                name: name.clone(),
                vis: *vis,
                is_macro: false,
                line: 0,
            })
            .collect();
        if let Some(vis) = self.named {
            let mut tokens = invocation.clone().into_iter();
            while let Some(token) = tokens.next() {
                match token {
                    // An attribute (a doc comment too) is `#` and a bracketed group.
                    TokenTree::Punct(p) if p.as_char() == '#' => {
                        tokens.next();
                    }
                    TokenTree::Ident(name) => {
                        out.push(Def {
                            name: name.to_string(),
                            vis,
                            is_macro: false,
                            line: name.span().start().line,
                        });
                        break;
                    }
                    _ => break,
                }
            }
        }
        out
    }
}

/// Collects what one module's code names.
pub(crate) struct Collect<'a> {
    pub(crate) module: &'a mut Module,
    pub(crate) skip_tests: bool,
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
