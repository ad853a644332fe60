//! Statement rules: `file_input`, `statement`, `simple_stmt`, `compound_stmt`, `block`.

use std::rc::Rc;

use super::super::ast::*;
use super::super::error::SyntaxError;
use super::super::lexer::Tok;
use super::Parser;

type PResult<T> = Result<T, SyntaxError>;

/// Checks that an expression can be assigned to; returns CPython's message otherwise.
pub(super) fn check_target(e: &Expr) -> Result<(), String> {
    match &e.kind {
        ExprKind::Name(_) | ExprKind::Attribute(..) | ExprKind::Subscript(..) => Ok(()),
        ExprKind::Tuple(items) | ExprKind::List(items) => {
            if items
                .iter()
                .filter(|i| matches!(i.kind, ExprKind::Starred(_)))
                .count()
                > 1
            {
                return Err("multiple starred expressions in assignment".into());
            }
            items.iter().try_for_each(check_target)
        }
        ExprKind::Starred(inner) => check_target(inner),
        ExprKind::Call(..) => Err("cannot assign to function call".into()),
        ExprKind::Const(_) => Err("cannot assign to literal".into()),
        _ => Err("cannot assign to expression".into()),
    }
}

impl Parser {
    pub(super) fn file_input(&mut self) -> PResult<Vec<Stmt>> {
        let mut body = Vec::new();
        while !matches!(self.peek(), Tok::Eof) {
            if matches!(self.peek(), Tok::Newline) {
                self.advance();
                continue;
            }
            if matches!(self.peek(), Tok::Indent) {
                return Err(self.error("unexpected indent"));
            }
            body.extend(self.statement()?);
        }
        Ok(body)
    }

    fn statement(&mut self) -> PResult<Vec<Stmt>> {
        match self.peek() {
            Tok::Kw("if" | "while" | "for" | "def" | "class" | "try" | "with") | Tok::Op("@") => {
                Ok(vec![self.compound_stmt()?])
            }
            _ => self.simple_stmts(),
        }
    }

    fn simple_stmts(&mut self) -> PResult<Vec<Stmt>> {
        let mut out = vec![self.simple_stmt()?];
        while self.eat_op(";") {
            if matches!(self.peek(), Tok::Newline) {
                break;
            }
            out.push(self.simple_stmt()?);
        }
        if !matches!(self.peek(), Tok::Newline | Tok::Eof) {
            return Err(self.error("invalid syntax"));
        }
        self.advance();
        Ok(out)
    }

    /// `block: NEWLINE INDENT statements DEDENT | simple_stmts`. `what` and `line` name the
    /// statement that owns the block, for CPython's IndentationError message.
    fn block(&mut self, what: &str, line: u32) -> PResult<Vec<Stmt>> {
        self.enter(super::DEEP)?;
        let r = self.block_inner(what, line);
        self.leave(super::DEEP);
        r
    }

    fn block_inner(&mut self, what: &str, line: u32) -> PResult<Vec<Stmt>> {
        self.expect_op(":")?;
        if !matches!(self.peek(), Tok::Newline) {
            return self.simple_stmts();
        }
        self.advance();
        if !matches!(self.peek(), Tok::Indent) {
            return Err(self.error(&format!(
                "expected an indented block after {what} on line {line}"
            )));
        }
        self.advance();
        let mut body = Vec::new();
        while !matches!(self.peek(), Tok::Dedent | Tok::Eof) {
            body.extend(self.statement()?);
        }
        self.advance();
        Ok(body)
    }

    fn loop_block(&mut self, what: &str, line: u32) -> PResult<Vec<Stmt>> {
        self.loop_depth += 1;
        let b = self.block(what, line);
        self.loop_depth -= 1;
        b
    }

