//! Scope analysis, run before compiling: decides for every name in every scope whether it is
//! a fast local, a cell (captured by an inner function), a free variable, a global, or (in
//! class bodies) a namespace lookup. Scopes are keyed by the address of their AST node.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use super::ast::*;
use super::error::SyntaxError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    Module,
    Function,
    Class,
}

#[derive(Debug, Default)]
pub struct ScopeInfo {
    pub locals: Vec<Name>,
    pub cells: Vec<Name>,
    pub frees: Vec<Name>,
    pub globals: HashSet<Name>,
    pub assigned: HashSet<Name>,
    pub generator: bool,
}

pub enum Access {
    Fast(u32),
    Deref(u32),
    Global,
    Name,
}

impl ScopeInfo {
    pub fn access(&self, kind: ScopeKind, name: &str) -> Access {
        if kind == ScopeKind::Module {
            return Access::Global;
        }
        if self.globals.contains(name) {
            return Access::Global;
        }
        if let Some(i) = self.cells.iter().position(|c| &**c == name) {
            return Access::Deref(i as u32);
        }
        if kind == ScopeKind::Class {
            if !self.assigned.contains(name)
                && let Some(i) = self.frees.iter().position(|c| &**c == name)
            {
                return Access::Deref((self.cells.len() + i) as u32);
            }
            return Access::Name;
        }
        if let Some(i) = self.frees.iter().position(|c| &**c == name) {
            return Access::Deref((self.cells.len() + i) as u32);
        }
        if let Some(i) = self.locals.iter().position(|c| &**c == name) {
            return Access::Fast(i as u32);
        }
        Access::Global
    }
}

/// Raw facts gathered from one scope's body before resolution.
#[derive(Default)]
struct Raw {
    kind: Option<ScopeKind>,
    params: Vec<Name>,
    assigned: Vec<Name>,
    used: HashSet<Name>,
    globals: HashSet<Name>,
    nonlocals: HashSet<Name>,
    children: Vec<(usize, Raw)>,
    generator: bool,
    line: u32,
    /// Comprehension scopes: `:=` targets, which bind in the enclosing function (PEP 572).
    is_comp: bool,
    walrus: Vec<Name>,
}

impl Raw {
    fn assign(&mut self, n: &Name) {
        if !self.assigned.contains(n) {
            self.assigned.push(n.clone());
        }
    }
}

pub type Scopes = HashMap<usize, Rc<ScopeInfo>>;

pub fn analyze(module: &[Stmt]) -> Result<Scopes, SyntaxError> {
    let mut raw = Raw {
        kind: Some(ScopeKind::Module),
        ..Default::default()
    };
    for s in module {
        stmt(&mut raw, s)?;
    }
    let mut out = HashMap::new();
    resolve(0, raw, &[], &mut out)?;
    Ok(out)
}

pub fn func_key(f: &Rc<FuncDef>) -> usize {
    Rc::as_ptr(f) as usize
}
pub fn class_key(c: &Rc<ClassDef>) -> usize {
    Rc::as_ptr(c) as usize
}
pub fn comp_key(c: &Comprehension) -> usize {
    c as *const Comprehension as usize
}

fn resolve(
    key: usize,
    raw: Raw,
    env: &[(ScopeKind, HashSet<Name>)],
    out: &mut Scopes,
) -> Result<Vec<Name>, SyntaxError> {
    let kind = raw.kind.unwrap_or(ScopeKind::Function);
    let mut locals: Vec<Name> = raw.params.clone();
    for n in &raw.assigned {
        if !locals.contains(n) && !raw.globals.contains(n) && !raw.nonlocals.contains(n) {
            locals.push(n.clone());
        }
    }
    let local_set: HashSet<Name> = locals.iter().cloned().collect();
    let mut env2 = env.to_vec();
    env2.push((
        kind,
        if kind == ScopeKind::Function {
            local_set.clone()
        } else {
            HashSet::new()
        },
    ));
    let bound_outside = |n: &Name| {
        env.iter()
            .any(|(k, l)| *k == ScopeKind::Function && l.contains(n))
    };
    let mut cells: Vec<Name> = Vec::new();
    let mut frees: Vec<Name> = Vec::new();
    let add = |v: &mut Vec<Name>, n: &Name| {
        if !v.contains(n) {
            v.push(n.clone());
        }
    };
    for n in &raw.nonlocals {
        if !bound_outside(n) {
            return Err(SyntaxError {
                msg: format!("no binding for nonlocal '{n}' found"),
                line: raw.line,
                col: 1,
            });
        }
        add(&mut frees, n);
    }
    for (ckey, child) in raw.children {
        let needed = resolve(ckey, child, &env2, out)?;
        for n in needed {
            if kind == ScopeKind::Function && local_set.contains(&n) {
                add(&mut cells, &n);
            } else if !raw.globals.contains(&n) {
                add(&mut frees, &n);
            }
        }
    }
    if kind != ScopeKind::Module {
        let mut used: Vec<&Name> = raw.used.iter().collect();
        used.sort();
        for n in used {
            let local = if kind == ScopeKind::Function {
                local_set.contains(n)
            } else {
                raw.assigned.contains(n)
            };
            if !local && !raw.globals.contains(n) && bound_outside(n) {
                add(&mut frees, n);
            }
        }
    }
    if kind == ScopeKind::Module {
        frees.clear();
    }
    let info = ScopeInfo {
        locals,
        cells,
        frees: frees.clone(),
        globals: raw.globals,
        assigned: raw.assigned.into_iter().collect(),
        generator: raw.generator,
    };
    out.insert(key, Rc::new(info));
    Ok(frees)
}

