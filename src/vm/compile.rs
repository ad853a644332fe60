//! AST to bytecode. One `Unit` per code object; `fblocks` tracks the enclosing loops, `try`
//! blocks, handlers and `with` blocks so that `break`, `continue` and `return` can run the
//! `finally` bodies and `__exit__` calls they jump over.

use std::rc::Rc;

use super::ast::*;
use super::error::SyntaxError;
use super::op::{Code, CodeFlags, CodeKind, Op};
use super::symtable::{self, Access, ScopeInfo, ScopeKind, Scopes};

type CResult<T> = Result<T, SyntaxError>;

#[derive(Clone)]
enum FBlock {
    Loop {
        is_for: bool,
        start: usize,
        breaks: Vec<usize>,
    },
    Try,
    Finally(Vec<Stmt>),
    Handler,
    With,
}

struct Unit {
    code: Code,
    scope: Rc<ScopeInfo>,
    skind: ScopeKind,
    fblocks: Vec<FBlock>,
    line: u32,
}

pub struct Compiler {
    scopes: Scopes,
    units: Vec<Unit>,
    filename: Rc<str>,
}

pub fn compile_module(module: &[Stmt], filename: &str) -> CResult<Rc<Code>> {
    let scopes = symtable::analyze(module)?;
    let filename: Rc<str> = Rc::from(filename);
    let scope = scopes.get(&0).cloned().unwrap_or_default();
    let mut c = Compiler {
        scopes,
        units: Vec::new(),
        filename,
    };
    c.push_unit(
        Rc::from("<module>"),
        Rc::from("<module>"),
        CodeKind::Module,
        scope,
        1,
    );
    c.body(module)?;
    c.emit_const(Const::None);
    c.emit(Op::Return);
    Ok(Rc::new(c.pop_unit()))
}

fn new_code(
    name: Rc<str>,
    qualname: Rc<str>,
    filename: Rc<str>,
    kind: CodeKind,
    line: u32,
) -> Code {
    Code {
        name,
        qualname,
        filename,
        kind,
        flags: CodeFlags::default(),
        ops: Vec::new(),
        lines: Vec::new(),
        consts: Vec::new(),
        names: Vec::new(),
        varnames: Vec::new(),
        argcount: 0,
        kwonlycount: 0,
        cellvars: Vec::new(),
        freevars: Vec::new(),
        cell_params: Vec::new(),
        codes: Vec::new(),
        first_line: line,
        rt_consts: Default::default(),
        global_cache: Default::default(),
        method_cache: Default::default(),
    }
}

impl Compiler {
    fn push_unit(
        &mut self,
        name: Rc<str>,
        qualname: Rc<str>,
        kind: CodeKind,
        scope: Rc<ScopeInfo>,
        line: u32,
    ) {
        let mut code = new_code(name, qualname, self.filename.clone(), kind, line);
        let skind = match kind {
            CodeKind::Module => ScopeKind::Module,
            CodeKind::Function => ScopeKind::Function,
            CodeKind::Class => ScopeKind::Class,
        };
        if skind == ScopeKind::Function {
            code.varnames = scope.locals.clone();
        }
        code.cellvars = scope.cells.clone();
        code.freevars = scope.frees.clone();
        code.flags.generator = scope.generator && skind == ScopeKind::Function;
        self.units.push(Unit {
            code,
            scope,
            skind,
            fblocks: Vec::new(),
            line,
        });
    }

    fn pop_unit(&mut self) -> Code {
        let u = self.units.pop();
        let mut code = u.map(|u| u.code).unwrap_or_else(|| {
            new_code(
                "?".into(),
                "?".into(),
                self.filename.clone(),
                CodeKind::Module,
                0,
            )
        });
        let params =
            code.argcount + code.kwonlycount + code.flags.varargs as u32 + code.flags.varkw as u32;
        for (ci, cell) in code.cellvars.iter().enumerate() {
            if let Some(pi) = code.varnames.iter().position(|v| v == cell)
                && (pi as u32) < params
            {
                code.cell_params.push((ci as u32, pi as u32));
            }
        }
        code
    }

    fn unit(&mut self) -> &mut Unit {
        let n = self.units.len() - 1;
        &mut self.units[n]
    }