    fn compound_stmt(&mut self) -> PResult<Stmt> {
        let line = self.line();
        let kind = match self.advance() {
            Tok::Kw("if") => return self.if_stmt(line, "'if' statement"),
            Tok::Kw("while") => {
                let cond = self.named_expression()?;
                let body = self.loop_block("'while' statement", line)?;
                let orelse = self.else_block()?;
                StmtKind::While(cond, body, orelse)
            }
            Tok::Kw("for") => {
                let target = self.target_list()?;
                self.expect_kw("in")?;
                let iter = self.star_expressions()?;
                let body = self.loop_block("'for' statement", line)?;
                let orelse = self.else_block()?;
                StmtKind::For(target, iter, body, orelse)
            }
            Tok::Kw("def") => StmtKind::Def(Rc::new(self.funcdef(vec![], line)?)),
            Tok::Kw("class") => StmtKind::Class(Rc::new(self.classdef(vec![], line)?)),
            Tok::Kw("try") => self.try_stmt(line)?,
            Tok::Kw("with") => {
                let mut items = Vec::new();
                loop {
                    let cm = self.expression()?;
                    let target = if self.eat_kw("as") {
                        Some(self.target()?)
                    } else {
                        None
                    };
                    items.push((cm, target));
                    if !self.eat_op(",") {
                        break;
                    }
                }
                StmtKind::With(items, self.block("'with' statement", line)?)
            }
            Tok::Op("@") => {
                let mut decorators = Vec::new();
                self.pos -= 1;
                while self.eat_op("@") {
                    decorators.push(self.named_expression()?);
                    if !matches!(self.advance(), Tok::Newline) {
                        return Err(self.error("invalid syntax"));
                    }
                }
                let line = self.line();
                if self.eat_kw("def") {
                    StmtKind::Def(Rc::new(self.funcdef(decorators, line)?))
                } else if self.eat_kw("class") {
                    StmtKind::Class(Rc::new(self.classdef(decorators, line)?))
                } else {
                    return Err(self.error("invalid syntax"));
                }
            }
            _ => unreachable!("compound_stmt called on a simple statement"),
        };
        Ok(Stmt { kind, line })
    }

    fn target(&mut self) -> PResult<Expr> {
        let e = self.primary()?;
        check_target(&e).map_err(|m| self.error(&m))?;
        Ok(e)
    }

    fn else_block(&mut self) -> PResult<Vec<Stmt>> {
        let line = self.line();
        if self.eat_kw("else") {
            self.block("'else' statement", line)
        } else {
            Ok(vec![])
        }
    }

    fn if_stmt(&mut self, line: u32, what: &str) -> PResult<Stmt> {
        let cond = self.named_expression()?;
        let body = self.block(what, line)?;
        let orelse = if self.is_kw("elif") {
            let l = self.line();
            self.advance();
            self.enter(1)?;
            let elif = self.if_stmt(l, "'elif' statement");
            self.leave(1);
            vec![elif?]
        } else {
            self.else_block()?
        };
        Ok(Stmt {
            kind: StmtKind::If(cond, body, orelse),
            line,
        })
    }

    fn funcdef(&mut self, decorators: Vec<Expr>, line: u32) -> PResult<FuncDef> {
        let name = self.name()?;
        self.expect_op("(")?;
        let params = self.parameters(")")?;
        self.expect_op(")")?;
        if self.eat_op("->") {
            self.expression()?;
        }
        self.func_depth += 1;
        let loops = std::mem::replace(&mut self.loop_depth, 0);
        let body = self.block("function definition", line);
        self.func_depth -= 1;
        self.loop_depth = loops;
        Ok(FuncDef {
            name,
            params,
            body: body?,
            decorators,
            line,
            is_lambda: false,
        })
    }

    fn classdef(&mut self, decorators: Vec<Expr>, line: u32) -> PResult<ClassDef> {
        let name = self.name()?;
        let mut bases = Vec::new();
        if self.eat_op("(") {
            while !self.eat_op(")") {
                if let (Tok::Name(n), Tok::Op("=")) = (self.peek().clone(), self.peek_at(1).clone())
                {
                    self.advance();
                    self.advance();
                    bases.push(Arg::Kw(n, self.expression()?));
                } else {
                    bases.push(Arg::Pos(self.expression()?));
                }
                if !self.eat_op(",") {
                    self.expect_op(")")?;
                    break;
                }
            }
        }
        // A class body is not a function: `return` stays illegal in it.
        let depth = std::mem::replace(&mut self.func_depth, 0);
        let loops = std::mem::replace(&mut self.loop_depth, 0);
        let body = self.block("class definition", line);
        self.func_depth = depth;
        self.loop_depth = loops;
        Ok(ClassDef {
            name,
            bases,
            body: body?,
            decorators,
            line,
        })
    }

