//! Expression rules, from `star_expressions` down to `atom`.

use std::rc::Rc;

use super::super::ast::*;
use super::super::error::SyntaxError;
use super::super::lexer::{FPart, Tok};
use super::{Parser, parse_fstring_expr};

type PResult<T> = Result<T, SyntaxError>;

fn mk(kind: ExprKind, line: u32) -> Expr {
    Expr { kind, line }
}

impl Parser {
    /// `a, *b, c` as in an expression statement or a return value: a bare tuple.
    pub(super) fn star_expressions(&mut self) -> PResult<Expr> {
        let line = self.line();
        let first = self.star_expression()?;
        if !self.is_op(",") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_op(",") {
            if self.at_expr_end() {
                break;
            }
            items.push(self.star_expression()?);
        }
        Ok(mk(ExprKind::Tuple(items), line))
    }

    fn at_expr_end(&self) -> bool {
        matches!(self.peek(), Tok::Newline | Tok::Eof)
            || matches!(self.peek(), Tok::Op(o) if matches!(*o, ")" | "]" | "}" | "=" | ":" | ";")
                || o.ends_with('=') && o.len() > 1 && *o != "==")
            || self.is_kw("in")
    }

    fn star_expression(&mut self) -> PResult<Expr> {
        if self.is_op("*") {
            let line = self.line();
            self.advance();
            let e = self.bitwise_or()?;
            return Ok(mk(ExprKind::Starred(Box::new(e)), line));
        }
        self.named_expression()
    }

    pub(super) fn named_expression(&mut self) -> PResult<Expr> {
        if let (Tok::Name(n), Tok::Op(":=")) = (self.peek().clone(), self.peek_at(1).clone()) {
            let line = self.line();
            self.advance();
            self.advance();
            let v = self.expression()?;
            return Ok(mk(ExprKind::NamedExpr(n, Box::new(v)), line));
        }
        self.expression()
    }

    /// `disjunction ['if' disjunction 'else' expression] | lambdef`
    pub(super) fn expression(&mut self) -> PResult<Expr> {
        self.enter(super::DEEP)?;
        let r = self.expression_inner();
        self.leave(super::DEEP);
        r
    }

    fn expression_inner(&mut self) -> PResult<Expr> {
        if self.is_kw("lambda") {
            return self.lambdef();
        }
        let line = self.line();
        let body = self.disjunction()?;
        if self.eat_kw("if") {
            let cond = self.disjunction()?;
            if !self.eat_kw("else") {
                return Err(self.error("expected 'else' after 'if' expression"));
            }
            let orelse = self.expression()?;
            return Ok(mk(
                ExprKind::IfExp(Box::new(cond), Box::new(body), Box::new(orelse)),
                line,
            ));
        }
        Ok(body)
    }

    fn lambdef(&mut self) -> PResult<Expr> {
        let line = self.line();
        self.advance();
        let params = self.parameters(":")?;
        self.expect_op(":")?;
        self.func_depth += 1;
        let loops = std::mem::replace(&mut self.loop_depth, 0);
        let body = self.expression();
        self.func_depth -= 1;
        self.loop_depth = loops;
        let body = body?;
        let ret = Stmt {
            kind: StmtKind::Return(Some(body)),
            line,
        };
        let def = FuncDef {
            name: Rc::from("<lambda>"),
            params,
            body: vec![ret],
            decorators: vec![],
            line,
            is_lambda: true,
        };
        Ok(mk(ExprKind::Lambda(Rc::new(def)), line))
    }

    fn disjunction(&mut self) -> PResult<Expr> {
        let line = self.line();
        let first = self.conjunction()?;
        if !self.is_kw("or") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_kw("or") {
            items.push(self.conjunction()?);
        }
        Ok(mk(ExprKind::BoolOp(false, items), line))
    }

    fn conjunction(&mut self) -> PResult<Expr> {
        let line = self.line();
        let first = self.inversion()?;
        if !self.is_kw("and") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_kw("and") {
            items.push(self.inversion()?);
        }
        Ok(mk(ExprKind::BoolOp(true, items), line))
    }