    fn emit(&mut self, op: Op) -> usize {
        let u = self.unit();
        let line = u.line;
        u.code.ops.push(op);
        u.code.lines.push(line);
        u.code.ops.len() - 1
    }

    fn here(&mut self) -> usize {
        self.unit().code.ops.len()
    }

    fn patch(&mut self, at: usize, target: usize) {
        let t = target as u32;
        let op = &mut self.unit().code.ops[at];
        *op = match *op {
            Op::Jump(_) => Op::Jump(t),
            Op::PopJumpIfFalse(_) => Op::PopJumpIfFalse(t),
            Op::PopJumpIfTrue(_) => Op::PopJumpIfTrue(t),
            Op::JumpIfFalseOrPop(_) => Op::JumpIfFalseOrPop(t),
            Op::JumpIfTrueOrPop(_) => Op::JumpIfTrueOrPop(t),
            Op::ForIter(_) => Op::ForIter(t),
            Op::SendIter(_) => Op::SendIter(t),
            Op::SetupExcept(_) => Op::SetupExcept(t),
            other => other,
        };
    }

    fn patch_here(&mut self, at: usize) {
        let h = self.here();
        self.patch(at, h);
    }

    fn emit_const(&mut self, c: Const) {
        let u = self.unit();
        u.code.consts.push(c);
        let i = u.code.consts.len() as u32 - 1;
        self.emit(Op::LoadConst(i));
    }

    fn name_idx(&mut self, n: &str) -> u32 {
        let names = &mut self.unit().code.names;
        match names.iter().position(|x| &**x == n) {
            Some(i) => i as u32,
            None => {
                names.push(Rc::from(n));
                names.len() as u32 - 1
            }
        }
    }

    fn access(&mut self, n: &str) -> Access {
        let u = self.unit();
        u.scope.access(u.skind, n)
    }

    fn load_name(&mut self, n: &str) {
        let op = match self.access(n) {
            Access::Fast(i) => Op::LoadFast(i),
            Access::Deref(i) => Op::LoadDeref(i),
            Access::Global => Op::LoadGlobal(self.name_idx(n)),
            Access::Name => Op::LoadName(self.name_idx(n)),
        };
        self.emit(op);
    }

    fn store_name(&mut self, n: &str) {
        let op = match self.access(n) {
            Access::Fast(i) => Op::StoreFast(i),
            Access::Deref(i) => Op::StoreDeref(i),
            Access::Global => Op::StoreGlobal(self.name_idx(n)),
            Access::Name => Op::StoreName(self.name_idx(n)),
        };
        self.emit(op);
    }

    fn delete_name(&mut self, n: &str) {
        let op = match self.access(n) {
            Access::Fast(i) => Op::DeleteFast(i),
            Access::Deref(i) => Op::DeleteDeref(i),
            Access::Global => Op::DeleteGlobal(self.name_idx(n)),
            Access::Name => Op::DeleteName(self.name_idx(n)),
        };
        self.emit(op);
    }

    fn body(&mut self, stmts: &[Stmt]) -> CResult<()> {
        stmts.iter().try_for_each(|s| self.stmt(s))
    }

