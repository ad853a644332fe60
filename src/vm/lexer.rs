//! Tokens from source text. Indentation becomes INDENT/DEDENT tokens as in CPython's
//! tokenizer; newlines inside brackets are ignored so the parser never sees them.

use std::rc::Rc;

use super::error::SyntaxError;

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Name(Rc<str>),
    Kw(&'static str),
    Int(i64),
    /// Decimal digits of an int literal too large for i64.
    BigInt(String),
    Float(f64),
    Imag(f64),
    Str(String),
    Bytes(Vec<u8>),
    FStr(Vec<FPart>),
    Op(&'static str),
    Newline,
    Indent,
    Dedent,
    Eof,
}

/// One piece of an f-string: literal text, or an expression kept as source so the parser
/// can parse it with the same grammar (with its position for error messages).
#[derive(Clone, Debug, PartialEq)]
pub enum FPart {
    Lit(String),
    Expr {
        src: String,
        line: u32,
        conv: Option<char>,
        spec: Vec<FPart>,
        debug: Option<String>,
    },
}

#[derive(Clone, Debug)]
pub struct Token {
    pub tok: Tok,
    pub line: u32,
    pub col: u32,
}

const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "break", "class", "continue", "def", "del",
    "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is",
    "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
];

// Longest first so that maximal munch works by a linear scan.
const OPS: &[&str] = &[
    "**=", "//=", ">>=", "<<=", "...", "->", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@=",
    "**", "//", "<<", ">>", "<=", ">=", "==", "!=", ":=", "+", "-", "*", "/", "%", "@", "&", "|",
    "^", "~", "<", ">", "(", ")", "[", "]", "{", "}", ",", ":", ".", ";", "=",
];

pub struct Lexer<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    line: u32,
    line_start: usize,
    indents: Vec<usize>,
    depth: usize,
    /// Open brackets (char, line, col), for "'(' was never closed".
    open: Vec<(char, u32, u32)>,
    out: Vec<Token>,
    at_line_start: bool,
}

pub fn tokenize(text: &str) -> Result<Vec<Token>, SyntaxError> {
    let mut lx = Lexer {
        src: text.as_bytes(),
        text,
        pos: 0,
        line: 1,
        line_start: 0,
        indents: vec![0],
        depth: 0,
        open: Vec::new(),
        out: Vec::new(),
        at_line_start: true,
    };
    lx.run()?;
    Ok(lx.out)
}

impl<'a> Lexer<'a> {
    fn err(&self, msg: &str, pos: usize) -> SyntaxError {
        SyntaxError {
            msg: msg.to_string(),
            line: self.line,
            col: (pos - self.line_start) as u32 + 1,
        }
    }

    fn push(&mut self, tok: Tok, start: usize) {
        self.out.push(Token {
            tok,
            line: self.line,
            col: (start - self.line_start) as u32 + 1,
        });
    }

    fn peek(&self, off: usize) -> u8 {
        *self.src.get(self.pos + off).unwrap_or(&0)
    }

