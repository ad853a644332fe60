//! The `json` module: `dumps` (with `sort_keys`, `indent`, `separators`) and `loads`.

use std::rc::Rc;

use super::error::{PResult, type_err, value_err};
use super::interp::Vm;
use super::value::*;

type Kw = [(Rc<str>, Value)];

fn kw_get(kw: &Kw, name: &str) -> Option<Value> {
    kw.iter().find(|(k, _)| &**k == name).map(|(_, v)| *v)
}

pub fn dumps(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let sort = match kw_get(kw, "sort_keys") {
        Some(v) => vm.truthy(v)?,
        None => false,
    };
    let indent = match kw_get(kw, "indent") {
        Some(Value::Int(n)) => Some(" ".repeat(n.max(0) as usize)),
        Some(v) => vm.str_val(v).map(|s| s.to_string()),
        None => None,
    };
    let (item_sep, key_sep) = match kw_get(kw, "separators") {
        Some(v) if !matches!(v, Value::None) => {
            let t = vm.list_items(v);
            let a = t
                .first()
                .and_then(|x| vm.str_val(*x))
                .map(|s| s.to_string())
                .unwrap_or_else(|| ", ".into());
            let b = t
                .get(1)
                .and_then(|x| vm.str_val(*x))
                .map(|s| s.to_string())
                .unwrap_or_else(|| ": ".into());
            (a, b)
        }
        _ => (
            if indent.is_some() {
                ",".into()
            } else {
                ", ".into()
            },
            ": ".into(),
        ),
    };
    let ascii = match kw_get(kw, "ensure_ascii") {
        Some(v) => vm.truthy(v)?,
        None => true,
    };
    let opts = Opts {
        sort,
        indent,
        item_sep,
        key_sep,
        ascii,
    };
    let mut out = String::new();
    encode(
        vm,
        args.first().copied().unwrap_or(Value::None),
        &opts,
        0,
        &mut out,
    )?;
    Ok(vm.new_str(out))
}

struct Opts {
    sort: bool,
    indent: Option<String>,
    item_sep: String,
    key_sep: String,
    ascii: bool,
}

fn quote(s: &str, ascii: bool, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (ascii && c as u32 > 126) => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn newline(opts: &Opts, depth: usize, out: &mut String) {
    if let Some(ind) = &opts.indent {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(ind);
        }
    }
}

fn encode(vm: &mut Vm, v: Value, opts: &Opts, depth: usize, out: &mut String) -> PResult<()> {
    if depth > 500 {
        return value_err("Circular reference detected");
    }
    match v {
        Value::None => out.push_str("null"),
        Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&if f.is_nan() {
            "NaN".into()
        } else if f.is_infinite() {
            if f > 0.0 {
                "Infinity".into()
            } else {
                "-Infinity".into()
            }
        } else {
            super::format::float_repr(f)
        }),
        Value::Obj(r) => match vm.heap.get(r) {
            Obj::Str(s) => quote(s, opts.ascii, out),
            Obj::BigInt(b) => out.push_str(&b.to_string()),
            Obj::List(_) | Obj::Tuple(_) => {
                let items = vm.list_items(v);
                if items.is_empty() {
                    out.push_str("[]");
                    return Ok(());
                }
                out.push('[');
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(&opts.item_sep);
                    }
                    newline(opts, depth + 1, out);
                    encode(vm, *x, opts, depth + 1, out)?;
                }
                newline(opts, depth, out);
                out.push(']');
            }
            Obj::Dict(d) => {
                let mut pairs: Vec<(Value, Value)> = d.iter().collect();
                if pairs.is_empty() {
                    out.push_str("{}");
                    return Ok(());
                }
                let mut keyed = Vec::new();
                for (k, x) in pairs.drain(..) {
                    let ks = match k {
                        Value::Obj(kr) if matches!(vm.heap.get(kr), Obj::Str(_)) => {
                            vm.str_val(k).map(|s| s.to_string()).unwrap_or_default()
                        }
                        Value::Int(i) => i.to_string(),
                        Value::Float(f) => super::format::float_repr(f),
                        Value::Bool(b) => (if b { "true" } else { "false" }).into(),
                        Value::None => "null".into(),
                        _ => {
                            let t = vm.type_name(k);
                            return type_err(format!(
                                "keys must be str, int, float, bool or None, not {t}"
                            ));
                        }
                    };
                    keyed.push((ks, x));
                }
                if opts.sort {
                    keyed.sort_by(|a, b| a.0.cmp(&b.0));
                }
                out.push('{');
                for (i, (k, x)) in keyed.into_iter().enumerate() {
                    if i > 0 {
                        out.push_str(&opts.item_sep);
                    }
                    newline(opts, depth + 1, out);
                    quote(&k, opts.ascii, out);
                    out.push_str(&opts.key_sep);
                    encode(vm, x, opts, depth + 1, out)?;
                }
                newline(opts, depth, out);
                out.push('}');
            }
            _ => {
                let t = vm.type_name(v);
                return type_err(format!("Object of type {t} is not JSON serializable"));
            }
        },
        _ => {
            let t = vm.type_name(v);
            return type_err(format!("Object of type {t} is not JSON serializable"));
        }
    }
    Ok(())
}