    fn stmt(&mut self, s: &Stmt) -> CResult<()> {
        self.unit().line = s.line;
        match &s.kind {
            StmtKind::Expr(e) => {
                self.expr(e)?;
                self.emit(Op::Pop);
            }
            StmtKind::Assign(targets, value) => {
                self.expr(value)?;
                for (i, t) in targets.iter().enumerate() {
                    if i + 1 < targets.len() {
                        self.emit(Op::Dup);
                    }
                    self.store(t)?;
                }
            }
            StmtKind::AugAssign(t, op, v) => self.aug_assign(t, *op, v)?,
            StmtKind::AnnAssign(t, v) => {
                if let Some(v) = v {
                    self.expr(v)?;
                    self.store(t)?;
                }
            }
            StmtKind::If(c, a, b) => {
                self.expr(c)?;
                let j = self.emit(Op::PopJumpIfFalse(0));
                self.body(a)?;
                if b.is_empty() {
                    self.patch_here(j);
                } else {
                    let end = self.emit(Op::Jump(0));
                    self.patch_here(j);
                    self.body(b)?;
                    self.patch_here(end);
                }
            }
            StmtKind::While(c, body, orelse) => {
                let start = self.here();
                self.expr(c)?;
                let exit = self.emit(Op::PopJumpIfFalse(0));
                self.unit().fblocks.push(FBlock::Loop {
                    is_for: false,
                    start,
                    breaks: vec![],
                });
                self.body(body)?;
                self.emit(Op::Jump(start as u32));
                let fb = self.unit().fblocks.pop();
                self.patch_here(exit);
                self.body(orelse)?;
                if let Some(FBlock::Loop { breaks, .. }) = fb {
                    breaks.into_iter().for_each(|b| self.patch_here(b));
                }
            }
            StmtKind::For(t, it, body, orelse) => {
                self.expr(it)?;
                self.emit(Op::GetIter);
                let start = self.here();
                let exit = self.emit(Op::ForIter(0));
                self.store(t)?;
                self.unit().fblocks.push(FBlock::Loop {
                    is_for: true,
                    start,
                    breaks: vec![],
                });
                self.body(body)?;
                self.emit(Op::Jump(start as u32));
                let fb = self.unit().fblocks.pop();
                self.patch_here(exit);
                self.body(orelse)?;
                if let Some(FBlock::Loop { breaks, .. }) = fb {
                    breaks.into_iter().for_each(|b| self.patch_here(b));
                }
            }
            StmtKind::Break | StmtKind::Continue => {
                self.break_continue(matches!(s.kind, StmtKind::Break))?
            }
            StmtKind::Return(v) => {
                match v {
                    Some(v) => self.expr(v)?,
                    None => self.emit_const(Const::None),
                }
                self.unwind_fblocks(None, true)?;
                self.emit(Op::Return);
            }
            StmtKind::Pass => {}
            StmtKind::Def(f) => {
                for d in &f.decorators {
                    self.expr(d)?;
                }
                self.function(f)?;
                for _ in &f.decorators {
                    self.emit(Op::Call(1));
                }
                self.store_name(&f.name);
            }
            StmtKind::Class(c) => self.class(c)?,
            StmtKind::Del(ts) => {
                for t in ts {
                    self.delete(t)?;
                }
            }
            StmtKind::Assert(test, msg) => {
                self.expr(test)?;
                let j = self.emit(Op::PopJumpIfTrue(0));
                self.emit(Op::LoadAssertionError);
                if let Some(m) = msg {
                    self.expr(m)?;
                    self.emit(Op::Call(1));
                }
                self.emit(Op::Raise(1));
                self.patch_here(j);
            }
            StmtKind::Raise(e, cause) => {
                let mut n = 0;
                if let Some(e) = e {
                    self.expr(e)?;
                    n = 1;
                }
                if let Some(c) = cause {
                    self.expr(c)?;
                    n = 2;
                }
                self.emit(Op::Raise(n));
            }
            StmtKind::Try {
                body,
                handlers,
                orelse,
                finalbody,
            } => {
                if finalbody.is_empty() {
                    self.try_except(body, handlers, orelse)?;
                } else {
                    self.try_finally(body, handlers, orelse, finalbody)?;
                }
            }
            StmtKind::With(items, body) => self.with(items, body)?,
            StmtKind::Global(_) | StmtKind::Nonlocal(_) => {}
            StmtKind::Import(names) => {
                for (n, alias) in names {
                    let i = self.name_idx(n);
                    self.emit(Op::Import(i));
                    let bound = alias
                        .clone()
                        .unwrap_or_else(|| Rc::from(n.split('.').next().unwrap_or("")));
                    self.store_name(&bound);
                }
            }
            StmtKind::ImportFrom(m, names) => {
                let i = self.name_idx(m);
                self.emit(Op::Import(i));
                if names.is_empty() {
                    self.emit(Op::ImportStar);
                    return Ok(());
                }
                for (n, alias) in names {
                    let i = self.name_idx(n);
                    self.emit(Op::ImportFrom(i));
                    self.store_name(alias.as_ref().unwrap_or(n));
                }
                self.emit(Op::Pop);
            }
        }
        Ok(())
    }