    fn run(&mut self) -> Result<(), SyntaxError> {
        while self.pos < self.src.len() {
            if self.at_line_start && self.depth == 0 {
                self.at_line_start = false;
                if self.indentation()? {
                    continue;
                }
            }
            let c = self.peek(0);
            let start = self.pos;
            match c {
                b' ' | b'\t' | b'\x0c' => self.pos += 1,
                b'#' => {
                    while self.pos < self.src.len() && self.peek(0) != b'\n' {
                        self.pos += 1;
                    }
                }
                b'\\'
                    if self.peek(1) == b'\n'
                        || (self.peek(1) == b'\r' && self.peek(2) == b'\n') =>
                {
                    self.pos += if self.peek(1) == b'\r' { 3 } else { 2 };
                    self.newline_pos();
                }
                b'\r' => self.pos += 1,
                b'\n' => {
                    if self.depth == 0 {
                        let last_is_nl =
                            matches!(self.out.last().map(|t| &t.tok), None | Some(Tok::Newline));
                        if !last_is_nl {
                            self.push(Tok::Newline, start);
                        }
                        self.at_line_start = true;
                    }
                    self.pos += 1;
                    self.newline_pos();
                }
                b'0'..=b'9' => self.number()?,
                b'.' if self.peek(1).is_ascii_digit() => self.number()?,
                b'"' | b'\'' => self.string(start, "")?,
                _ if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                    let word_end = self.ident_end();
                    let word = &self.text[start..word_end];
                    let q = self.src.get(word_end).copied().unwrap_or(0);
                    let lower = word.to_ascii_lowercase();
                    if (q == b'"' || q == b'\'')
                        && matches!(
                            lower.as_str(),
                            "r" | "b" | "f" | "rb" | "br" | "fr" | "rf" | "u"
                        )
                    {
                        self.pos = word_end;
                        self.string(start, &lower)?;
                    } else {
                        self.pos = word_end;
                        let tok = match KEYWORDS.iter().find(|k| **k == word) {
                            Some(k) => Tok::Kw(k),
                            None => Tok::Name(Rc::from(word)),
                        };
                        self.push(tok, start);
                    }
                }
                _ => {
                    let rest = &self.src[self.pos..];
                    let Some(op) = OPS.iter().find(|o| rest.starts_with(o.as_bytes())) else {
                        return Err(self.err("invalid character in identifier", start));
                    };
                    match *op {
                        "(" | "[" | "{" => {
                            self.depth += 1;
                            let col = (start - self.line_start) as u32 + 1;
                            self.open
                                .push((op.chars().next().unwrap_or('('), self.line, col));
                        }
                        ")" | "]" | "}" => {
                            self.depth = self.depth.saturating_sub(1);
                            let close = op.chars().next().unwrap_or(')');
                            match self.open.pop() {
                                Some((o, _, _))
                                    if matches!(
                                        (o, close),
                                        ('(', ')') | ('[', ']') | ('{', '}')
                                    ) => {}
                                Some((o, _, _)) => {
                                    // CPython calls every bracket kind a parenthesis here.
                                    return Err(self.err(
                                        &format!("closing parenthesis '{close}' does not match opening parenthesis '{o}'"),
                                        start,
                                    ));
                                }
                                None => {
                                    return Err(self.err(&format!("unmatched '{close}'"), start));
                                }
                            }
                        }
                        _ => {}
                    }
                    self.pos += op.len();
                    self.push(Tok::Op(op), start);
                }
            }
        }
        if let Some((c, line, col)) = self.open.first() {
            return Err(SyntaxError {
                msg: format!("'{c}' was never closed"),
                line: *line,
                col: *col,
            });
        }
        let end = self.pos;
        if !matches!(self.out.last().map(|t| &t.tok), None | Some(Tok::Newline)) {
            self.push(Tok::Newline, end);
        }
        while self.indents.len() > 1 {
            self.indents.pop();
            self.push(Tok::Dedent, end);
        }
        self.push(Tok::Eof, end);
        Ok(())
    }

    fn newline_pos(&mut self) {
        self.line += 1;
        self.line_start = self.pos;
    }

    fn ident_end(&self) -> usize {
        let mut i = self.pos;
        while i < self.src.len() {
            let c = self.src[i];
            if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 {
                i += 1;
            } else {
                break;
            }
        }
        i
    }

    /// Measures the indentation of a logical line; returns true when the line is blank or a
    /// comment (those never change indentation).
    fn indentation(&mut self) -> Result<bool, SyntaxError> {
        let mut col = 0;
        let mut i = self.pos;
        while i < self.src.len() {
            match self.src[i] {
                b' ' => col += 1,
                b'\t' => col = (col / 8 + 1) * 8,
                b'\x0c' => col = 0,
                _ => break,
            }
            i += 1;
        }
        let c = self.src.get(i).copied().unwrap_or(b'\n');
        if c == b'\n' || c == b'#' || c == b'\r' || i >= self.src.len() {
            self.pos = i;
            return Ok(true);
        }
        self.pos = i;
        let cur = *self.indents.last().unwrap_or(&0);
        if col > cur {
            self.indents.push(col);
            self.push(Tok::Indent, i);
        } else {
            while col < *self.indents.last().unwrap_or(&0) {
                self.indents.pop();
                self.push(Tok::Dedent, i);
            }
            if col != *self.indents.last().unwrap_or(&0) {
                return Err(self.err("unindent does not match any outer indentation level", i));
            }
        }
        Ok(false)
    }

    fn number(&mut self) -> Result<(), SyntaxError> {
        let start = self.pos;
        let radix = if self.peek(0) == b'0' {
            match self.peek(1) | 0x20 {
                b'x' => 16,
                b'o' => 8,
                b'b' => 2,
                _ => 10,
            }
        } else {
            10
        };
        if radix != 10 {
            self.pos += 2;
            let ds = self.pos;
            while self.peek(0).is_ascii_alphanumeric() || self.peek(0) == b'_' {
                self.pos += 1;
            }
            let digits: String = self.text[ds..self.pos]
                .chars()
                .filter(|c| *c != '_')
                .collect();
            let big = num_bigint::BigInt::parse_bytes(digits.as_bytes(), radix)
                .ok_or_else(|| self.err("invalid digit in number literal", start))?;
            let tok = match i64::try_from(&big) {
                Ok(v) => Tok::Int(v),
                Err(_) => Tok::BigInt(big.to_string()),
            };
            self.push(tok, start);
            return Ok(());
        }
        let mut is_float = false;
        while self.peek(0).is_ascii_digit() || self.peek(0) == b'_' {
            self.pos += 1;
        }
        if self.peek(0) == b'.' {
            is_float = true;
            self.pos += 1;
            while self.peek(0).is_ascii_digit() || self.peek(0) == b'_' {
                self.pos += 1;
            }
        }
        if self.peek(0) | 0x20 == b'e'
            && (self.peek(1).is_ascii_digit()
                || ((self.peek(1) == b'+' || self.peek(1) == b'-')
                    && self.peek(2).is_ascii_digit()))
        {
            is_float = true;
            self.pos += 2;
            while self.peek(0).is_ascii_digit() || self.peek(0) == b'_' {
                self.pos += 1;
            }
        }
        let text: String = self.text[start..self.pos]
            .chars()
            .filter(|c| *c != '_')
            .collect();
        if self.peek(0) | 0x20 == b'j' {
            self.pos += 1;
            let v = text
                .parse::<f64>()
                .map_err(|_| self.err("invalid imaginary literal", start))?;
            self.push(Tok::Imag(v), start);
            return Ok(());
        }
        if self.peek(0).is_ascii_alphabetic() || self.peek(0) == b'_' {
            return Err(self.err("invalid decimal literal", start));
        }
        let tok = if is_float {
            Tok::Float(
                text.parse::<f64>()
                    .map_err(|_| self.err("invalid float literal", start))?,
            )
        } else {
            if text.len() > 1 && text.starts_with('0') && text.bytes().any(|b| b != b'0') {
                return Err(self.err(
                    "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers",
                    start,
                ));
            }
            match text.parse::<i64>() {
                Ok(v) => Tok::Int(v),
                Err(_) => Tok::BigInt(text),
            }
        };
        self.push(tok, start);
        Ok(())
    }

    fn string(&mut self, start: usize, prefix: &str) -> Result<(), SyntaxError> {
        let raw = prefix.contains('r');
        let bytes = prefix.contains('b');
        let fstr = prefix.contains('f');
        let start_line = self.line;
        let start_col = (start - self.line_start) as u32 + 1;
        let q = self.peek(0);
        let triple = self.peek(1) == q && self.peek(2) == q;
        self.pos += if triple { 3 } else { 1 };
        let body_start = self.pos;
        loop {
            if self.pos >= self.src.len() {
                let msg = if triple {
                    "unterminated triple-quoted string literal"
                } else {
                    "unterminated string literal"
                };
                let last = if self.text.ends_with('\n') {
                    self.line.saturating_sub(1).max(start_line)
                } else {
                    self.line
                };
                let msg = format!("{msg} (detected at line {last})");
                return Err(SyntaxError {
                    msg,
                    line: start_line,
                    col: start_col,
                });
            }
            let c = self.peek(0);
            if c == b'\\' {
                if self.peek(1) == b'\n' {
                    self.pos += 2;
                    self.newline_pos();
                } else {
                    self.pos += 2;
                }
                continue;
            }
            if c == b'\n' {
                if !triple {
                    return Err(SyntaxError {
                        msg: format!(
                            "unterminated string literal (detected at line {})",
                            self.line
                        ),
                        line: start_line,
                        col: start_col,
                    });
                }
                self.pos += 1;
                self.newline_pos();
                continue;
            }
            if c == q && (!triple || (self.peek(1) == q && self.peek(2) == q)) {
                break;
            }
            self.pos += 1;
        }
        let body = &self.text[body_start..self.pos];
        self.pos += if triple { 3 } else { 1 };
        let tok = if fstr {
            Tok::FStr(
                parse_fstring(body, raw, start_line).map_err(|m| SyntaxError {
                    msg: m,
                    line: start_line,
                    col: start_col,
                })?,
            )
        } else if bytes {
            let s = unescape(body, raw, true).map_err(|m| self.err(&m, start))?;
            Tok::Bytes(s.chars().map(|c| c as u32 as u8).collect())
        } else {
            Tok::Str(unescape(body, raw, false).map_err(|m| self.err(&m, start))?)
        };
        // Report the token where it started (multi-line strings end on a later line).
        self.out.push(Token {
            tok,
            line: start_line,
            col: start_col,
        });
        Ok(())
    }
}