fn target(r: &mut Raw, e: &Expr) -> Result<(), SyntaxError> {
    match &e.kind {
        ExprKind::Name(n) => r.assign(n),
        ExprKind::Tuple(items) | ExprKind::List(items) => {
            for i in items {
                target(r, i)?;
            }
        }
        ExprKind::Starred(inner) => target(r, inner)?,
        _ => expr(r, e)?,
    }
    Ok(())
}

fn body(r: &mut Raw, stmts: &[Stmt]) -> Result<(), SyntaxError> {
    stmts.iter().try_for_each(|s| stmt(r, s))
}

fn func(r: &mut Raw, f: &Rc<FuncDef>) -> Result<(), SyntaxError> {
    let p = &f.params;
    for (_, d) in p.args.iter().chain(p.kwonly.iter()) {
        if let Some(d) = d {
            expr(r, d)?;
        }
    }
    for d in &f.decorators {
        expr(r, d)?;
    }
    let mut c = Raw {
        kind: Some(ScopeKind::Function),
        line: f.line,
        ..Default::default()
    };
    for (n, _) in &p.args {
        c.params.push(n.clone());
    }
    for (n, _) in &p.kwonly {
        c.params.push(n.clone());
    }
    if let Some(n) = &p.vararg {
        c.params.push(n.clone());
    }
    if let Some(n) = &p.kwarg {
        c.params.push(n.clone());
    }
    body(&mut c, &f.body)?;
    r.children.push((func_key(f), c));
    Ok(())
}

fn stmt(r: &mut Raw, s: &Stmt) -> Result<(), SyntaxError> {
    match &s.kind {
        StmtKind::Expr(e) => expr(r, e)?,
        StmtKind::Assign(ts, v) => {
            expr(r, v)?;
            for t in ts {
                target(r, t)?;
            }
        }
        StmtKind::AugAssign(t, _, v) => {
            expr(r, v)?;
            if let ExprKind::Name(n) = &t.kind {
                r.used.insert(n.clone());
            }
            target(r, t)?;
        }
        StmtKind::AnnAssign(t, v) => {
            if let Some(v) = v {
                expr(r, v)?;
                target(r, t)?;
            }
        }
        StmtKind::If(c, a, b) | StmtKind::While(c, a, b) => {
            expr(r, c)?;
            body(r, a)?;
            body(r, b)?;
        }
        StmtKind::For(t, it, a, b) => {
            expr(r, it)?;
            target(r, t)?;
            body(r, a)?;
            body(r, b)?;
        }
        StmtKind::Def(f) => {
            func(r, f)?;
            r.assign(&f.name);
        }
        StmtKind::Class(c) => {
            for b in &c.bases {
                match b {
                    Arg::Pos(e) | Arg::Kw(_, e) | Arg::Star(e) | Arg::StarStar(e) => expr(r, e)?,
                }
            }
            for d in &c.decorators {
                expr(r, d)?;
            }
            let mut cr = Raw {
                kind: Some(ScopeKind::Class),
                line: c.line,
                ..Default::default()
            };
            body(&mut cr, &c.body)?;
            r.children.push((class_key(c), cr));
            r.assign(&c.name);
        }
        StmtKind::Return(e) => {
            if let Some(e) = e {
                expr(r, e)?;
            }
        }
        StmtKind::Pass | StmtKind::Break | StmtKind::Continue => {}
        StmtKind::Del(ts) => {
            for t in ts {
                target(r, t)?;
            }
        }
        StmtKind::Assert(a, b) => {
            expr(r, a)?;
            if let Some(b) = b {
                expr(r, b)?;
            }
        }
        StmtKind::Raise(a, b) => {
            for e in [a, b].into_iter().flatten() {
                expr(r, e)?;
            }
        }
        StmtKind::Try {
            body: b,
            handlers,
            orelse,
            finalbody,
        } => {
            body(r, b)?;
            for h in handlers {
                if let Some(t) = &h.typ {
                    expr(r, t)?;
                }
                if let Some(n) = &h.name {
                    r.assign(n);
                }
                body(r, &h.body)?;
            }
            body(r, orelse)?;
            body(r, finalbody)?;
        }
        StmtKind::With(items, b) => {
            for (cm, t) in items {
                expr(r, cm)?;
                if let Some(t) = t {
                    target(r, t)?;
                }
            }
            body(r, b)?;
        }
        StmtKind::Global(ns) => {
            for n in ns {
                r.globals.insert(n.clone());
            }
        }
        StmtKind::Nonlocal(ns) => {
            for n in ns {
                r.nonlocals.insert(n.clone());
            }
        }
        StmtKind::Import(ns) => {
            for (n, alias) in ns {
                let bound = alias
                    .clone()
                    .unwrap_or_else(|| Rc::from(n.split('.').next().unwrap_or("")));
                r.assign(&bound);
            }
        }
        StmtKind::ImportFrom(_, ns) => {
            for (n, alias) in ns {
                r.assign(alias.as_ref().unwrap_or(n));
            }
        }
    }
    Ok(())
}