    /// Emits the cleanup for every fblock up to (not including) the innermost loop, or all
    /// of them for `return`. With `preserve_tos`, a return value sits on top of the stack.
    fn unwind_fblocks(
        &mut self,
        stop_at_loop: Option<bool>,
        preserve_tos: bool,
    ) -> CResult<Option<usize>> {
        let blocks = self.unit().fblocks.clone();
        for (idx, fb) in blocks.iter().enumerate().rev() {
            match fb {
                FBlock::Loop { is_for, .. } => {
                    if let Some(is_break) = stop_at_loop {
                        if is_break && *is_for {
                            self.emit(Op::Pop);
                        }
                        return Ok(Some(idx));
                    }
                    if *is_for && preserve_tos {
                        self.emit(Op::Rot2);
                        self.emit(Op::Pop);
                    }
                }
                FBlock::Try => {
                    self.emit(Op::PopBlock);
                }
                FBlock::Handler => {
                    self.emit(Op::PopExcept);
                }
                FBlock::With => {
                    self.emit(Op::PopBlock);
                    if preserve_tos {
                        self.emit(Op::Rot2);
                    }
                    for _ in 0..3 {
                        self.emit_const(Const::None);
                    }
                    self.emit(Op::Call(3));
                    self.emit(Op::Pop);
                }
                FBlock::Finally(body) => {
                    self.emit(Op::PopBlock);
                    // The finally body runs outside its own block, as it would on a normal exit.
                    let saved = self.unit().fblocks.split_off(idx);
                    let r = self.body(body);
                    self.unit().fblocks.extend(saved);
                    r?;
                }
            }
        }
        Ok(None)
    }

    fn break_continue(&mut self, is_break: bool) -> CResult<()> {
        let Some(idx) = self.unwind_fblocks(Some(is_break), false)? else {
            return Err(SyntaxError {
                msg: "'break' outside loop".into(),
                line: self.unit().line,
                col: 1,
            });
        };
        let j = self.emit(Op::Jump(0));
        if let FBlock::Loop { start, breaks, .. } = &mut self.unit().fblocks[idx] {
            if is_break {
                breaks.push(j);
            } else {
                let s = *start;
                self.patch(j, s);
            }
        }
        Ok(())
    }

    fn try_except(&mut self, body: &[Stmt], handlers: &[Handler], orelse: &[Stmt]) -> CResult<()> {
        let setup = self.emit(Op::SetupExcept(0));
        self.unit().fblocks.push(FBlock::Try);
        self.body(body)?;
        self.unit().fblocks.pop();
        self.emit(Op::PopBlock);
        self.body(orelse)?;
        let mut ends = vec![self.emit(Op::Jump(0))];
        self.patch_here(setup);
        for h in handlers {
            self.unit().line = h.line;
            let mut next = None;
            if let Some(t) = &h.typ {
                self.expr(t)?;
                self.emit(Op::ExcMatch);
                next = Some(self.emit(Op::PopJumpIfFalse(0)));
            }
            match &h.name {
                Some(n) => self.store_name(n),
                None => {
                    self.emit(Op::Pop);
                }
            }
            self.unit().fblocks.push(FBlock::Handler);
            self.body(&h.body)?;
            self.unit().fblocks.pop();
            self.emit(Op::PopExcept);
            ends.push(self.emit(Op::Jump(0)));
            if let Some(n) = next {
                self.patch_here(n);
            }
        }
        self.emit(Op::Reraise);
        for e in ends {
            self.patch_here(e);
        }
        Ok(())
    }

    fn try_finally(
        &mut self,
        body: &[Stmt],
        handlers: &[Handler],
        orelse: &[Stmt],
        finalbody: &[Stmt],
    ) -> CResult<()> {
        let setup = self.emit(Op::SetupExcept(0));
        self.unit()
            .fblocks
            .push(FBlock::Finally(finalbody.to_vec()));
        if handlers.is_empty() {
            self.body(body)?;
        } else {
            self.try_except(body, handlers, orelse)?;
        }
        self.unit().fblocks.pop();
        self.emit(Op::PopBlock);
        self.body(finalbody)?;
        let end = self.emit(Op::Jump(0));
        self.patch_here(setup);
        self.unit().fblocks.push(FBlock::Handler);
        self.body(finalbody)?;
        self.unit().fblocks.pop();
        self.emit(Op::Reraise);
        self.patch_here(end);
        Ok(())
    }

