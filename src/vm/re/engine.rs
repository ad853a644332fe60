//! A backtracking regex engine for Python's `re` syntax, over chars.
//!
//! Patterns compile to a small instruction program run by an explicit-stack backtracking
//! machine (no Rust recursion per character). Every step counts against a budget, so a
//! hostile pattern fails with an error instead of hanging the daemon.

use std::collections::HashMap;

use crate::vm::unicode;

pub const I: u32 = 2;
pub const M: u32 = 8;
pub const S: u32 = 16;
pub const X: u32 = 64;
/// `re.ASCII`: `\w`, `\d`, `\s`, `\b` and case-insensitive matching know only ASCII.
pub const A: u32 = 256;

/// Steps per search before giving up.
pub const STEP_LIMIT: u64 = 50_000_000;

#[derive(Debug, Clone)]
enum Node {
    Char(char),
    Any,
    Class(Class),
    Start,
    End,
    StrStart,
    StrEnd,
    WordB(bool),
    Group(Option<usize>, Box<Node>),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat(Box<Node>, u32, Option<u32>, bool),
    Backref(usize),
    Look(bool, bool, Box<Node>),
    Empty,
}

#[derive(Debug, Clone, Default)]
struct Class {
    ranges: Vec<(char, char)>,
    /// \d \w \s and their negations inside a class.
    builtins: Vec<(char, bool)>,
    negated: bool,
    /// Made when compiled: for each ASCII char, bit 0 says whether it matches, bit 1 whether
    /// it matches ignoring case. Searches test nearly every char against a class.
    ascii: Option<Box<[u8; 128]>>,
    /// Compiled under `re.ASCII`.
    ascii_only: bool,
}

fn builtin_match(k: char, c: char, ascii_only: bool) -> bool {
    if ascii_only && !c.is_ascii() {
        return false;
    }
    match k {
        'd' => unicode::is_decimal(c),
        'w' => c.is_alphanumeric() || c == '_',
        's' => unicode::is_space(c),
        _ => false,
    }
}

impl Class {
    /// This class with its ASCII table filled in, for a pattern with `flags`.
    fn compiled(&self, flags: u32) -> Class {
        let mut class = Class {
            ascii_only: flags & A != 0,
            ..self.clone()
        };
        let mut table = [0u8; 128];
        for (i, slot) in table.iter_mut().enumerate() {
            let c = i as u8 as char;
            *slot = class.matches(c, false) as u8 | (class.matches(c, true) as u8) << 1;
        }
        class.ascii = Some(Box::new(table));
        class
    }

    fn matches(&self, c: char, icase: bool) -> bool {
        if let Some(table) = &self.ascii
            && let Some(bits) = table.get(c as usize)
        {
            return bits & (1 << icase as u8) != 0;
        }
        let test = |c: char| {
            self.ranges.iter().any(|(a, b)| *a <= c && c <= *b)
                || self
                    .builtins
                    .iter()
                    .any(|(k, neg)| builtin_match(*k, c, self.ascii_only) != *neg)
        };
        let mut r = test(c);
        if !r && icase {
            r = if self.ascii_only {
                c.is_ascii_alphabetic()
                    && (test(c.to_ascii_lowercase()) || test(c.to_ascii_uppercase()))
            } else {
                case_group(c, |x| x != c && test(x))
            };
        }
        r != self.negated
    }
}

pub struct Parsed {
    node: Node,
    pub groups: usize,
    pub names: HashMap<String, usize>,
    pub flags: u32,
}

struct P<'a> {
    c: &'a [char],
    i: usize,
    groups: usize,
    names: HashMap<String, usize>,
    flags: u32,
}

pub fn parse(pattern: &str, flags: u32) -> Result<Parsed, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut p = P {
        c: &chars,
        i: 0,
        groups: 0,
        names: HashMap::new(),
        flags,
    };
    // Global inline flags like (?i) at the start.
    while p.c[p.i..].starts_with(&['(', '?'])
        && p.c.get(p.i + 2).is_some_and(|c| "imsxa".contains(*c))
    {
        let mut j = p.i + 2;
        let mut f = 0;
        while let Some(&c) = p.c.get(j) {
            match c {
                'i' => f |= I,
                'm' => f |= M,
                's' => f |= S,
                'x' => f |= X,
                'a' => f |= A,
                'u' | 'L' => {}
                ')' => break,
                _ => return Err("unknown flag".into()),
            }
            j += 1;
        }
        if p.c.get(j) != Some(&')') {
            break;
        }
        p.flags |= f;
        p.i = j + 1;
    }
    let node = p.alt()?;
    if p.i < p.c.len() {
        return Err(if p.c[p.i] == ')' {
            format!("unbalanced parenthesis at position {}", p.i)
        } else {
            "unexpected character".into()
        });
    }
    Ok(Parsed {
        node,
        groups: p.groups,
        names: p.names,
        flags: p.flags,
    })
}

