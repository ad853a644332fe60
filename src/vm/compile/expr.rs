//! Expressions, calls, comprehensions and f-strings.

use std::rc::Rc;

use super::super::ast::*;
use super::super::error::SyntaxError;
use super::super::op::{CodeKind, Op};
use super::super::symtable;
use super::{CResult, Compiler};

impl Compiler {
    pub(super) fn expr(&mut self, e: &Expr) -> CResult<()> {
        let saved = self.unit().line;
        self.unit().line = e.line;
        let r = self.expr_inner(e);
        self.unit().line = saved;
        r
    }

    fn expr_inner(&mut self, e: &Expr) -> CResult<()> {
        match &e.kind {
            ExprKind::Const(c) => self.emit_const(c.clone()),
            ExprKind::Name(n) => self.load_name(n),
            ExprKind::FString(parts) => self.fstring(parts)?,
            ExprKind::Tuple(items) => {
                if self.starred_seq(items, false)? {
                    self.emit(Op::ListToTuple);
                } else {
                    self.emit(Op::BuildTuple(items.len() as u32));
                }
            }
            ExprKind::List(items) => {
                if !self.starred_seq(items, false)? {
                    self.emit(Op::BuildList(items.len() as u32));
                }
            }
            ExprKind::Set(items) => {
                if !self.starred_seq(items, true)? {
                    self.emit(Op::BuildSet(items.len() as u32));
                }
            }
            ExprKind::Dict(items) => {
                if items.iter().all(|(k, _)| k.is_some()) {
                    for (k, v) in items {
                        if let Some(k) = k {
                            self.expr(k)?;
                        }
                        self.expr(v)?;
                    }
                    self.emit(Op::BuildMap(items.len() as u32));
                } else {
                    self.emit(Op::BuildMap(0));
                    for (k, v) in items {
                        match k {
                            Some(k) => {
                                self.expr(k)?;
                                self.expr(v)?;
                                self.emit(Op::MapAdd(1));
                            }
                            None => {
                                self.expr(v)?;
                                self.emit(Op::DictUpdate(1));
                            }
                        }
                    }
                }
            }
            ExprKind::Starred(_) => {
                return Err(SyntaxError {
                    msg: "can't use starred expression here".into(),
                    line: e.line,
                    col: 1,
                });
            }
            ExprKind::Attribute(obj, attr) => {
                self.expr(obj)?;
                let i = self.name_idx(attr);
                self.emit(Op::LoadAttr(i));
            }
            ExprKind::Subscript(obj, key) => {
                self.expr(obj)?;
                self.expr(key)?;
                self.emit(Op::Subscr);
            }
            ExprKind::Slice(a, b, c) => {
                for x in [a, b] {
                    match x {
                        Some(x) => self.expr(x)?,
                        None => self.emit_const(Const::None),
                    }
                }
                match c {
                    Some(c) => {
                        self.expr(c)?;
                        self.emit(Op::BuildSlice(3));
                    }
                    None => {
                        self.emit(Op::BuildSlice(2));
                    }
                }
            }
            ExprKind::Call(f, args) => self.call(f, args)?,
            ExprKind::BinOp(a, op, b) => {
                self.expr(a)?;
                self.expr(b)?;
                self.emit(Op::Binary(*op));
            }
            ExprKind::Unary(op, a) => {
                self.expr(a)?;
                self.emit(Op::Unary(*op));
            }
            ExprKind::BoolOp(is_and, items) => {
                let mut jumps = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    self.expr(item)?;
                    if i + 1 < items.len() {
                        let op = if *is_and {
                            Op::JumpIfFalseOrPop(0)
                        } else {
                            Op::JumpIfTrueOrPop(0)
                        };
                        jumps.push(self.emit(op));
                    }
                }
                for j in jumps {
                    self.patch_here(j);
                }
            }
            ExprKind::Compare(first, rest) => {
                self.expr(first)?;
                let mut cleanups = Vec::new();
                for (i, (op, rhs)) in rest.iter().enumerate() {
                    self.expr(rhs)?;
                    if i + 1 < rest.len() {
                        self.emit(Op::Dup);
                        self.emit(Op::Rot3);
                        self.emit(Op::Compare(*op));
                        cleanups.push(self.emit(Op::JumpIfFalseOrPop(0)));
                    } else {
                        self.emit(Op::Compare(*op));
                    }
                }
                if !cleanups.is_empty() {
                    let end = self.emit(Op::Jump(0));
                    for c in cleanups {
                        self.patch_here(c);
                    }
                    self.emit(Op::Rot2);
                    self.emit(Op::Pop);
                    self.patch_here(end);
                }
            }
            ExprKind::IfExp(cond, body, orelse) => {
                self.expr(cond)?;
                let j = self.emit(Op::PopJumpIfFalse(0));
                self.expr(body)?;
                let end = self.emit(Op::Jump(0));
                self.patch_here(j);
                self.expr(orelse)?;
                self.patch_here(end);
            }
            ExprKind::Lambda(f) => self.function(f)?,
            ExprKind::Comp(c) => self.comprehension(c)?,
            ExprKind::Yield(v) => {
                match v {
                    Some(v) => self.expr(v)?,
                    None => self.emit_const(Const::None),
                }
                self.emit(Op::Yield);
            }
            ExprKind::YieldFrom(v) => {
                self.expr(v)?;
                self.emit(Op::GetIter);
                self.emit_const(Const::None);
                let start = self.here();
                let exit = self.emit(Op::SendIter(0));
                self.emit(Op::Yield);
                self.emit(Op::Jump(start as u32));
                self.patch_here(exit);
            }
            ExprKind::NamedExpr(n, v) => {
                self.expr(v)?;
                self.emit(Op::Dup);
                self.store_name(n);
            }
        }
        Ok(())
    }

    /// Sequence displays containing `*x`: builds a list (or set) incrementally. Returns false
    /// when there is no star and the caller should emit the plain build op.
    fn starred_seq(&mut self, items: &[Expr], set: bool) -> CResult<bool> {
        let has_star = items.iter().any(|i| matches!(i.kind, ExprKind::Starred(_)));
        if !has_star {
            for i in items {
                self.expr(i)?;
            }
            return Ok(false);
        }
        self.emit(if set {
            Op::BuildSet(0)
        } else {
            Op::BuildList(0)
        });
        for i in items {
            match &i.kind {
                ExprKind::Starred(inner) => {
                    self.expr(inner)?;
                    self.emit(if set {
                        Op::SetUpdate(1)
                    } else {
                        Op::ListExtend(1)
                    });
                }
                _ => {
                    self.expr(i)?;
                    self.emit(if set {
                        Op::SetAdd(1)
                    } else {
                        Op::ListAppend(1)
                    });
                }
            }
        }
        Ok(true)
    }

    fn call(&mut self, f: &Expr, args: &[Arg]) -> CResult<()> {
        if let ExprKind::Attribute(obj, name) = &f.kind
            && args.iter().all(|a| matches!(a, Arg::Pos(_)))
        {
            let local = match &obj.kind {
                ExprKind::Name(n) => match self.access(n) {
                    symtable::Access::Fast(v) => u16::try_from(v).ok(),
                    _ => None,
                },
                _ => None,
            };
            let i = self.name_idx(name);
            match local.zip(u16::try_from(i).ok()) {
                Some((v, m)) => {
                    self.unit().line = f.line;
                    self.emit(Op::LoadFastMethod(v, m));
                }
                None => {
                    self.expr(obj)?;
                    self.unit().line = f.line;
                    self.emit(Op::LoadMethod(i));
                }
            }
            for a in args {
                if let Arg::Pos(e) = a {
                    self.expr(e)?;
                }
            }
            self.emit(Op::CallMethod(args.len() as u32));
            return Ok(());
        }
        self.expr(f)?;
        let simple = args.iter().all(|a| matches!(a, Arg::Pos(_) | Arg::Kw(..)));
        if simple {
            let mut kwnames = Vec::new();
            for a in args {
                match a {
                    Arg::Pos(e) => self.expr(e)?,
                    Arg::Kw(n, e) => {
                        self.expr(e)?;
                        kwnames.push(n.clone());
                    }
                    _ => {}
                }
            }
            if kwnames.is_empty() {
                self.emit(Op::Call(args.len() as u32));
            } else {
                let n = kwnames.len() as u32;
                for k in kwnames {
                    self.emit_const(Const::Str(k));
                }
                self.emit(Op::BuildTuple(n));
                self.emit(Op::CallKw(args.len() as u32));
            }
            return Ok(());
        }
        self.emit(Op::BuildList(0));
        for a in args {
            match a {
                Arg::Pos(e) => {
                    self.expr(e)?;
                    self.emit(Op::ListAppend(1));
                }
                Arg::Star(e) => {
                    self.expr(e)?;
                    self.emit(Op::ListExtend(1));
                }
                _ => {}
            }
        }
        self.emit(Op::ListToTuple);
        if args
            .iter()
            .any(|a| matches!(a, Arg::Kw(..) | Arg::StarStar(_)))
        {
            self.emit(Op::BuildMap(0));
            for a in args {
                match a {
                    Arg::Kw(n, e) => {
                        self.emit_const(Const::Str(n.clone()));
                        self.expr(e)?;
                        self.emit(Op::MapAdd(1));
                    }
                    Arg::StarStar(e) => {
                        self.expr(e)?;
                        self.emit(Op::DictUpdate(1));
                    }
                    _ => {}
                }
            }
        } else {
            self.emit_const(Const::None);
        }
        self.emit(Op::CallEx);
        Ok(())
    }

    fn comprehension(&mut self, c: &Comprehension) -> CResult<()> {
        let scope = self
            .scopes
            .get(&symtable::comp_key(c))
            .cloned()
            .unwrap_or_default();
        let name: Rc<str> = Rc::from(match c.kind {
            CompKind::List => "<listcomp>",
            CompKind::Set => "<setcomp>",
            CompKind::Dict => "<dictcomp>",
            CompKind::Gen => "<genexpr>",
        });
        let qual = self.qualname(&name);
        self.push_unit(name, qual, CodeKind::Function, scope, c.line);
        self.unit().code.argcount = 1;
        match c.kind {
            CompKind::List => {
                self.emit(Op::BuildList(0));
            }
            CompKind::Set => {
                self.emit(Op::BuildSet(0));
            }
            CompKind::Dict => {
                self.emit(Op::BuildMap(0));
            }
            CompKind::Gen => {}
        }
        self.comp_gen(c, 0)?;
        if c.kind == CompKind::Gen {
            self.emit_const(Const::None);
        }
        self.emit(Op::Return);
        let code = self.pop_unit();
        let flags = if self.closure(&code) { 4 } else { 0 };
        let idx = self.add_code(code);
        self.emit(Op::MakeFunction(idx, flags));
        self.expr(&c.gens[0].iter)?;
        self.emit(Op::GetIter);
        self.emit(Op::Call(1));
        Ok(())
    }

    fn comp_gen(&mut self, c: &Comprehension, depth: usize) -> CResult<()> {
        let g = &c.gens[depth];
        if depth == 0 {
            self.emit(Op::LoadFast(0));
        } else {
            self.expr(&g.iter)?;
            self.emit(Op::GetIter);
        }
        let start = self.here();
        let exit = self.emit(Op::ForIter(0));
        self.store(&g.target)?;
        for cond in &g.ifs {
            self.expr(cond)?;
            self.emit(Op::PopJumpIfFalse(start as u32));
        }
        if depth + 1 < c.gens.len() {
            self.comp_gen(c, depth + 1)?;
        } else {
            let n = (c.gens.len() + 1) as u32;
            match c.kind {
                CompKind::List => {
                    self.expr(&c.elt)?;
                    self.emit(Op::ListAppend(n));
                }
                CompKind::Set => {
                    self.expr(&c.elt)?;
                    self.emit(Op::SetAdd(n));
                }
                CompKind::Dict => {
                    self.expr(&c.elt)?;
                    if let Some(v) = &c.value {
                        self.expr(v)?;
                    }
                    self.emit(Op::MapAdd(n));
                }
                CompKind::Gen => {
                    self.expr(&c.elt)?;
                    self.emit(Op::Yield);
                    self.emit(Op::Pop);
                }
            }
        }
        self.emit(Op::Jump(start as u32));
        self.patch_here(exit);
        Ok(())
    }

    fn fstring(&mut self, parts: &[FStrPart]) -> CResult<()> {
        for p in parts {
            match p {
                FStrPart::Lit(s) => self.emit_const(Const::Str(Rc::from(s.as_str()))),
                FStrPart::Expr { expr, conv, spec } => {
                    self.expr(expr)?;
                    let has_spec = !spec.is_empty();
                    if has_spec {
                        self.fstring(spec)?;
                    }
                    let c = conv.map(|c| c as u8).unwrap_or(0);
                    self.emit(Op::FormatValue(c, has_spec));
                }
            }
        }
        self.emit(Op::BuildString(parts.len() as u32));
        Ok(())
    }
}
