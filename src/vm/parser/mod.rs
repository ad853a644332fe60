//! Recursive-descent parser. Each method is named after the rule of Python's grammar
//! (`Grammar/python.gram`) it implements, so the two can be read side by side.

mod expr;
mod stmt;

use super::ast::*;
use super::error::SyntaxError;
use super::lexer::{Tok, Token, tokenize};

pub struct Parser {
    toks: Vec<Token>,
    pos: usize,
    /// Depth of nested function bodies; `return`/`yield` outside any is an error.
    func_depth: u32,
    loop_depth: u32,
    /// Nesting of expressions, blocks and operator/trailer chains (each a level of the AST
    /// that the compiler recurses over), bounded by `MAX_NESTING` so that hostile source gives
    /// a SyntaxError rather than exhausting the native stack.
    nesting: u32,
}

/// How deep the AST may nest. A chained operator, trailer, unary operator or `elif` counts
/// 1; a nested expression or block counts `DEEP` (it costs the parser a dozen native frames),
/// so at most 200 nested parentheses, as in CPython.
const MAX_NESTING: u32 = 1000;
const DEEP: u32 = 5;

pub fn parse_module(src: &str) -> Result<Vec<Stmt>, SyntaxError> {
    let toks = tokenize(src)?;
    let mut p = Parser {
        toks,
        pos: 0,
        func_depth: 0,
        loop_depth: 0,
        nesting: 0,
    };
    p.file_input()
}

/// Parses the source of one f-string replacement field.
pub(crate) fn parse_fstring_expr(src: &str, line: u32) -> Result<Expr, SyntaxError> {
    let wrapped = format!("({})", src.trim());
    let mut toks = tokenize(&wrapped).map_err(|mut e| {
        e.line = line;
        e
    })?;
    for t in &mut toks {
        t.line = line;
    }
    let mut p = Parser {
        toks,
        pos: 0,
        func_depth: 1,
        loop_depth: 0,
        nesting: 0,
    };
    let e = p.star_expressions()?;
    if !matches!(p.peek(), Tok::Newline | Tok::Eof) {
        return Err(p.error("f-string: invalid syntax"));
    }
    Ok(e)
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos.min(self.toks.len() - 1)].tok
    }

    fn peek_at(&self, n: usize) -> &Tok {
        &self.toks[(self.pos + n).min(self.toks.len() - 1)].tok
    }

    fn line(&self) -> u32 {
        self.toks[self.pos.min(self.toks.len() - 1)].line
    }

    fn advance(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    /// Enters `n` levels of nesting; `leave(n)` when done.
    fn enter(&mut self, n: u32) -> Result<(), SyntaxError> {
        self.nesting += n;
        if self.nesting > MAX_NESTING {
            self.nesting -= n;
            return Err(self.error("too many nested expressions or blocks"));
        }
        Ok(())
    }

    fn leave(&mut self, n: u32) {
        self.nesting -= n;
    }

    fn error(&self, msg: &str) -> SyntaxError {
        let t = &self.toks[self.pos.min(self.toks.len() - 1)];
        SyntaxError {
            msg: msg.to_string(),
            line: t.line,
            col: t.col,
        }
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Tok::Op(o) if *o == op)
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Kw(k) if *k == kw)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        if self.is_op(op) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn expect_op(&mut self, op: &str) -> Result<(), SyntaxError> {
        if self.eat_op(op) {
            Ok(())
        } else if matches!(self.peek(), Tok::Newline | Tok::Eof)
            && (op == ")" || op == "]" || op == "}")
        {
            Err(self.error(&format!(
                "'{}' was never closed",
                match op {
                    ")" => "(",
                    "]" => "[",
                    _ => "{",
                }
            )))
        } else if op == ":" {
            Err(self.error("expected ':'"))
        } else {
            Err(self.error("invalid syntax"))
        }
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), SyntaxError> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.error("invalid syntax"))
        }
    }

    fn name(&mut self) -> Result<Name, SyntaxError> {
        match self.peek().clone() {
            Tok::Name(n) => {
                self.advance();
                Ok(n)
            }
            _ => Err(self.error("invalid syntax")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_precedence() {
        let m = parse_module("x = 1 + 2 * 3 ** -4\n").unwrap();
        let StmtKind::Assign(_, e) = &m[0].kind else {
            panic!()
        };
        let ExprKind::BinOp(_, BinOp::Add, rhs) = &e.kind else {
            panic!("{e:?}")
        };
        assert!(matches!(rhs.kind, ExprKind::BinOp(_, BinOp::Mul, _)));
    }

    #[test]
    fn reports_missing_colon() {
        let e = parse_module("if x\n    pass\n").unwrap_err();
        assert_eq!(e.msg, "expected ':'");
        assert_eq!(e.line, 1);
    }

    #[test]
    fn return_outside_function_is_rejected() {
        assert!(parse_module("return 1\n").is_err());
    }
}