impl P<'_> {
    fn peek(&self) -> Option<char> {
        self.c.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        if self.flags & X == 0 {
            return;
        }
        while let Some(c) = self.peek() {
            // Verbose patterns skip ASCII whitespace only, as CPython's do.
            if matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c') {
                self.i += 1;
            } else if c == '#' {
                while let Some(c) = self.peek() {
                    self.i += 1;
                    if c == '\n' {
                        break;
                    }
                }
            } else {
                break;
            }
        }
    }

    fn alt(&mut self) -> Result<Node, String> {
        let mut branches = vec![self.concat()?];
        while self.peek() == Some('|') {
            self.i += 1;
            branches.push(self.concat()?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alt(branches)
        })
    }

    fn concat(&mut self) -> Result<Node, String> {
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None | Some('|') | Some(')') => break,
                _ => {}
            }
            let atom = self.atom()?;
            self.skip_ws();
            let atom = self.quantifier(atom)?;
            items.push(atom);
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Node::Empty)
        } else {
            Node::Concat(items)
        })
    }

    fn number(&mut self) -> Option<u32> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        if self.i == start {
            return None;
        }
        self.c[start..self.i]
            .iter()
            .collect::<String>()
            .parse()
            .ok()
    }

    fn quantifier(&mut self, atom: Node) -> Result<Node, String> {
        let (min, max) = match self.peek() {
            Some('*') => {
                self.i += 1;
                (0, None)
            }
            Some('+') => {
                self.i += 1;
                (1, None)
            }
            Some('?') => {
                self.i += 1;
                (0, Some(1))
            }
            Some('{') => {
                let save = self.i;
                self.i += 1;
                let lo = self.number();
                let (lo, hi) = if self.peek() == Some(',') {
                    self.i += 1;
                    (lo.unwrap_or(0), self.number())
                } else {
                    match lo {
                        Some(n) => (n, Some(n)),
                        None => {
                            self.i = save;
                            return Ok(atom);
                        }
                    }
                };
                if self.peek() != Some('}') {
                    self.i = save;
                    return Ok(atom);
                }
                self.i += 1;
                if hi.is_some_and(|h| h < lo) {
                    return Err("min repeat greater than max repeat".into());
                }
                (lo, hi)
            }
            _ => return Ok(atom),
        };
        if matches!(
            atom,
            Node::Start | Node::End | Node::Repeat(..) | Node::Empty
        ) && !matches!(atom, Node::Start | Node::End)
        {
            return Err("multiple repeat".into());
        }
        let greedy = if self.peek() == Some('?') {
            self.i += 1;
            false
        } else {
            if self.peek() == Some('+') {
                return Err("possessive quantifiers are not supported".into());
            }
            true
        };
        Ok(Node::Repeat(Box::new(atom), min, max, greedy))
    }

    fn atom(&mut self) -> Result<Node, String> {
        let Some(c) = self.peek() else {
            return Ok(Node::Empty);
        };
        self.i += 1;
        Ok(match c {
            '.' => Node::Any,
            '^' => Node::Start,
            '$' => Node::End,
            '[' => Node::Class(self.class()?),
            '(' => self.group()?,
            '\\' => self.escape(false)?.0,
            '*' | '+' | '?' => return Err(format!("nothing to repeat at position {}", self.i - 1)),
            c => Node::Char(c),
        })
    }

    fn group(&mut self) -> Result<Node, String> {
        if self.peek() == Some('?') {
            self.i += 1;
            match self.peek() {
                Some(':') => {
                    self.i += 1;
                    let n = self.alt()?;
                    self.close()?;
                    return Ok(Node::Group(None, Box::new(n)));
                }
                Some('P') => {
                    self.i += 1;
                    if self.peek() == Some('<') {
                        self.i += 1;
                        let start = self.i;
                        while self.peek().is_some_and(|c| c != '>') {
                            self.i += 1;
                        }
                        let name: String = self.c[start..self.i].iter().collect();
                        self.i += 1;
                        self.groups += 1;
                        let idx = self.groups;
                        if self.names.insert(name.clone(), idx).is_some() {
                            return Err(format!("redefinition of group name '{name}'"));
                        }
                        let n = self.alt()?;
                        self.close()?;
                        return Ok(Node::Group(Some(idx), Box::new(n)));
                    }
                    if self.peek() == Some('=') {
                        self.i += 1;
                        let start = self.i;
                        while self.peek().is_some_and(|c| c != ')') {
                            self.i += 1;
                        }
                        let name: String = self.c[start..self.i].iter().collect();
                        self.i += 1;
                        return match self.names.get(&name) {
                            Some(n) => Ok(Node::Backref(*n)),
                            None => Err(format!("unknown group name '{name}'")),
                        };
                    }
                    return Err("unknown extension ?P".into());
                }
                Some('=') | Some('!') => {
                    let neg = self.peek() == Some('!');
                    self.i += 1;
                    let n = self.alt()?;
                    self.close()?;
                    return Ok(Node::Look(false, neg, Box::new(n)));
                }
                Some('<') => {
                    self.i += 1;
                    let neg = match self.peek() {
                        Some('=') => false,
                        Some('!') => true,
                        _ => return Err("unknown extension ?<".into()),
                    };
                    self.i += 1;
                    let n = self.alt()?;
                    self.close()?;
                    return Ok(Node::Look(true, neg, Box::new(n)));
                }
                Some('#') => {
                    while self.peek().is_some_and(|c| c != ')') {
                        self.i += 1;
                    }
                    self.i += 1;
                    return Ok(Node::Empty);
                }
                _ => return Err("unknown extension".into()),
            }
        }
        self.groups += 1;
        let idx = self.groups;
        let n = self.alt()?;
        self.close()?;
        Ok(Node::Group(Some(idx), Box::new(n)))
    }

    fn close(&mut self) -> Result<(), String> {
        if self.peek() == Some(')') {
            self.i += 1;
            Ok(())
        } else {
            Err(format!(
                "missing ), unterminated subpattern at position {}",
                self.i
            ))
        }
    }

    /// After a backslash. Returns the node, and for classes the char when it is a literal.
    fn escape(&mut self, in_class: bool) -> Result<(Node, Option<char>), String> {
        let Some(c) = self.peek() else {
            return Err("bad escape (end of pattern)".into());
        };
        self.i += 1;
        let lit = |ch: char| Ok((Node::Char(ch), Some(ch)));
        let cls = |k: char, neg: bool| {
            Ok((
                Node::Class(Class {
                    builtins: vec![(k, neg)],
                    ..Default::default()
                }),
                None,
            ))
        };
        match c {
            'd' | 'w' | 's' => cls(c, false),
            'D' | 'W' | 'S' => cls(c.to_ascii_lowercase(), true),
            'b' if in_class => lit('\x08'),
            'b' => Ok((Node::WordB(true), None)),
            'B' => Ok((Node::WordB(false), None)),
            'A' => Ok((Node::StrStart, None)),
            'Z' => Ok((Node::StrEnd, None)),
            'n' => lit('\n'),
            't' => lit('\t'),
            'r' => lit('\r'),
            'f' => lit('\x0c'),
            'v' => lit('\x0b'),
            'a' => lit('\x07'),
            '0' => lit('\0'),
            'x' | 'u' | 'U' => {
                let n = match c {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = self
                    .c
                    .get(self.i..self.i + n)
                    .map(|s| s.iter().collect())
                    .unwrap_or_default();
                self.i += n;
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => lit(ch),
                    None => Err(format!("incomplete escape \\{c}{hex}")),
                }
            }
            '1'..='9' if !in_class => {
                self.i -= 1;
                let n = self.number().unwrap_or(0) as usize;
                if n > self.groups {
                    return Err(format!(
                        "invalid group reference {n} at position {}",
                        self.i
                    ));
                }
                Ok((Node::Backref(n), None))
            }
            c if c.is_ascii_alphanumeric() => {
                Err(format!("bad escape \\{c} at position {}", self.i - 2))
            }
            c => lit(c),
        }
    }

    fn class(&mut self) -> Result<Class, String> {
        let mut cl = Class::default();
        if self.peek() == Some('^') {
            cl.negated = true;
            self.i += 1;
        }
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return Err("unterminated character set".into());
            };
            if c == ']' && !first {
                self.i += 1;
                break;
            }
            first = false;
            self.i += 1;
            let lo = if c == '\\' {
                match self.escape(true)? {
                    (Node::Class(inner), _) => {
                        cl.builtins.extend(inner.builtins);
                        continue;
                    }
                    (_, Some(ch)) => ch,
                    _ => continue,
                }
            } else {
                c
            };
            if self.peek() == Some('-') && self.c.get(self.i + 1).is_some_and(|n| *n != ']') {
                self.i += 1;
                let h = self.peek().unwrap_or(lo);
                self.i += 1;
                let hi = if h == '\\' {
                    match self.escape(true)? {
                        (_, Some(ch)) => ch,
                        _ => return Err("bad character range".into()),
                    }
                } else {
                    h
                };
                if hi < lo {
                    return Err(format!("bad character range {lo}-{hi}"));
                }
                cl.ranges.push((lo, hi));
            } else {
                cl.ranges.push((lo, lo));
            }
        }
        Ok(cl)
    }
}