    fn with(&mut self, items: &[(Expr, Option<Expr>)], body: &[Stmt]) -> CResult<()> {
        let Some(((cm, target), rest)) = items.split_first() else {
            return self.body(body);
        };
        self.expr(cm)?;
        self.emit(Op::WithEnter);
        match target {
            Some(t) => self.store(t)?,
            None => {
                self.emit(Op::Pop);
            }
        }
        let setup = self.emit(Op::SetupExcept(0));
        self.unit().fblocks.push(FBlock::With);
        self.with(rest, body)?;
        self.unit().fblocks.pop();
        self.emit(Op::PopBlock);
        for _ in 0..3 {
            self.emit_const(Const::None);
        }
        self.emit(Op::Call(3));
        self.emit(Op::Pop);
        let end = self.emit(Op::Jump(0));
        self.patch_here(setup);
        // [exit, exc] -> [exit, exc, swallow?]
        self.emit(Op::WithExit);
        let swallow = self.emit(Op::PopJumpIfTrue(0));
        self.emit(Op::Reraise);
        self.patch_here(swallow);
        self.emit(Op::PopExcept);
        self.emit(Op::Pop);
        self.emit(Op::Pop);
        self.patch_here(end);
        Ok(())
    }

    fn aug_assign(&mut self, t: &Expr, op: BinOp, v: &Expr) -> CResult<()> {
        match &t.kind {
            ExprKind::Name(n) => {
                self.load_name(n);
                self.expr(v)?;
                self.emit(Op::Inplace(op));
                self.store_name(n);
            }
            ExprKind::Attribute(obj, attr) => {
                self.expr(obj)?;
                self.emit(Op::Dup);
                let i = self.name_idx(attr);
                self.emit(Op::LoadAttr(i));
                self.expr(v)?;
                self.emit(Op::Inplace(op));
                self.emit(Op::Rot2);
                self.emit(Op::StoreAttr(i));
            }
            ExprKind::Subscript(obj, key) => {
                self.expr(obj)?;
                self.expr(key)?;
                self.emit(Op::Dup2);
                self.emit(Op::Subscr);
                self.expr(v)?;
                self.emit(Op::Inplace(op));
                self.emit(Op::Rot3);
                self.emit(Op::StoreSubscr);
            }
            _ => {
                return Err(SyntaxError {
                    msg: "illegal expression for augmented assignment".into(),
                    line: t.line,
                    col: 1,
                });
            }
        }
        Ok(())
    }