    fn try_stmt(&mut self, line: u32) -> PResult<StmtKind> {
        let body = self.block("'try' statement", line)?;
        let mut handlers = Vec::new();
        while self.is_kw("except") {
            let line = self.line();
            self.advance();
            let mut typ = None;
            let mut name = None;
            if !self.is_op(":") {
                typ = Some(self.expression()?);
                if self.is_op(",") {
                    let mut items = vec![typ.take().unwrap_or_else(|| Expr {
                        kind: ExprKind::Tuple(vec![]),
                        line,
                    })];
                    while self.eat_op(",") {
                        items.push(self.expression()?);
                    }
                    return Err(self.error("multiple exception types must be parenthesized"));
                }
                if self.eat_kw("as") {
                    name = Some(self.name()?);
                }
            }
            let hbody = self.block("'except' statement", line)?;
            handlers.push(Handler {
                typ,
                name,
                body: hbody,
                line,
            });
        }
        let orelse = if !handlers.is_empty() {
            self.else_block()?
        } else {
            vec![]
        };
        let fline = self.line();
        let finalbody = if self.eat_kw("finally") {
            self.block("'finally' statement", fline)?
        } else {
            vec![]
        };
        if handlers.is_empty() && finalbody.is_empty() {
            return Err(self.error("expected 'except' or 'finally' block"));
        }
        Ok(StmtKind::Try {
            body,
            handlers,
            orelse,
            finalbody,
        })
    }

    fn simple_stmt(&mut self) -> PResult<Stmt> {
        let line = self.line();
        let kind = match self.peek().clone() {
            Tok::Kw("pass") => {
                self.advance();
                StmtKind::Pass
            }
            Tok::Kw("break") | Tok::Kw("continue") => {
                let is_break = self.is_kw("break");
                if self.loop_depth == 0 {
                    let msg = if is_break {
                        "'break' outside loop"
                    } else {
                        "'continue' not properly in loop"
                    };
                    return Err(self.error(msg));
                }
                self.advance();
                if is_break {
                    StmtKind::Break
                } else {
                    StmtKind::Continue
                }
            }
            Tok::Kw("return") => {
                if self.func_depth == 0 {
                    return Err(self.error("'return' outside function"));
                }
                self.advance();
                if matches!(self.peek(), Tok::Newline | Tok::Eof) || self.is_op(";") {
                    StmtKind::Return(None)
                } else {
                    StmtKind::Return(Some(self.star_expressions()?))
                }
            }
            Tok::Kw("raise") => {
                self.advance();
                if matches!(self.peek(), Tok::Newline | Tok::Eof) || self.is_op(";") {
                    StmtKind::Raise(None, None)
                } else {
                    let e = self.expression()?;
                    let cause = if self.eat_kw("from") {
                        Some(self.expression()?)
                    } else {
                        None
                    };
                    StmtKind::Raise(Some(e), cause)
                }
            }
            Tok::Kw("global") | Tok::Kw("nonlocal") => {
                let global = self.is_kw("global");
                self.advance();
                let mut names = vec![self.name()?];
                while self.eat_op(",") {
                    names.push(self.name()?);
                }
                if global {
                    StmtKind::Global(names)
                } else {
                    StmtKind::Nonlocal(names)
                }
            }
            Tok::Kw("del") => {
                self.advance();
                let e = self.star_expressions()?;
                let targets = match e.kind {
                    ExprKind::Tuple(items) => items,
                    _ => vec![e],
                };
                for t in &targets {
                    check_target(t).map_err(|m| self.error(&m.replace("assign to", "delete")))?;
                }
                StmtKind::Del(targets)
            }
            Tok::Kw("assert") => {
                self.advance();
                let test = self.expression()?;
                let msg = if self.eat_op(",") {
                    Some(self.expression()?)
                } else {
                    None
                };
                StmtKind::Assert(test, msg)
            }
            Tok::Kw("import") => {
                self.advance();
                let mut names = Vec::new();
                loop {
                    let n = self.dotted_name()?;
                    let alias = if self.eat_kw("as") {
                        Some(self.name()?)
                    } else {
                        None
                    };
                    names.push((n, alias));
                    if !self.eat_op(",") {
                        break;
                    }
                }
                StmtKind::Import(names)
            }
            Tok::Kw("from") => {
                self.advance();
                let module = self.dotted_name()?;
                self.expect_kw("import")?;
                let mut names = Vec::new();
                if !self.eat_op("*") {
                    let paren = self.eat_op("(");
                    loop {
                        let n = self.name()?;
                        let alias = if self.eat_kw("as") {
                            Some(self.name()?)
                        } else {
                            None
                        };
                        names.push((n, alias));
                        if !self.eat_op(",") || (paren && self.is_op(")")) {
                            break;
                        }
                    }
                    if paren {
                        self.expect_op(")")?;
                    }
                }
                StmtKind::ImportFrom(module, names)
            }
            _ => return self.expr_stmt(line),
        };
        Ok(Stmt { kind, line })
    }