#[derive(Debug, Clone)]
enum Inst {
    Char(char),
    Any,
    Class(usize),
    Assert(u8),
    Split(usize, usize),
    Jmp(usize),
    Save(usize),
    /// Loop guard: remember the position in register n.
    Mark(usize),
    /// Fail if the position has not advanced since the matching Mark.
    Progress(usize),
    Backref(usize),
    /// Lookaround: program range [start, end), behind?, negated?
    Look(usize, usize, bool, bool),
    Match,
}

pub struct Prog {
    insts: Vec<Inst>,
    classes: Vec<Class>,
    pub ngroups: usize,
    nregs: usize,
    flags: u32,
    pub names: HashMap<String, usize>,
    /// What can begin a match, when that is known: a search skips other start positions.
    first: Option<FirstSet>,
}

/// The chars a match can begin with: a table for ASCII, the consuming instructions for the
/// rest.
struct FirstSet {
    ascii: [bool; 128],
    insts: Vec<usize>,
}

pub fn compile(parsed: Parsed) -> Result<Prog, String> {
    let mut c = Comp {
        insts: Vec::new(),
        classes: Vec::new(),
        nregs: 0,
        flags: parsed.flags,
    };
    c.insts.push(Inst::Save(0));
    c.node(&parsed.node)?;
    c.insts.push(Inst::Save(1));
    c.insts.push(Inst::Match);
    let mut prog = Prog {
        insts: c.insts,
        classes: c.classes,
        ngroups: parsed.groups,
        nregs: c.nregs,
        flags: parsed.flags,
        names: parsed.names,
        first: None,
    };
    prog.first = prog.first_set();
    Ok(prog)
}