/// Resolves backslash escapes. For bytes, each char stands for one byte (0..=255).
pub fn unescape(s: &str, raw: bool, bytes: bool) -> Result<String, String> {
    if raw {
        return Ok(s.replace("\r\n", "\n"));
    }
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\r' && it.peek() == Some(&'\n') {
            continue;
        }
        if c != '\\' {
            if bytes && c as u32 > 127 {
                return Err("bytes can only contain ASCII literal characters".into());
            }
            out.push(c);
            continue;
        }
        let Some(e) = it.next() else {
            out.push('\\');
            break;
        };
        match e {
            '\n' => {}
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match it.peek().and_then(|c| c.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            it.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(v).unwrap_or('\0'));
            }
            'x' | 'u' | 'U' if !(bytes && e != 'x') => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = (0..n).filter_map(|_| it.next()).collect();
                let v = u32::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == n)
                    .ok_or_else(|| format!("(unicode error) truncated \\{e}XX escape"))?;
                out.push(char::from_u32(v).ok_or("(unicode error) illegal Unicode character")?);
            }
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    Ok(out)
}

fn parse_fstring(body: &str, raw: bool, line: u32) -> Result<Vec<FPart>, String> {
    let chars: Vec<char> = body.chars().collect();
    let mut i = 0;
    parse_fparts(&chars, &mut i, raw, line, false)
}