    fn inversion(&mut self) -> PResult<Expr> {
        if self.is_kw("not") {
            let line = self.line();
            self.advance();
            self.enter(1)?;
            let e = self.inversion();
            self.leave(1);
            return Ok(mk(ExprKind::Unary(UnaryOp::Not, Box::new(e?)), line));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> PResult<Expr> {
        let line = self.line();
        let first = self.bitwise_or()?;
        let mut ops = Vec::new();
        loop {
            let op = match self.peek() {
                Tok::Op("<") => CmpOp::Lt,
                Tok::Op("<=") => CmpOp::Le,
                Tok::Op(">") => CmpOp::Gt,
                Tok::Op(">=") => CmpOp::Ge,
                Tok::Op("==") => CmpOp::Eq,
                Tok::Op("!=") => CmpOp::Ne,
                Tok::Kw("in") => CmpOp::In,
                Tok::Kw("is") => {
                    if matches!(self.peek_at(1), Tok::Kw("not")) {
                        self.advance();
                        CmpOp::IsNot
                    } else {
                        CmpOp::Is
                    }
                }
                Tok::Kw("not") if matches!(self.peek_at(1), Tok::Kw("in")) => {
                    self.advance();
                    CmpOp::NotIn
                }
                _ => break,
            };
            self.advance();
            ops.push((op, self.bitwise_or()?));
        }
        if ops.is_empty() {
            Ok(first)
        } else {
            Ok(mk(ExprKind::Compare(Box::new(first), ops), line))
        }
    }

    fn binary_level(&mut self, level: usize) -> PResult<Expr> {
        const LEVELS: &[&[(&str, BinOp)]] = &[
            &[("|", BinOp::BitOr)],
            &[("^", BinOp::BitXor)],
            &[("&", BinOp::BitAnd)],
            &[("<<", BinOp::LShift), (">>", BinOp::RShift)],
            &[("+", BinOp::Add), ("-", BinOp::Sub)],
            &[
                ("*", BinOp::Mul),
                ("/", BinOp::Div),
                ("//", BinOp::FloorDiv),
                ("%", BinOp::Mod),
                ("@", BinOp::MatMul),
            ],
        ];
        if level == LEVELS.len() {
            return self.factor();
        }
        let mut lhs = self.binary_level(level + 1)?;
        // Each operator of a chain nests the tree one level deeper (left-associative).
        let mut chain = 0;
        let r = 'outer: loop {
            for (tok, op) in LEVELS[level] {
                if self.is_op(tok) {
                    let line = self.line();
                    self.advance();
                    if let Err(e) = self.enter(1) {
                        break 'outer Err(e);
                    }
                    chain += 1;
                    let rhs = match self.binary_level(level + 1) {
                        Ok(r) => r,
                        Err(e) => break 'outer Err(e),
                    };
                    lhs = mk(ExprKind::BinOp(Box::new(lhs), *op, Box::new(rhs)), line);
                    continue 'outer;
                }
            }
            break Ok(lhs);
        };
        self.leave(chain);
        r
    }

    pub(super) fn bitwise_or(&mut self) -> PResult<Expr> {
        self.binary_level(0)
    }

    fn factor(&mut self) -> PResult<Expr> {
        let line = self.line();
        let op = match self.peek() {
            Tok::Op("-") => UnaryOp::Neg,
            Tok::Op("+") => UnaryOp::Pos,
            Tok::Op("~") => UnaryOp::Invert,
            _ => return self.power(),
        };
        self.advance();
        self.enter(1)?;
        let e = self.factor();
        self.leave(1);
        let e = e?;
        // Fold negative literals so that `-9223372036854775808` stays a small int.
        if op == UnaryOp::Neg {
            match &e.kind {
                ExprKind::Const(Const::Int(v)) if *v != i64::MIN => {
                    return Ok(mk(ExprKind::Const(Const::Int(-v)), line));
                }
                ExprKind::Const(Const::Float(v)) => {
                    return Ok(mk(ExprKind::Const(Const::Float(-v)), line));
                }
                _ => {}
            }
        }
        Ok(mk(ExprKind::Unary(op, Box::new(e)), line))
    }

    fn power(&mut self) -> PResult<Expr> {
        let line = self.line();
        let base = self.primary()?;
        if self.eat_op("**") {
            let exp = self.factor()?;
            return Ok(mk(
                ExprKind::BinOp(Box::new(base), BinOp::Pow, Box::new(exp)),
                line,
            ));
        }
        Ok(base)
    }

    pub(super) fn primary(&mut self) -> PResult<Expr> {
        // Each trailer (`.name`, call, subscript) nests the tree one level deeper.
        let mark = self.nesting;
        let r = self.primary_trailers();
        self.nesting = mark;
        r
    }

    fn primary_trailers(&mut self) -> PResult<Expr> {
        let mut e = self.atom()?;
        loop {
            if matches!(self.peek(), Tok::Op("." | "(" | "[")) {
                self.enter(1)?;
            }
            let line = self.line();
            if self.eat_op(".") {
                let n = self.name()?;
                e = mk(ExprKind::Attribute(Box::new(e), n), line);
            } else if self.eat_op("(") {
                let args = self.arguments()?;
                e = mk(ExprKind::Call(Box::new(e), args), line);
            } else if self.eat_op("[") {
                let idx = self.slices()?;
                self.expect_op("]")?;
                e = mk(ExprKind::Subscript(Box::new(e), Box::new(idx)), line);
            } else {
                return Ok(e);
            }
        }
    }

    fn slices(&mut self) -> PResult<Expr> {
        let line = self.line();
        let first = self.slice()?;
        if !self.is_op(",") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_op(",") {
            if self.is_op("]") {
                break;
            }
            items.push(self.slice()?);
        }
        Ok(mk(ExprKind::Tuple(items), line))
    }

    fn slice(&mut self) -> PResult<Expr> {
        let line = self.line();
        let lower = if self.is_op(":") {
            None
        } else {
            Some(self.named_expression()?)
        };
        if !self.eat_op(":") {
            return lower.ok_or_else(|| self.error("invalid syntax"));
        }
        let bound = |p: &mut Self| -> PResult<Option<Box<Expr>>> {
            if p.is_op(":") || p.is_op("]") || p.is_op(",") {
                Ok(None)
            } else {
                Ok(Some(Box::new(p.expression()?)))
            }
        };
        let upper = bound(self)?;
        let step = if self.eat_op(":") { bound(self)? } else { None };
        Ok(mk(ExprKind::Slice(lower.map(Box::new), upper, step), line))
    }

    fn arguments(&mut self) -> PResult<Vec<Arg>> {
        let mut args = Vec::new();
        let mut seen_kw = false;
        while !self.eat_op(")") {
            if self.eat_op("*") {
                args.push(Arg::Star(self.expression()?));
            } else if self.eat_op("**") {
                seen_kw = true;
                args.push(Arg::StarStar(self.expression()?));
            } else if let (Tok::Name(n), Tok::Op("=")) =
                (self.peek().clone(), self.peek_at(1).clone())
            {
                self.advance();
                self.advance();
                seen_kw = true;
                args.push(Arg::Kw(n, self.expression()?));
            } else {
                let line = self.line();
                let e = self.named_expression()?;
                if self.is_kw("for") {
                    let c = self.comprehension(CompKind::Gen, e, None, line)?;
                    args.push(Arg::Pos(c));
                } else {
                    if seen_kw {
                        return Err(self.error("positional argument follows keyword argument"));
                    }
                    args.push(Arg::Pos(e));
                }
            }
            if !self.eat_op(",") {
                self.expect_op(")")?;
                break;
            }
        }
        Ok(args)
    }

    /// The `for ... in ... if ...` clauses after the element has been parsed.
    fn comprehension(
        &mut self,
        kind: CompKind,
        elt: Expr,
        value: Option<Expr>,
        line: u32,
    ) -> PResult<Expr> {
        let mut gens = Vec::new();
        while self.eat_kw("for") {
            let target = self.target_list()?;
            self.expect_kw("in")?;
            let iter = self.disjunction()?;
            let mut ifs = Vec::new();
            while self.eat_kw("if") {
                ifs.push(self.disjunction()?);
            }
            gens.push(CompFor { target, iter, ifs });
        }
        let comp = Comprehension {
            kind,
            elt,
            value,
            gens,
            line,
        };
        Ok(mk(ExprKind::Comp(Box::new(comp)), line))
    }

    /// Targets of `for` (and comprehension `for`): a bare tuple of primaries or starred.
    pub(super) fn target_list(&mut self) -> PResult<Expr> {
        let line = self.line();
        let mut items = Vec::new();
        loop {
            let t = if self.is_op("*") {
                let l = self.line();
                self.advance();
                mk(ExprKind::Starred(Box::new(self.bitwise_or()?)), l)
            } else {
                self.bitwise_or()?
            };
            items.push(t);
            if !self.eat_op(",") || self.is_kw("in") || self.is_op("=") {
                break;
            }
        }
        let e = if items.len() == 1 && !matches!(self.toks[self.pos - 1].tok, Tok::Op(",")) {
            items
                .pop()
                .unwrap_or_else(|| mk(ExprKind::Tuple(vec![]), line))
        } else {
            mk(ExprKind::Tuple(items), line)
        };
        super::stmt::check_target(&e).map_err(|m| SyntaxError {
            msg: m,
            line,
            col: 1,
        })?;
        Ok(e)
    }

    fn atom(&mut self) -> PResult<Expr> {
        let line = self.line();
        let tok = self.advance();
        let kind = match tok {
            Tok::Name(n) => ExprKind::Name(n),
            Tok::Int(v) => ExprKind::Const(Const::Int(v)),
            Tok::BigInt(s) => ExprKind::Const(Const::BigInt(s)),
            Tok::Float(v) => ExprKind::Const(Const::Float(v)),
            Tok::Imag(_) => return Err(self.error("complex numbers are not supported")),
            Tok::Kw("None") => ExprKind::Const(Const::None),
            Tok::Kw("True") => ExprKind::Const(Const::Bool(true)),
            Tok::Kw("False") => ExprKind::Const(Const::Bool(false)),
            Tok::Op("...") => ExprKind::Const(Const::Ellipsis),
            Tok::Str(_) | Tok::FStr(_) | Tok::Bytes(_) => {
                self.pos -= 1;
                return self.strings();
            }
            Tok::Op("(") => return self.paren(line),
            Tok::Op("[") => {
                if self.eat_op("]") {
                    return Ok(mk(ExprKind::List(vec![]), line));
                }
                let first = self.star_expression()?;
                if self.is_kw("for") {
                    let c = self.comprehension(CompKind::List, first, None, line)?;
                    self.expect_op("]")?;
                    return Ok(c);
                }
                let mut items = vec![first];
                while self.eat_op(",") {
                    if self.is_op("]") {
                        break;
                    }
                    items.push(self.star_expression()?);
                }
                self.expect_op("]")?;
                ExprKind::List(items)
            }
            Tok::Op("{") => return self.braces(line),
            Tok::Kw("yield") => {
                self.pos -= 1;
                return Err(self.error("invalid syntax"));
            }
            Tok::Newline | Tok::Eof => {
                self.pos -= 1;
                return Err(self.error("invalid syntax"));
            }
            Tok::Indent => {
                self.pos -= 1;
                return Err(self.error("unexpected indent"));
            }
            _ => {
                self.pos -= 1;
                return Err(self.error("invalid syntax"));
            }
        };
        Ok(mk(kind, line))
    }

    fn paren(&mut self, line: u32) -> PResult<Expr> {
        if self.eat_op(")") {
            return Ok(mk(ExprKind::Tuple(vec![]), line));
        }
        if self.is_kw("yield") {
            let e = self.yield_expr()?;
            self.expect_op(")")?;
            return Ok(e);
        }
        let first = self.star_expression()?;
        if self.is_kw("for") {
            let c = self.comprehension(CompKind::Gen, first, None, line)?;
            self.expect_op(")")?;
            return Ok(c);
        }
        if self.eat_op(")") {
            if matches!(first.kind, ExprKind::Starred(_)) {
                return Err(self.error("cannot use starred expression here"));
            }
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_op(",") {
            if self.is_op(")") {
                break;
            }
            items.push(self.star_expression()?);
        }
        self.expect_op(")")?;
        Ok(mk(ExprKind::Tuple(items), line))
    }

    fn braces(&mut self, line: u32) -> PResult<Expr> {
        if self.eat_op("}") {
            return Ok(mk(ExprKind::Dict(vec![]), line));
        }
        if self.eat_op("**") {
            let m = self.bitwise_or()?;
            return self.dict_rest(vec![(None, m)], line);
        }
        let first = self.star_expression()?;
        if self.eat_op(":") {
            let v = self.expression()?;
            if self.is_kw("for") {
                let c = self.comprehension(CompKind::Dict, first, Some(v), line)?;
                self.expect_op("}")?;
                return Ok(c);
            }
            return self.dict_rest(vec![(Some(first), v)], line);
        }
        if self.is_kw("for") {
            let c = self.comprehension(CompKind::Set, first, None, line)?;
            self.expect_op("}")?;
            return Ok(c);
        }
        let mut items = vec![first];
        while self.eat_op(",") {
            if self.is_op("}") {
                break;
            }
            items.push(self.star_expression()?);
        }
        self.expect_op("}")?;
        Ok(mk(ExprKind::Set(items), line))
    }

    fn dict_rest(&mut self, mut items: Vec<(Option<Expr>, Expr)>, line: u32) -> PResult<Expr> {
        while self.eat_op(",") {
            if self.is_op("}") {
                break;
            }
            if self.eat_op("**") {
                items.push((None, self.bitwise_or()?));
            } else {
                let k = self.expression()?;
                self.expect_op(":")?;
                items.push((Some(k), self.expression()?));
            }
        }
        self.expect_op("}")?;
        Ok(mk(ExprKind::Dict(items), line))
    }

    /// Adjacent string literals concatenate; f-strings among them make the whole an f-string.
    fn strings(&mut self) -> PResult<Expr> {
        let line = self.line();
        let mut parts: Vec<FStrPart> = Vec::new();
        let mut bytes: Option<Vec<u8>> = None;
        let mut any_f = false;
        let mut any_str = false;
        loop {
            match self.peek().clone() {
                Tok::Str(s) => {
                    any_str = true;
                    parts.push(FStrPart::Lit(s));
                }
                Tok::FStr(fp) => {
                    any_str = true;
                    any_f = true;
                    for p in fp {
                        parts.push(self.fpart(p)?);
                    }
                }
                Tok::Bytes(b) => bytes.get_or_insert_with(Vec::new).extend(b),
                _ => break,
            }
            self.advance();
        }
        if let Some(b) = bytes {
            if any_str {
                return Err(self.error("cannot mix bytes and nonbytes literals"));
            }
            return Ok(mk(ExprKind::Const(Const::Bytes(b.into())), line));
        }
        if !any_f {
            let s: String = parts
                .into_iter()
                .map(|p| match p {
                    FStrPart::Lit(s) => s,
                    FStrPart::Expr { .. } => String::new(),
                })
                .collect();
            return Ok(mk(ExprKind::Const(Const::Str(Rc::from(s))), line));
        }
        Ok(mk(ExprKind::FString(parts), line))
    }

    fn fpart(&self, p: FPart) -> PResult<FStrPart> {
        Ok(match p {
            FPart::Lit(s) => FStrPart::Lit(s),
            FPart::Expr {
                src,
                line,
                conv,
                spec,
                debug,
            } => {
                let expr = parse_fstring_expr(&src, line)?;
                let spec = spec
                    .into_iter()
                    .map(|p| self.fpart(p))
                    .collect::<PResult<Vec<_>>>()?;
                let e = FStrPart::Expr { expr, conv, spec };
                match debug {
                    // `f"{x=}"` prints the source text then the value.
                    Some(text) => {
                        return Ok(FStrPart::Expr {
                            expr: mk(ExprKind::FString(vec![FStrPart::Lit(text), e]), line),
                            conv: None,
                            spec: vec![],
                        });
                    }
                    None => e,
                }
            }
        })
    }

    pub(super) fn yield_expr(&mut self) -> PResult<Expr> {
        let line = self.line();
        self.expect_kw("yield")?;
        if self.func_depth == 0 {
            return Err(SyntaxError {
                msg: "'yield' outside function".into(),
                line,
                col: 1,
            });
        }
        if self.eat_kw("from") {
            let e = self.expression()?;
            return Ok(mk(ExprKind::YieldFrom(Box::new(e)), line));
        }
        if self.at_expr_end() || self.is_op(")") {
            return Ok(mk(ExprKind::Yield(None), line));
        }
        let e = self.star_expressions()?;
        Ok(mk(ExprKind::Yield(Some(Box::new(e))), line))
    }

    /// Parameter lists of `def` (closed by `)`) and `lambda` (closed by `:`).
    pub(super) fn parameters(&mut self, close: &str) -> PResult<Params> {
        let mut p = Params::default();
        let mut star_seen = false;
        while !self.is_op(close) {
            if self.eat_op("**") {
                p.kwarg = Some(self.name()?);
            } else if self.eat_op("*") {
                star_seen = true;
                if let Tok::Name(_) = self.peek() {
                    p.vararg = Some(self.name()?);
                }
            } else if self.eat_op("/") {
                // Positional-only marker: accepted, treated as ordinary positionals.
            } else {
                let n = self.name()?;
                if close == ")" && self.eat_op(":") {
                    self.expression()?;
                }
                let default = if self.eat_op("=") {
                    Some(self.expression()?)
                } else {
                    None
                };
                if star_seen {
                    p.kwonly.push((n, default));
                } else {
                    if default.is_none() && p.args.iter().any(|a| a.1.is_some()) {
                        return Err(self.error("non-default argument follows default argument"));
                    }
                    p.args.push((n, default));
                }
            }
            if !self.eat_op(",") {
                break;
            }
        }
        let mut seen: Vec<&Name> = Vec::new();
        let all = p
            .args
            .iter()
            .map(|a| &a.0)
            .chain(p.kwonly.iter().map(|a| &a.0))
            .chain(p.vararg.iter())
            .chain(p.kwarg.iter());
        for n in all {
            if seen.contains(&n) {
                return Err(self.error(&format!("duplicate argument '{n}' in function definition")));
            }
            seen.push(n);
        }
        Ok(p)
    }
}