struct Comp {
    insts: Vec<Inst>,
    classes: Vec<Class>,
    nregs: usize,
    flags: u32,
}

impl Comp {
    fn node(&mut self, n: &Node) -> Result<(), String> {
        if self.insts.len() > 200_000 {
            return Err("pattern too large".into());
        }
        match n {
            Node::Char(c) => self.insts.push(Inst::Char(*c)),
            Node::Any => self.insts.push(Inst::Any),
            Node::Class(cl) => {
                self.classes.push(cl.compiled(self.flags));
                self.insts.push(Inst::Class(self.classes.len() - 1));
            }
            Node::Start => self.insts.push(Inst::Assert(0)),
            Node::End => self.insts.push(Inst::Assert(1)),
            Node::StrStart => self.insts.push(Inst::Assert(2)),
            Node::StrEnd => self.insts.push(Inst::Assert(3)),
            Node::WordB(true) => self.insts.push(Inst::Assert(4)),
            Node::WordB(false) => self.insts.push(Inst::Assert(5)),
            Node::Empty => {}
            Node::Group(idx, inner) => {
                if let Some(i) = idx {
                    self.insts.push(Inst::Save(2 * i));
                }
                self.node(inner)?;
                if let Some(i) = idx {
                    self.insts.push(Inst::Save(2 * i + 1));
                }
            }
            Node::Concat(items) => {
                for i in items {
                    self.node(i)?;
                }
            }
            Node::Alt(branches) => {
                let mut jumps = Vec::new();
                for (k, b) in branches.iter().enumerate() {
                    if k + 1 < branches.len() {
                        let split = self.insts.len();
                        self.insts.push(Inst::Split(split + 1, 0));
                        self.node(b)?;
                        jumps.push(self.insts.len());
                        self.insts.push(Inst::Jmp(0));
                        let next = self.insts.len();
                        self.insts[split] = Inst::Split(split + 1, next);
                    } else {
                        self.node(b)?;
                    }
                }
                let end = self.insts.len();
                for j in jumps {
                    self.insts[j] = Inst::Jmp(end);
                }
            }
            Node::Repeat(inner, min, max, greedy) => {
                for _ in 0..*min {
                    self.node(inner)?;
                }
                match max {
                    None => {
                        let reg = self.nregs;
                        self.nregs += 1;
                        let split = self.insts.len();
                        self.insts.push(Inst::Split(0, 0));
                        self.insts.push(Inst::Mark(reg));
                        self.node(inner)?;
                        self.insts.push(Inst::Progress(reg));
                        self.insts.push(Inst::Jmp(split));
                        let end = self.insts.len();
                        self.insts[split] = if *greedy {
                            Inst::Split(split + 1, end)
                        } else {
                            Inst::Split(end, split + 1)
                        };
                    }
                    Some(mx) => {
                        let mut splits = Vec::new();
                        for _ in *min..*mx {
                            splits.push(self.insts.len());
                            self.insts.push(Inst::Split(0, 0));
                            self.node(inner)?;
                        }
                        let end = self.insts.len();
                        for s in splits {
                            self.insts[s] = if *greedy {
                                Inst::Split(s + 1, end)
                            } else {
                                Inst::Split(end, s + 1)
                            };
                        }
                    }
                }
            }
            Node::Backref(n) => self.insts.push(Inst::Backref(*n)),
            Node::Look(behind, neg, inner) => {
                let at = self.insts.len();
                self.insts.push(Inst::Look(0, 0, *behind, *neg));
                let start = self.insts.len();
                self.node(inner)?;
                self.insts.push(Inst::Match);
                let end = self.insts.len();
                self.insts[at] = Inst::Look(start, end, *behind, *neg);
            }
        }
        let _ = self.flags;
        Ok(())
    }
}