fn parse_fparts(
    chars: &[char],
    i: &mut usize,
    raw: bool,
    line: u32,
    in_spec: bool,
) -> Result<Vec<FPart>, String> {
    let mut parts = Vec::new();
    let mut lit = String::new();
    let flush = |lit: &mut String, parts: &mut Vec<FPart>| -> Result<(), String> {
        if !lit.is_empty() {
            parts.push(FPart::Lit(unescape(lit, raw, false)?));
            lit.clear();
        }
        Ok(())
    };
    while *i < chars.len() {
        let c = chars[*i];
        if c == '{' && chars.get(*i + 1) == Some(&'{') && !in_spec {
            lit.push('{');
            *i += 2;
        } else if c == '}' && chars.get(*i + 1) == Some(&'}') && !in_spec {
            lit.push('}');
            *i += 2;
        } else if c == '}' {
            if in_spec {
                break;
            }
            return Err("f-string: single '}' is not allowed".into());
        } else if c == '{' {
            flush(&mut lit, &mut parts)?;
            *i += 1;
            let start = *i;
            let mut depth = 0;
            let mut quote: Option<char> = None;
            while *i < chars.len() {
                let c = chars[*i];
                if let Some(q) = quote {
                    if c == q {
                        quote = None;
                    }
                } else if c == '\'' || c == '"' {
                    quote = Some(c);
                } else if "([{".contains(c) {
                    depth += 1;
                } else if ")]}".contains(c) {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                } else if depth == 0 && (c == '!' && chars.get(*i + 1) != Some(&'=') || c == ':') {
                    break;
                }
                *i += 1;
            }
            let mut src: String = chars[start..*i].iter().collect();
            let mut debug = None;
            let trimmed = src.trim_end();
            if trimmed.ends_with('=') && !trimmed.ends_with("==") && !trimmed.ends_with("!=") {
                debug = Some(src.clone());
                src = trimmed[..trimmed.len() - 1].to_string();
            }
            if src.trim().is_empty() {
                return Err("f-string: empty expression not allowed".into());
            }
            let mut conv = None;
            if chars.get(*i) == Some(&'!') {
                conv = chars.get(*i + 1).copied();
                if !matches!(conv, Some('r' | 's' | 'a')) {
                    return Err(
                        "f-string: invalid conversion character: expected 's', 'r', or 'a'".into(),
                    );
                }
                *i += 2;
            }
            let mut spec = Vec::new();
            if chars.get(*i) == Some(&':') {
                *i += 1;
                spec = parse_fparts(chars, i, raw, line, true)?;
            }
            if chars.get(*i) != Some(&'}') {
                return Err("f-string: expecting '}'".into());
            }
            *i += 1;
            if debug.is_some() && conv.is_none() && spec.is_empty() {
                conv = Some('r');
            }
            parts.push(FPart::Expr {
                src,
                line,
                conv,
                spec,
                debug,
            });
        } else {
            lit.push(c);
            *i += 1;
        }
    }
    flush(&mut lit, &mut parts)?;
    Ok(parts)
}