    fn dotted_name(&mut self) -> PResult<Name> {
        let mut s = self.name()?.to_string();
        while self.eat_op(".") {
            s.push('.');
            s.push_str(&self.name()?);
        }
        Ok(Rc::from(s))
    }

    fn rhs(&mut self) -> PResult<Expr> {
        if self.is_kw("yield") {
            self.yield_expr()
        } else {
            self.star_expressions()
        }
    }

    fn expr_stmt(&mut self, line: u32) -> PResult<Stmt> {
        let first = self.rhs()?;
        const AUG: &[(&str, BinOp)] = &[
            ("+=", BinOp::Add),
            ("-=", BinOp::Sub),
            ("*=", BinOp::Mul),
            ("/=", BinOp::Div),
            ("//=", BinOp::FloorDiv),
            ("%=", BinOp::Mod),
            ("**=", BinOp::Pow),
            ("<<=", BinOp::LShift),
            (">>=", BinOp::RShift),
            ("&=", BinOp::BitAnd),
            ("|=", BinOp::BitOr),
            ("^=", BinOp::BitXor),
            ("@=", BinOp::MatMul),
        ];
        for (tok, op) in AUG {
            if self.is_op(tok) {
                if !matches!(
                    first.kind,
                    ExprKind::Name(_) | ExprKind::Attribute(..) | ExprKind::Subscript(..)
                ) {
                    return Err(
                        self.error("'tuple' is an illegal expression for augmented assignment")
                    );
                }
                self.advance();
                let value = self.rhs()?;
                return Ok(Stmt {
                    kind: StmtKind::AugAssign(first, *op, value),
                    line,
                });
            }
        }
        if self.is_op(":") {
            self.advance();
            self.expression()?;
            let value = if self.eat_op("=") {
                Some(self.rhs()?)
            } else {
                None
            };
            return Ok(Stmt {
                kind: StmtKind::AnnAssign(first, value),
                line,
            });
        }
        if !self.is_op("=") {
            return Ok(Stmt {
                kind: StmtKind::Expr(first),
                line,
            });
        }
        let mut targets = vec![first];
        while self.eat_op("=") {
            targets.push(self.rhs()?);
        }
        let value = targets.pop().unwrap_or(Expr {
            kind: ExprKind::Const(Const::None),
            line,
        });
        for t in &targets {
            check_target(t).map_err(|m| SyntaxError {
                msg: m,
                line,
                col: 1,
            })?;
        }
        Ok(Stmt {
            kind: StmtKind::Assign(targets, value),
            line,
        })
    }
}