pub enum Outcome {
    Found(Vec<Option<usize>>),
    NotFound,
    TooComplex,
}

enum Frame {
    Try(usize, usize),
    Restore(usize, Option<usize>),
    RestoreReg(usize, usize),
}

fn is_word(c: Option<&char>, ascii_only: bool) -> bool {
    c.is_some_and(|c| builtin_match('w', *c, ascii_only))
}

impl Prog {
    /// Runs the program from `start` (the whole program) or a lookaround sub-program.
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        text: &[char],
        pc0: usize,
        pos0: usize,
        caps: &mut [Option<usize>],
        steps: &mut u64,
        end_at: Option<usize>,
        scratch: &mut Scratch,
    ) -> Option<usize> {
        let icase = self.flags & I != 0;
        let ascii = self.flags & A != 0;
        let Scratch { regs, stack } = scratch;
        regs.clear();
        regs.resize(self.nregs, usize::MAX);
        stack.clear();
        stack.push(Frame::Try(pc0, pos0));
        while let Some(f) = stack.pop() {
            let (mut pc, mut pos) = match f {
                Frame::Try(pc, pos) => (pc, pos),
                Frame::Restore(slot, v) => {
                    caps[slot] = v;
                    continue;
                }
                Frame::RestoreReg(r, v) => {
                    regs[r] = v;
                    continue;
                }
            };
            loop {
                *steps += 1;
                if *steps > STEP_LIMIT {
                    return None;
                }
                match &self.insts[pc] {
                    Inst::Match => {
                        if end_at.is_some_and(|e| e != pos) {
                            break;
                        }
                        return Some(pos);
                    }
                    Inst::Char(c) => {
                        let ok = text
                            .get(pos)
                            .is_some_and(|t| t == c || (icase && eq_icase(*t, *c, ascii)));
                        if !ok {
                            break;
                        }
                        pos += 1;
                        pc += 1;
                    }
                    Inst::Any => {
                        let ok = text
                            .get(pos)
                            .is_some_and(|t| *t != '\n' || self.flags & S != 0);
                        if !ok {
                            break;
                        }
                        pos += 1;
                        pc += 1;
                    }
                    Inst::Class(i) => {
                        let ok = text
                            .get(pos)
                            .is_some_and(|t| self.classes[*i].matches(*t, icase));
                        if !ok {
                            break;
                        }
                        pos += 1;
                        pc += 1;
                    }
                    Inst::Assert(k) => {
                        let ml = self.flags & M != 0;
                        let ok = match k {
                            0 => pos == 0 || (ml && text[pos - 1] == '\n'),
                            1 => {
                                pos == text.len()
                                    || (ml && text[pos] == '\n')
                                    || (pos + 1 == text.len() && text[pos] == '\n')
                            }
                            2 => pos == 0,
                            3 => pos == text.len(),
                            4 | 5 => {
                                let before = pos.checked_sub(1).and_then(|p| text.get(p));
                                let b = is_word(before, ascii) != is_word(text.get(pos), ascii);
                                b == (*k == 4)
                            }
                            _ => false,
                        };
                        if !ok {
                            break;
                        }
                        pc += 1;
                    }
                    Inst::Split(a, b) => {
                        stack.push(Frame::Try(*b, pos));
                        pc = *a;
                    }
                    Inst::Jmp(t) => pc = *t,
                    Inst::Save(slot) => {
                        stack.push(Frame::Restore(*slot, caps[*slot]));
                        caps[*slot] = Some(pos);
                        pc += 1;
                    }
                    Inst::Mark(r) => {
                        stack.push(Frame::RestoreReg(*r, regs[*r]));
                        regs[*r] = pos;
                        pc += 1;
                    }
                    Inst::Progress(r) => {
                        if regs[*r] == pos {
                            break;
                        }
                        pc += 1;
                    }
                    Inst::Backref(n) => {
                        let (Some(s), Some(e)) = (
                            caps.get(2 * n).copied().flatten(),
                            caps.get(2 * n + 1).copied().flatten(),
                        ) else {
                            break;
                        };
                        let len = e.saturating_sub(s);
                        if pos + len > text.len() {
                            break;
                        }
                        // Backreferences compare simple lowercases only, as CPython's do:
                        // `(s)\1` does not match "s\u{17f}" although `s` matches `\u{17f}`.
                        let ok = (0..len).all(|k| {
                            let (a, b) = (text[s + k], text[pos + k]);
                            a == b
                                || (icase && ascii && a.eq_ignore_ascii_case(&b))
                                || (icase && !ascii && lower1(a) == lower1(b))
                        });
                        if !ok {
                            break;
                        }
                        pos += len;
                        pc += 1;
                    }
                    Inst::Look(start, end, behind, neg) => {
                        let mut sub = caps.to_vec();
                        let found = if *behind {
                            (0..=pos).rev().any(|from| {
                                let mut c2 = caps.to_vec();
                                let r = self
                                    .run(
                                        text,
                                        *start,
                                        from,
                                        &mut c2,
                                        steps,
                                        Some(pos),
                                        &mut Scratch::default(),
                                    )
                                    .is_some();
                                if r {
                                    sub = c2;
                                }
                                r
                            })
                        } else {
                            self.run(
                                text,
                                *start,
                                pos,
                                &mut sub,
                                steps,
                                None,
                                &mut Scratch::default(),
                            )
                            .is_some()
                        };
                        if *steps > STEP_LIMIT {
                            return None;
                        }
                        if found == *neg {
                            break;
                        }
                        if found && !neg {
                            for (slot, v) in sub.into_iter().enumerate() {
                                if caps[slot] != v {
                                    stack.push(Frame::Restore(slot, caps[slot]));
                                    caps[slot] = v;
                                }
                            }
                        }
                        let _ = end;
                        pc = *end;
                    }
                }
            }
        }
        None
    }

    /// Tries to match at each position from `start` (only at `start` when anchored).
    pub fn search(&self, text: &[char], start: usize, anchored: bool, full: bool) -> Outcome {
        let mut steps = 0u64;
        let mut pos = start;
        let mut caps = vec![None; 2 * (self.ngroups + 1)];
        let mut scratch = Scratch::default();
        let first = self.first.as_ref().filter(|_| !anchored);
        let icase = self.flags & I != 0;
        loop {
            if let Some(first) = first {
                // Skip start positions whose first char cannot begin a match.
                while pos < text.len() && !self.can_start(first, text[pos], icase) {
                    pos += 1;
                }
                if pos >= text.len() {
                    // Patterns whose first step consumes a char cannot match at the end.
                    return Outcome::NotFound;
                }
            }
            caps.fill(None);
            let end_at = if full { Some(text.len()) } else { None };
            if let Some(end) = self.run(text, 0, pos, &mut caps, &mut steps, end_at, &mut scratch) {
                caps[0] = Some(pos);
                caps[1] = Some(end);
                return Outcome::Found(caps);
            }
            if steps > STEP_LIMIT {
                return Outcome::TooComplex;
            }
            if anchored || pos >= text.len() {
                return Outcome::NotFound;
            }
            pos += 1;
        }
    }
}