pub fn loads(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let v = args.first().copied().unwrap_or(Value::None);
    let s = match vm.str_val(v) {
        Some(s) => s,
        None => match v.as_ref().map(|r| vm.heap.get(r)) {
            Some(Obj::Bytes(b)) => Rc::from(String::from_utf8_lossy(b).as_ref()),
            _ => {
                let t = vm.type_name(v);
                return type_err(format!(
                    "the JSON object must be str, bytes or bytearray, not {t}"
                ));
            }
        },
    };
    let chars: Vec<char> = s.chars().collect();
    let mut p = JsonParser {
        c: &chars,
        i: 0,
        src: &s,
    };
    p.ws();
    let v = p.value(vm, 0)?;
    p.ws();
    if p.i < chars.len() {
        return p.fail("Extra data");
    }
    Ok(v)
}

struct JsonParser<'a> {
    c: &'a [char],
    i: usize,
    src: &'a str,
}

impl JsonParser<'_> {
    fn fail<T>(&self, msg: &str) -> PResult<T> {
        let before: String = self.c[..self.i.min(self.c.len())].iter().collect();
        let line = before.matches('\n').count() + 1;
        let col = before
            .rsplit('\n')
            .next()
            .map(|l| l.chars().count())
            .unwrap_or(0)
            + 1;
        let _ = self.src;
        value_err(format!("{msg}: line {line} column {col} (char {})", self.i))
    }

    fn ws(&mut self) {
        while self.i < self.c.len() && matches!(self.c[self.i], ' ' | '\t' | '\n' | '\r') {
            self.i += 1;
        }
    }

    fn lit(&mut self, word: &str) -> bool {
        let w: Vec<char> = word.chars().collect();
        if self.c[self.i..].starts_with(&w) {
            self.i += w.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, vm: &mut Vm, depth: usize) -> PResult<Value> {
        if depth > 500 {
            return self.fail("Too deeply nested");
        }
        let Some(&c) = self.c.get(self.i) else {
            return self.fail("Expecting value");
        };
        match c {
            '{' => {
                self.i += 1;
                let d = vm.new_dict();
                self.ws();
                if self.c.get(self.i) == Some(&'}') {
                    self.i += 1;
                    return Ok(d);
                }
                loop {
                    self.ws();
                    if self.c.get(self.i) != Some(&'"') {
                        return self.fail("Expecting property name enclosed in double quotes");
                    }
                    let k = self.string()?;
                    let k = vm.new_str(k);
                    self.ws();
                    if self.c.get(self.i) != Some(&':') {
                        return self.fail("Expecting ':' delimiter");
                    }
                    self.i += 1;
                    self.ws();
                    let v = self.value(vm, depth + 1)?;
                    vm.dict_set(d, k, v)?;
                    self.ws();
                    match self.c.get(self.i) {
                        Some(',') => self.i += 1,
                        Some('}') => {
                            self.i += 1;
                            return Ok(d);
                        }
                        _ => return self.fail("Expecting ',' delimiter"),
                    }
                }
            }
            '[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.c.get(self.i) == Some(&']') {
                    self.i += 1;
                    return Ok(vm.new_list(items));
                }
                loop {
                    self.ws();
                    items.push(self.value(vm, depth + 1)?);
                    self.ws();
                    match self.c.get(self.i) {
                        Some(',') => self.i += 1,
                        Some(']') => {
                            self.i += 1;
                            return Ok(vm.new_list(items));
                        }
                        _ => return self.fail("Expecting ',' delimiter"),
                    }
                }
            }
            '"' => {
                let s = self.string()?;
                Ok(vm.new_str(s))
            }
            't' if self.lit("true") => Ok(Value::Bool(true)),
            'f' if self.lit("false") => Ok(Value::Bool(false)),
            'n' if self.lit("null") => Ok(Value::None),
            'N' if self.lit("NaN") => Ok(Value::Float(f64::NAN)),
            'I' if self.lit("Infinity") => Ok(Value::Float(f64::INFINITY)),
            '-' if self.c.get(self.i + 1) == Some(&'I') => {
                self.i += 1;
                if self.lit("Infinity") {
                    Ok(Value::Float(f64::NEG_INFINITY))
                } else {
                    self.fail("Expecting value")
                }
            }
            '-' | '0'..='9' => {
                let start = self.i;
                if c == '-' {
                    self.i += 1;
                }
                let digits_start = self.i;
                while self.i < self.c.len() && self.c[self.i].is_ascii_digit() {
                    self.i += 1;
                }
                if self.i == digits_start {
                    self.i = start;
                    return self.fail("Expecting value");
                }
                let mut float = false;
                if self.c.get(self.i) == Some(&'.')
                    && self.c.get(self.i + 1).is_some_and(|d| d.is_ascii_digit())
                {
                    float = true;
                    self.i += 1;
                    while self.i < self.c.len() && self.c[self.i].is_ascii_digit() {
                        self.i += 1;
                    }
                }
                if matches!(self.c.get(self.i), Some('e' | 'E')) {
                    let save = self.i;
                    self.i += 1;
                    if matches!(self.c.get(self.i), Some('+' | '-')) {
                        self.i += 1;
                    }
                    if self.c.get(self.i).is_some_and(|d| d.is_ascii_digit()) {
                        float = true;
                        while self.i < self.c.len() && self.c[self.i].is_ascii_digit() {
                            self.i += 1;
                        }
                    } else {
                        self.i = save;
                    }
                }
                let text: String = self.c[start..self.i].iter().collect();
                if float {
                    Ok(Value::Float(text.parse().unwrap_or(f64::NAN)))
                } else {
                    super::builtins::parse_int(vm, &text, 10)
                }
            }
            _ => self.fail("Expecting value"),
        }
    }

    fn string(&mut self) -> PResult<String> {
        let start = self.i;
        self.i += 1;
        let mut out = String::new();
        loop {
            let Some(&c) = self.c.get(self.i) else {
                self.i = start;
                return self.fail("Unterminated string starting at");
            };
            self.i += 1;
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let Some(&e) = self.c.get(self.i) else {
                        return self.fail("Unterminated string starting at");
                    };
                    self.i += 1;
                    match e {
                        '"' => out.push('"'),
                        '\\' => out.push('\\'),
                        '/' => out.push('/'),
                        'b' => out.push('\x08'),
                        'f' => out.push('\x0c'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => {
                            let hex: String = self
                                .c
                                .get(self.i..self.i + 4)
                                .map(|h| h.iter().collect())
                                .unwrap_or_default();
                            let Ok(mut cp) = u32::from_str_radix(&hex, 16) else {
                                return self.fail("Invalid \\uXXXX escape");
                            };
                            self.i += 4;
                            if (0xd800..0xdc00).contains(&cp)
                                && self.c.get(self.i) == Some(&'\\')
                                && self.c.get(self.i + 1) == Some(&'u')
                            {
                                let hex2: String = self
                                    .c
                                    .get(self.i + 2..self.i + 6)
                                    .map(|h| h.iter().collect())
                                    .unwrap_or_default();
                                if let Ok(lo) = u32::from_str_radix(&hex2, 16)
                                    && (0xdc00..0xe000).contains(&lo)
                                {
                                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                                    self.i += 6;
                                }
                            }
                            out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                        }
                        _ => {
                            self.i -= 2;
                            return self.fail("Invalid \\escape");
                        }
                    }
                }
                c if (c as u32) < 0x20 => {
                    self.i -= 1;
                    return self.fail("Invalid control character at");
                }
                c => out.push(c),
            }
        }
    }
}