    fn store(&mut self, t: &Expr) -> CResult<()> {
        match &t.kind {
            ExprKind::Name(n) => self.store_name(n),
            ExprKind::Attribute(obj, attr) => {
                self.expr(obj)?;
                let i = self.name_idx(attr);
                self.emit(Op::StoreAttr(i));
            }
            ExprKind::Subscript(obj, key) => {
                self.expr(obj)?;
                self.expr(key)?;
                self.emit(Op::StoreSubscr);
            }
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                match items
                    .iter()
                    .position(|i| matches!(i.kind, ExprKind::Starred(_)))
                {
                    Some(star) => {
                        self.emit(Op::UnpackEx(star as u16, (items.len() - star - 1) as u16));
                    }
                    None => {
                        self.emit(Op::UnpackSequence(items.len() as u32));
                    }
                }
                for i in items {
                    self.store(i)?;
                }
            }
            ExprKind::Starred(inner) => self.store(inner)?,
            _ => {
                return Err(SyntaxError {
                    msg: "cannot assign to expression".into(),
                    line: t.line,
                    col: 1,
                });
            }
        }
        Ok(())
    }

    fn delete(&mut self, t: &Expr) -> CResult<()> {
        match &t.kind {
            ExprKind::Name(n) => self.delete_name(n),
            ExprKind::Attribute(obj, attr) => {
                self.expr(obj)?;
                let i = self.name_idx(attr);
                self.emit(Op::DeleteAttr(i));
            }
            ExprKind::Subscript(obj, key) => {
                self.expr(obj)?;
                self.expr(key)?;
                self.emit(Op::DeleteSubscr);
            }
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                for i in items {
                    self.delete(i)?;
                }
            }
            _ => {
                return Err(SyntaxError {
                    msg: "cannot delete expression".into(),
                    line: t.line,
                    col: 1,
                });
            }
        }
        Ok(())
    }

    fn qualname(&mut self, name: &str) -> Rc<str> {
        let u = self.unit();
        match u.code.kind {
            CodeKind::Module => Rc::from(name),
            CodeKind::Class => Rc::from(format!("{}.{}", u.code.qualname, name)),
            CodeKind::Function => Rc::from(format!("{}.<locals>.{}", u.code.qualname, name)),
        }
    }

    /// Pushes the closure tuple for a child code's free variables; returns whether any.
    fn closure(&mut self, child: &Code) -> bool {
        if child.freevars.is_empty() {
            return false;
        }
        for f in child.freevars.clone().iter() {
            let u = self.unit();
            let idx = if let Some(i) = u.code.cellvars.iter().position(|c| c == f) {
                i
            } else {
                u.code.cellvars.len() + u.code.freevars.iter().position(|c| c == f).unwrap_or(0)
            };
            self.emit(Op::LoadClosure(idx as u32));
        }
        self.emit(Op::BuildTuple(child.freevars.len() as u32));
        true
    }

    fn add_code(&mut self, code: Code) -> u32 {
        let codes = &mut self.unit().code.codes;
        codes.push(Rc::new(code));
        codes.len() as u32 - 1
    }

    fn function(&mut self, f: &Rc<FuncDef>) -> CResult<()> {
        let mut flags = 0u8;
        let defaults: Vec<&Expr> = f.params.args.iter().filter_map(|a| a.1.as_ref()).collect();
        if !defaults.is_empty() {
            for d in &defaults {
                self.expr(d)?;
            }
            self.emit(Op::BuildTuple(defaults.len() as u32));
            flags |= 1;
        }
        if f.params.kwonly.iter().any(|a| a.1.is_some()) {
            let mut n = 0;
            for (name, d) in &f.params.kwonly {
                if let Some(d) = d {
                    self.emit_const(Const::Str(name.clone()));
                    self.expr(d)?;
                    n += 1;
                }
            }
            self.emit(Op::BuildMap(n));
            flags |= 2;
        }
        let scope = self
            .scopes
            .get(&symtable::func_key(f))
            .cloned()
            .unwrap_or_default();
        let qual = self.qualname(&f.name);
        self.push_unit(f.name.clone(), qual, CodeKind::Function, scope, f.line);
        {
            let c = &mut self.unit().code;
            c.argcount = f.params.args.len() as u32;
            c.kwonlycount = f.params.kwonly.len() as u32;
            c.flags.varargs = f.params.vararg.is_some();
            c.flags.varkw = f.params.kwarg.is_some();
        }
        let is_gen = self.unit().code.flags.generator;
        if f.is_lambda && is_gen {
            // `lambda: (yield)` is legal but pointless; treat it like a def body.
        }
        self.body(&f.body)?;
        if !matches!(f.body.last().map(|s| &s.kind), Some(StmtKind::Return(_))) || is_gen {
            self.emit_const(Const::None);
            self.emit(Op::Return);
        }
        let code = self.pop_unit();
        if self.closure(&code) {
            flags |= 4;
        }
        let idx = self.add_code(code);
        self.emit(Op::MakeFunction(idx, flags));
        Ok(())
    }

    fn class(&mut self, c: &Rc<ClassDef>) -> CResult<()> {
        for d in &c.decorators {
            self.expr(d)?;
        }
        let scope = self
            .scopes
            .get(&symtable::class_key(c))
            .cloned()
            .unwrap_or_default();
        let qual = self.qualname(&c.name);
        self.push_unit(c.name.clone(), qual, CodeKind::Class, scope, c.line);
        self.body(&c.body)?;
        self.emit_const(Const::None);
        self.emit(Op::Return);
        let code = self.pop_unit();
        let flags = if self.closure(&code) { 4 } else { 0 };
        let idx = self.add_code(code);
        self.emit(Op::MakeFunction(idx, flags));
        let mut n = 0;
        for b in &c.bases {
            if let Arg::Pos(e) = b {
                self.expr(e)?;
                n += 1;
            }
        }
        self.emit(Op::BuildTuple(n));
        self.emit_const(Const::Str(c.name.clone()));
        self.emit(Op::BuildClass);
        for _ in &c.decorators {
            self.emit(Op::Call(1));
        }
        self.store_name(&c.name);
        Ok(())
    }
}

mod expr;