/// Reusable buffers of the backtracking machine, so a search allocates once, not per start
/// position.
#[derive(Default)]
struct Scratch {
    regs: Vec<usize>,
    stack: Vec<Frame>,
}

impl Prog {
    /// The consuming instructions every match starts with, found by following every path
    /// from the start over zero-width steps (groups, branches, assertions: skipping an
    /// assertion only makes the set larger). None when some path can match without
    /// consuming, or starts with `.`, a backreference or a lookaround.
    fn first_set(&self) -> Option<FirstSet> {
        let icase = self.flags & I != 0;
        let mut seen = vec![false; self.insts.len()];
        let mut todo = vec![0usize];
        let mut insts = Vec::new();
        while let Some(pc) = todo.pop() {
            if std::mem::replace(seen.get_mut(pc)?, true) {
                continue;
            }
            match self.insts.get(pc)? {
                Inst::Save(_) | Inst::Assert(_) | Inst::Mark(_) | Inst::Progress(_) => {
                    todo.push(pc + 1)
                }
                Inst::Split(a, b) => todo.extend([*a, *b]),
                Inst::Jmp(a) => todo.push(*a),
                Inst::Char(_) | Inst::Class(_) => insts.push(pc),
                Inst::Any | Inst::Backref(_) | Inst::Look(..) | Inst::Match => return None,
            }
        }
        let mut ascii = [false; 128];
        for (b, ok) in ascii.iter_mut().enumerate() {
            *ok = insts
                .iter()
                .any(|&pc| self.char_ok(pc, b as u8 as char, icase));
        }
        Some(FirstSet { ascii, insts })
    }