/// A stable text listing of the tokens, for golden files.
pub fn listing(toks: &[Token]) -> String {
    let mut s = String::new();
    for t in toks {
        s.push_str(&format!("{}:{} {:?}\n", t.line, t.col, t.tok));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        tokenize(src).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn indentation_produces_indent_and_dedent() {
        let t = kinds("if x:\n    y\nz\n");
        assert!(t.contains(&Tok::Indent));
        assert!(t.contains(&Tok::Dedent));
    }

    #[test]
    fn numbers_in_every_base() {
        assert_eq!(
            kinds("0x_ff 0o17 0b101 1_000")[..4],
            [Tok::Int(255), Tok::Int(15), Tok::Int(5), Tok::Int(1000)]
        );
        assert_eq!(kinds("1.5e3")[0], Tok::Float(1500.0));
        assert!(matches!(kinds("99999999999999999999")[0], Tok::BigInt(_)));
    }

    #[test]
    fn escapes_and_raw_strings() {
        assert_eq!(kinds(r#"'a\tb\x41\u00e9'"#)[0], Tok::Str("a\tbAé".into()));
        assert_eq!(kinds(r#"r'a\n'"#)[0], Tok::Str("a\\n".into()));
    }

    #[test]
    fn brackets_join_lines() {
        let t = kinds("(1,\n 2)\n");
        assert_eq!(t.iter().filter(|t| **t == Tok::Newline).count(), 1);
    }

    #[test]
    fn unterminated_string_is_a_syntax_error() {
        assert!(tokenize("'abc\n").is_err());
    }
}