fn expr(r: &mut Raw, e: &Expr) -> Result<(), SyntaxError> {
    match &e.kind {
        ExprKind::Const(_) => {}
        ExprKind::Name(n) => {
            r.used.insert(n.clone());
        }
        ExprKind::FString(parts) => fparts(r, parts)?,
        ExprKind::Tuple(items)
        | ExprKind::List(items)
        | ExprKind::Set(items)
        | ExprKind::BoolOp(_, items) => {
            for i in items {
                expr(r, i)?;
            }
        }
        ExprKind::Dict(items) => {
            for (k, v) in items {
                if let Some(k) = k {
                    expr(r, k)?;
                }
                expr(r, v)?;
            }
        }
        ExprKind::Starred(x)
        | ExprKind::Attribute(x, _)
        | ExprKind::Unary(_, x)
        | ExprKind::YieldFrom(x) => {
            if matches!(e.kind, ExprKind::YieldFrom(_)) {
                r.generator = true;
            }
            expr(r, x)?
        }
        ExprKind::Subscript(a, b) | ExprKind::BinOp(a, _, b) => {
            expr(r, a)?;
            expr(r, b)?;
        }
        ExprKind::Slice(a, b, c) => {
            for x in [a, b, c].into_iter().flatten() {
                expr(r, x)?;
            }
        }
        ExprKind::Call(f, args) => {
            expr(r, f)?;
            for a in args {
                match a {
                    Arg::Pos(e) | Arg::Kw(_, e) | Arg::Star(e) | Arg::StarStar(e) => expr(r, e)?,
                }
            }
        }
        ExprKind::Compare(a, rest) => {
            expr(r, a)?;
            for (_, b) in rest {
                expr(r, b)?;
            }
        }
        ExprKind::IfExp(a, b, c) => {
            expr(r, a)?;
            expr(r, b)?;
            expr(r, c)?;
        }
        ExprKind::Lambda(f) => func(r, f)?,
        ExprKind::Comp(c) => {
            // The first iterable is evaluated in the enclosing scope, as in CPython.
            expr(r, &c.gens[0].iter)?;
            let mut cr = Raw {
                kind: Some(ScopeKind::Function),
                line: c.line,
                is_comp: true,
                ..Default::default()
            };
            cr.params.push(Rc::from(".0"));
            cr.generator = c.kind == CompKind::Gen;
            for (i, g) in c.gens.iter().enumerate() {
                if i > 0 {
                    expr(&mut cr, &g.iter)?;
                }
                target(&mut cr, &g.target)?;
                for cond in &g.ifs {
                    expr(&mut cr, cond)?;
                }
            }
            expr(&mut cr, &c.elt)?;
            if let Some(v) = &c.value {
                expr(&mut cr, v)?;
            }
            for n in std::mem::take(&mut cr.walrus) {
                if r.is_comp {
                    // Still inside a comprehension: the binding goes further out.
                    r.used.insert(n.clone());
                    if !r.walrus.contains(&n) {
                        r.walrus.push(n.clone());
                    }
                } else {
                    r.assign(&n);
                }
                if r.kind == Some(ScopeKind::Module) || (r.kind == Some(ScopeKind::Class)) {
                    cr.globals.insert(n);
                } else {
                    cr.nonlocals.insert(n);
                }
            }
            r.children.push((comp_key(c), cr));
        }
        ExprKind::Yield(x) => {
            r.generator = true;
            if let Some(x) = x {
                expr(r, x)?;
            }
        }
        ExprKind::NamedExpr(n, v) => {
            expr(r, v)?;
            if r.is_comp {
                r.used.insert(n.clone());
                if !r.walrus.contains(n) {
                    r.walrus.push(n.clone());
                }
            } else {
                r.assign(n);
            }
        }
    }
    Ok(())
}

fn fparts(r: &mut Raw, parts: &[FStrPart]) -> Result<(), SyntaxError> {
    for p in parts {
        if let FStrPart::Expr { expr: e, spec, .. } = p {
            expr(r, e)?;
            fparts(r, spec)?;
        }
    }
    Ok(())
}