    fn can_start(&self, first: &FirstSet, c: char, icase: bool) -> bool {
        match first.ascii.get(c as usize) {
            Some(ok) => *ok,
            None => first.insts.iter().any(|&pc| self.char_ok(pc, c, icase)),
        }
    }

    fn char_ok(&self, pc: usize, c: char, icase: bool) -> bool {
        match &self.insts[pc] {
            Inst::Char(x) => *x == c || (icase && eq_icase(*x, c, self.flags & A != 0)),
            Inst::Class(i) => self.classes[*i].matches(c, icase),
            _ => true,
        }
    }
}

/// The simple (one-character) lowercase mapping, which CPython's `re` folds with. The full
/// mapping is one character for every character but U+0130, whose first is its simple one.
fn lower1(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// Case-insensitive equality of pattern and subject characters, by CPython's rule: the same
/// simple lowercase, or lowercases with the same uppercase (`s` and `\u{17f}`, `\u{3c3}` and
/// `\u{3c2}`, `i` and `\u{131}`). Not full case folding: `\u{df}` never matches `s`.
/// Under `re.ASCII` only ASCII letters fold.
fn eq_icase(a: char, b: char, ascii_only: bool) -> bool {
    if ascii_only {
        return a.eq_ignore_ascii_case(&b);
    }
    let (a, b) = (lower1(a), lower1(b));
    a == b || case_key(a).eq(case_key(b))
}

/// What [`eq_icase`] compares: the full uppercase of the simple lowercase.
fn case_key(c: char) -> std::char::ToUppercase {
    lower1(c).to_uppercase()
}

/// The characters outside ASCII that are [`eq_icase`] to an ASCII letter. A test checks
/// this against the full table.
const ASCII_CASE_EXTRA: [(char, char); 4] = [
    ('i', '\u{130}'),
    ('i', '\u{131}'),
    ('k', '\u{212a}'),
    ('s', '\u{17f}'),
];

/// Whether `f` holds for some character [`eq_icase`] to `c` (`c` included): what a class
/// must contain to match `c` ignoring case. ASCII needs no table (class tables are built
/// for every ASCII character when a pattern compiles); other characters look theirs up in
/// one built on first use, from every character's case mappings.
fn case_group(c: char, mut f: impl FnMut(char) -> bool) -> bool {
    if c.is_ascii() {
        let l = c.to_ascii_lowercase();
        return f(l)
            || f(l.to_ascii_uppercase())
            || ASCII_CASE_EXTRA.iter().any(|&(a, x)| a == l && f(x));
    }
    let table = case_groups();
    let key: Vec<char> = case_key(c).collect();
    let from = table.partition_point(|(k, _)| k.as_slice() < key.as_slice());
    let mut found = f(c);
    for (k, x) in table.get(from..).unwrap_or_default() {
        if *k != key || found {
            break;
        }
        found = f(*x);
    }
    found
}

/// Every character a case mapping changes, or that is the result of one, with its
/// [`case_key`], sorted by key: each key's run is one group of [`eq_icase`] characters.
fn case_groups() -> &'static [(Vec<char>, char)] {
    static TABLE: std::sync::OnceLock<Vec<(Vec<char>, char)>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t: Vec<(Vec<char>, char)> = (0..=0x10ffffu32)
            .filter_map(char::from_u32)
            .filter(|&c| {
                let l = lower1(c);
                l != c || case_key(c).ne(std::iter::once(c))
            })
            .map(|c| (case_key(c).collect(), c))
            .collect();
        // Characters that only receive mappings (`A` maps to nothing else) join their group.
        let targets: Vec<char> = t
            .iter()
            .filter_map(|(k, _)| match k.as_slice() {
                [one] => Some(*one),
                _ => None,
            })
            .collect();
        for c in targets {
            let key: Vec<char> = case_key(c).collect();
            t.push((key, c));
        }
        t.sort_unstable();
        t.dedup();
        t
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ascii_case_groups_agree_with_the_full_table() {
        for c in (0u8..128).map(char::from) {
            let mut from_table: Vec<char> = Vec::new();
            let key: Vec<char> = case_key(c).collect();
            for (k, x) in case_groups() {
                if *k == key && *x != c {
                    from_table.push(*x);
                }
            }
            if c.is_ascii_alphabetic() {
                from_table.push(c);
            }
            from_table.sort_unstable();
            from_table.dedup();
            let mut shortcut: Vec<char> = Vec::new();
            let _ = case_group(c, |x| {
                shortcut.push(x);
                false
            });
            shortcut.retain(|&x| x.is_alphabetic());
            shortcut.sort_unstable();
            shortcut.dedup();
            assert_eq!(shortcut, from_table, "{c:?}");
        }
    }

    fn find(p: &str, t: &str) -> Option<(usize, usize)> {
        let prog = compile(parse(p, 0).unwrap()).unwrap();
        let chars: Vec<char> = t.chars().collect();
        match prog.search(&chars, 0, false, false) {
            Outcome::Found(c) => Some((c[0]?, c[1]?)),
            _ => None,
        }
    }

    #[test]
    fn basic_matches() {
        assert_eq!(find("b+", "abbbc"), Some((1, 4)));
        assert_eq!(find("a|bc", "xbc"), Some((1, 3)));
        assert_eq!(find(r"(\w+)@(\w+)\.com", "mail bob@ex.com"), Some((5, 15)));
        assert_eq!(find(r"(a)\1", "xaay"), Some((1, 3)));
        assert_eq!(find(r"foo(?=bar)", "foobaz foobar"), Some((7, 10)));
        assert_eq!(find(r"(?<!x)y", "xy y"), Some((3, 4)));
        assert_eq!(find("(a*)*b", "aaab"), Some((0, 4)));
    }

    #[test]
    fn catastrophic_patterns_hit_the_step_limit() {
        let prog = compile(parse("(a+)+$", 0).unwrap()).unwrap();
        let text: Vec<char> = format!("{}!", "a".repeat(40)).chars().collect();
        assert!(matches!(
            prog.search(&text, 0, false, false),
            Outcome::TooComplex
        ));
    }
}
