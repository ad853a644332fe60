//! Text forms of values: `repr`, `str`, float repr by Python's shortest-round-trip rule,
//! the format-spec mini-language (`format`, f-strings) and `%`-formatting.

use std::fmt::Write;
use std::rc::Rc;

use super::error::{ExcKind, PResult, err, type_err, value_err};
use super::interp::Vm;
use super::ops::Num;
use super::value::*;

/// `repr(float)`: the shortest digits that round-trip, laid out as Python does
/// (`1e+16`, `1.5`, `1e-05`, `inf`, `nan`, `-0.0`).
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    let sci = format!("{f:e}");
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let e = exp as usize;
            if digits.len() <= e + 1 {
                out.push_str(&digits);
                out.push_str(&"0".repeat(e + 1 - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..e + 1]);
                out.push('.');
                out.push_str(&digits[e + 1..]);
            }
        } else {
            out.push_str("0.");
            out.push_str(&"0".repeat((-exp - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
    out
}

pub fn repr_str(s: &str) -> String {
    let q = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(q);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == q => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if !is_printable(c) => escape_code_point(&mut out, c),
            c => out.push(c),
        }
    }
    out.push(q);
    out
}

/// `c` as `repr` writes a character it does not show: `\xhh`, `\uhhhh` or `\Uhhhhhhhh`.
pub(super) fn escape_code_point(out: &mut String, c: char) {
    let n = c as u32;
    let _ = if n < 0x100 {
        write!(out, "\\x{n:02x}")
    } else if n < 0x10000 {
        write!(out, "\\u{n:04x}")
    } else {
        write!(out, "\\U{n:08x}")
    };
}

/// Python's `str.isprintable` for one char, approximated without Unicode tables: control,
/// format, separator (other than space), private-use and unassigned-looking code points.
fn is_printable(c: char) -> bool {
    let n = c as u32;
    !(n < 0x20
        || (0x7f..=0xa0).contains(&n)
        || n == 0xad
        || (0x2000..=0x200f).contains(&n)
        || (0x2028..=0x202f).contains(&n)
        || (0x205f..=0x206f).contains(&n)
        || n == 0x1680
        || n == 0x3000
        || n == 0xfeff
        || (0xe000..=0xf8ff).contains(&n)
        || (0xfff0..=0xfffb).contains(&n)
        || n == 0xfffe
        || n == 0xffff
        || n >= 0xf0000)
}

pub fn repr_bytes(b: &[u8]) -> String {
    let q = if b.contains(&b'\'') && !b.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from("b");
    out.push(q);
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            c if c as char == q => {
                out.push('\\');
                out.push(q);
            }
            0x20..=0x7e => out.push(c as char),
            c => {
                let _ = write!(out, "\\x{c:02x}");
            }
        }
    }
    out.push(q);
    out
}

impl Vm {
    pub fn repr(&mut self, v: Value) -> PResult<String> {
        let mut seen = Vec::new();
        self.repr_inner(v, &mut seen)
    }

    fn repr_inner(&mut self, v: Value, seen: &mut Vec<Ref>) -> PResult<String> {
        Ok(match v {
            Value::None => "None".into(),
            Value::Bool(b) => if b { "True" } else { "False" }.into(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => float_repr(f),
            Value::NotImplemented => "NotImplemented".into(),
            Value::Ellipsis => "Ellipsis".into(),
            Value::Obj(r) => {
                if seen.contains(&r) {
                    return Ok(match self.heap.get(r) {
                        Obj::List(_) => "[...]",
                        Obj::Dict(_) => "{...}",
                        _ => "...",
                    }
                    .into());
                }
                match self.heap.get(r) {
                    Obj::Str(s) => repr_str(s),
                    Obj::Bytes(b) => repr_bytes(b),
                    Obj::BigInt(b) => {
                        // CPython's guard against quadratic-time conversion of huge ints.
                        if b.bits() > 14_300
                            && (b.bits() as f64 * std::f64::consts::LOG10_2) as u64 >= 4300
                        {
                            return value_err(
                                "Exceeds the limit (4300 digits) for integer string conversion; use sys.set_int_max_str_digits() to increase the limit",
                            );
                        }
                        b.to_string()
                    }
                    Obj::List(l) => {
                        let l = l.clone();
                        seen.push(r);
                        let parts = self.repr_all(&l, seen)?;
                        seen.pop();
                        format!("[{}]", parts.join(", "))
                    }
                    Obj::Tuple(t) => {
                        let t = t.clone();
                        seen.push(r);
                        let parts = self.repr_all(&t, seen)?;
                        seen.pop();
                        if parts.len() == 1 {
                            format!("({},)", parts[0])
                        } else {
                            format!("({})", parts.join(", "))
                        }
                    }
                    Obj::Dict(d) => {
                        let items: Vec<(Value, Value)> = d.iter().collect();
                        seen.push(r);
                        let mut parts = Vec::new();
                        for (k, v) in items {
                            parts.push(format!(
                                "{}: {}",
                                self.repr_inner(k, seen)?,
                                self.repr_inner(v, seen)?
                            ));
                        }
                        seen.pop();
                        format!("{{{}}}", parts.join(", "))
                    }
                    Obj::Set(d, frozen) => {
                        let frozen = *frozen;
                        let keys = d.set_order();
                        seen.push(r);
                        let parts = self.repr_all(&keys, seen)?;
                        seen.pop();
                        match (frozen, parts.is_empty()) {
                            (false, true) => "set()".into(),
                            (false, false) => format!("{{{}}}", parts.join(", ")),
                            (true, true) => "frozenset()".into(),
                            (true, false) => format!("frozenset({{{}}})", parts.join(", ")),
                        }
                    }
                    Obj::Range(a, b, c) => {
                        if *c == 1 {
                            format!("range({a}, {b})")
                        } else {
                            format!("range({a}, {b}, {c})")
                        }
                    }
                    Obj::Slice(a, b, c) => {
                        let items = [*a, *b, *c];
                        // Through `seen`: a slice can hold a list that holds the slice.
                        seen.push(r);
                        let parts = self.repr_all(&items, seen)?;
                        seen.pop();
                        format!("slice({})", parts.join(", "))
                    }
                    Obj::Function(f) => format!(
                        "<function {} at 0x{:x}>",
                        f.code.qualname,
                        0x7f0000000000u64 + r.0 as u64 * 16
                    ),
                    Obj::Native(n) => match n.bound {
                        Some(b) => {
                            let t = self.type_name(b);
                            format!(
                                "<built-in method {} of {} object at 0x{:x}>",
                                n.name, t, r.0
                            )
                        }
                        None => format!("<built-in function {}>", n.name),
                    },
                    Obj::BoundMethod(s, f) => {
                        let (s, f) = (*s, *f);
                        let fname = match f.as_ref().map(|x| self.heap.get(x)) {
                            Some(Obj::Function(func)) => func.code.qualname.to_string(),
                            _ => "?".into(),
                        };
                        let sr = self.repr_inner(s, seen)?;
                        format!("<bound method {fname} of {sr}>")
                    }
                    Obj::Class(c) => {
                        if c.builtin.is_some() || self.class_is_builtin_exc(r) {
                            format!("<class '{}'>", c.name)
                        } else {
                            format!("<class '__main__.{}'>", c.name)
                        }
                    }
                    Obj::Module(n, _) => format!("<module '{n}'>"),
                    Obj::Generator(g) => format!("<generator object {} at 0x{:x}>", g.name, r.0),
                    Obj::Instance(i) => {
                        let class = i.class;
                        if i.exc.is_some() && self.class_lookup(class, "__repr__").is_none() {
                            let name = self.class_name(class);
                            let args = self.exc_data(v).map(|d| d.args.clone()).unwrap_or_default();
                            let parts = self.repr_all(&args, seen)?;
                            return Ok(format!("{name}({})", parts.join(", ")));
                        }
                        match self.class_lookup(class, "__repr__") {
                            Some(f) => {
                                let b = self.alloc(Obj::BoundMethod(v, f));
                                let s = self.call_sync(b, Vec::new(), Vec::new())?;
                                match self.str_val(s) {
                                    Some(s) => s.to_string(),
                                    None => {
                                        let t = self.type_name(s);
                                        return type_err(format!(
                                            "__repr__ returned non-string (type {t})"
                                        ));
                                    }
                                }
                            }
                            None => {
                                let name = self.class_name(class);
                                format!(
                                    "<__main__.{name} object at 0x{:x}>",
                                    0x7f0000000000u64 + r.0 as u64 * 16
                                )
                            }
                        }
                    }
                    Obj::Host(c, _) => {
                        let c = *c;
                        match self.class_lookup(c, "__repr__") {
                            Some(f) => {
                                let b = self.alloc(Obj::BoundMethod(v, f));
                                let s = self.call_sync(b, Vec::new(), Vec::new())?;
                                self.str_val(s).map(|s| s.to_string()).unwrap_or_default()
                            }
                            None => format!("<{} object>", self.class_name(c)),
                        }
                    }
                    Obj::Iter(_) => format!("<iterator object at 0x{:x}>", r.0),
                    Obj::View(..) => {
                        let name = self.type_name(v);
                        let items = self.iterate(v)?;
                        let parts = self.repr_all(&items, seen)?;
                        format!("{name}([{}])", parts.join(", "))
                    }
                    Obj::Cell(_) => "<cell>".into(),
                    Obj::Property(..) => "<property object>".into(),
                    Obj::StaticMethod(_) => "<staticmethod object>".into(),
                    Obj::ClassMethod(_) => "<classmethod object>".into(),
                    Obj::Super(..) => "<super object>".into(),
                }
            }
        })
    }

    fn class_is_builtin_exc(&self, r: Ref) -> bool {
        self.exc_classes.contains(&r)
    }

    fn repr_all(&mut self, items: &[Value], seen: &mut Vec<Ref>) -> PResult<Vec<String>> {
        items.iter().map(|x| self.repr_inner(*x, seen)).collect()
    }

    pub fn to_str(&mut self, v: Value) -> PResult<String> {
        if let Value::Obj(r) = v {
            match self.heap.get(r) {
                Obj::Str(s) => return Ok(s.to_string()),
                Obj::Instance(i) => {
                    let class = i.class;
                    let is_exc = i.exc.is_some();
                    if let Some(f) = self.class_lookup(class, "__str__") {
                        let b = self.alloc(Obj::BoundMethod(v, f));
                        let s = self.call_sync(b, Vec::new(), Vec::new())?;
                        return match self.str_val(s) {
                            Some(s) => Ok(s.to_string()),
                            None => {
                                let t = self.type_name(s);
                                type_err(format!("__str__ returned non-string (type {t})"))
                            }
                        };
                    }
                    if is_exc && self.class_lookup(class, "__repr__").is_none() {
                        let args = self.exc_data(v).map(|d| d.args.clone()).unwrap_or_default();
                        let key_error = self.is_instance_of_kind(v, ExcKind::KeyError);
                        return match args.len() {
                            0 => Ok(String::new()),
                            1 if key_error => self.repr(args[0]),
                            1 => self.to_str(args[0]),
                            _ => {
                                let t = self.new_tuple(args);
                                self.repr(t)
                            }
                        };
                    }
                }
                _ => {}
            }
        }
        self.repr(v)
    }

    /// `FormatValue`: conversion then `format(v, spec)`.
    pub fn format_value(&mut self, v: Value, conv: u8, spec: Value) -> PResult<String> {
        let spec = self.str_val(spec).unwrap_or_else(|| Rc::from(""));
        let v = match conv {
            b'r' | b'a' => {
                let s = self.repr(v)?;
                if spec.is_empty() {
                    return Ok(s);
                }
                self.new_str(s)
            }
            b's' => {
                let s = self.to_str(v)?;
                if spec.is_empty() {
                    return Ok(s);
                }
                self.new_str(s)
            }
            _ => v,
        };
        self.format(v, &spec)
    }

    pub fn format(&mut self, v: Value, spec: &str) -> PResult<String> {
        if let Value::Obj(r) = v
            && matches!(self.heap.get(r), Obj::Instance(_))
        {
            if let Some(f) = self.class_lookup(self.type_of(v), "__format__") {
                let b = self.alloc(Obj::BoundMethod(v, f));
                let s = self.new_str(spec);
                let out = self.call_sync(b, vec![s], Vec::new())?;
                return match self.str_val(out) {
                    Some(s) => Ok(s.to_string()),
                    None => type_err("__format__ must return a str"),
                };
            }
            if spec.is_empty() {
                return self.to_str(v);
            }
            let s = self.to_str(v)?;
            let sv = self.new_str(s);
            return self.format(sv, spec);
        }
        if spec.is_empty() {
            return self.to_str(v);
        }
        let sp = parse_spec(spec)?;
        if let Some(s) = self.str_val(v) {
            if sp.ty.is_some_and(|t| t != 's') {
                return value_err(format!(
                    "Unknown format code '{}' for object of type 'str'",
                    sp.ty.unwrap_or('s')
                ));
            }
            let s: String = match sp.precision {
                Some(p) => s.chars().take(p).collect(),
                None => s.to_string(),
            };
            return Ok(pad(&s, &sp, '<'));
        }
        let Some(n) = self.num(v) else {
            let s = self.to_str(v)?;
            return Ok(pad(&s, &sp, '<'));
        };
        let is_int = matches!(n, Num::I(_) | Num::B(_)) && !matches!(v, Value::Float(_));
        format_number(&n, is_int, &sp)
    }
}

#[derive(Default, Debug)]
pub struct Spec {
    pub fill: Option<char>,
    pub align: Option<char>,
    pub sign: Option<char>,
    pub alt: bool,
    pub zero: bool,
    pub width: usize,
    pub grouping: Option<char>,
    pub precision: Option<usize>,
    pub ty: Option<char>,
}

pub fn parse_spec(spec: &str) -> PResult<Spec> {
    let c: Vec<char> = spec.chars().collect();
    let mut i = 0;
    let mut sp = Spec::default();
    let is_align = |ch: char| matches!(ch, '<' | '>' | '^' | '=');
    if c.len() >= 2 && is_align(c[1]) {
        sp.fill = Some(c[0]);
        sp.align = Some(c[1]);
        i = 2;
    } else if !c.is_empty() && is_align(c[0]) {
        sp.align = Some(c[0]);
        i = 1;
    }
    if i < c.len() && matches!(c[i], '+' | '-' | ' ') {
        sp.sign = Some(c[i]);
        i += 1;
    }
    if i < c.len() && c[i] == '#' {
        sp.alt = true;
        i += 1;
    }
    if i < c.len() && c[i] == '0' {
        sp.zero = true;
        i += 1;
    }
    while i < c.len() && c[i].is_ascii_digit() {
        sp.width = sp.width * 10 + c[i].to_digit(10).unwrap_or(0) as usize;
        i += 1;
    }
    if i < c.len() && (c[i] == ',' || c[i] == '_') {
        sp.grouping = Some(c[i]);
        i += 1;
    }
    if i < c.len() && c[i] == '.' {
        i += 1;
        let mut p = 0;
        let start = i;
        while i < c.len() && c[i].is_ascii_digit() {
            p = p * 10 + c[i].to_digit(10).unwrap_or(0) as usize;
            i += 1;
        }
        if i == start {
            return value_err("Format specifier missing precision");
        }
        sp.precision = Some(p);
    }
    if i < c.len() {
        sp.ty = Some(c[i]);
        i += 1;
    }
    if i < c.len() {
        return value_err("Invalid format specifier");
    }
    Ok(sp)
}

fn pad(s: &str, sp: &Spec, default_align: char) -> String {
    let len = s.chars().count();
    if len >= sp.width {
        return s.to_string();
    }
    let fill = sp.fill.unwrap_or(if sp.zero && sp.align.is_none() {
        '0'
    } else {
        ' '
    });
    let align = sp.align.unwrap_or(if sp.zero && default_align == '>' {
        '='
    } else {
        default_align
    });
    let n = sp.width - len;
    let f = |k: usize| std::iter::repeat_n(fill, k).collect::<String>();
    match align {
        '<' => format!("{s}{}", f(n)),
        '^' => format!("{}{s}{}", f(n / 2), f(n - n / 2)),
        '=' => {
            let (sign, rest) = match s.chars().next() {
                Some(c @ ('+' | '-' | ' ')) => (c.to_string(), &s[1..]),
                _ => (String::new(), s),
            };
            let (prefix, rest) = if rest.len() > 1
                && rest.starts_with('0')
                && matches!(rest.as_bytes()[1], b'x' | b'X' | b'o' | b'b')
            {
                (&rest[..2], &rest[2..])
            } else {
                ("", rest)
            };
            format!("{sign}{prefix}{}{rest}", f(n))
        }
        _ => format!("{}{s}", f(n)),
    }
}

fn group(int_part: &str, sep: char, every: usize) -> String {
    let digits: Vec<char> = int_part.chars().collect();
    let mut out = String::new();
    for (i, d) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(every) {
            out.push(sep);
        }
        out.push(*d);
    }
    out
}

pub fn format_number(n: &Num, is_int: bool, sp: &Spec) -> PResult<String> {
    let ty = sp.ty.unwrap_or(if is_int { 'd' } else { 'r' });
    // `%d` and `{}` of a small int: the commonest case, without the big-int detour.
    if let Num::I(i) = n
        && is_int
        && matches!(ty, 'd' | 'n')
        && sp.width == 0
        && sp.sign.is_none()
        && sp.grouping.is_none()
        && sp.precision.is_none()
    {
        return Ok(i.to_string());
    }
    let neg;
    let mut body = match ty {
        'd' | 'n' | 'x' | 'X' | 'o' | 'b' | 'c' => {
            if !is_int {
                return value_err(format!(
                    "Unknown format code '{ty}' for object of type 'float'"
                ));
            }
            let b = match n {
                Num::I(i) => num_bigint::BigInt::from(*i),
                Num::B(b) => b.clone(),
                Num::F(f) => num_bigint::BigInt::from(*f as i64),
            };
            neg = b.sign() == num_bigint::Sign::Minus;
            let m = if neg { -b } else { b };
            let digits = match ty {
                'x' => m.to_str_radix(16),
                'X' => m.to_str_radix(16).to_uppercase(),
                'o' => m.to_str_radix(8),
                'b' => m.to_str_radix(2),
                'c' => {
                    use num_traits::ToPrimitive;
                    return Ok(char::from_u32(m.to_u32().unwrap_or(0))
                        .map(|c| c.to_string())
                        .unwrap_or_default());
                }
                _ => m.to_string(),
            };
            let digits = match sp.grouping {
                Some(g) => group(&digits, g, if ty == 'd' || ty == 'n' { 3 } else { 4 }),
                None => digits,
            };
            let prefix = if sp.alt {
                match ty {
                    'x' => "0x",
                    'X' => "0X",
                    'o' => "0o",
                    'b' => "0b",
                    _ => "",
                }
            } else {
                ""
            };
            format!("{prefix}{digits}")
        }
        'f' | 'F' | 'e' | 'E' | 'g' | 'G' | '%' | 'r' => {
            let f = super::ops::num_f64(n);
            neg = f.is_sign_negative() && !f.is_nan();
            let a = f.abs();
            let s = if a.is_infinite() || a.is_nan() {
                let s = if a.is_nan() { "nan" } else { "inf" };
                if ty.is_ascii_uppercase() {
                    s.to_uppercase()
                } else {
                    s.to_string()
                }
            } else {
                match ty {
                    'f' | 'F' => format!("{:.*}", sp.precision.unwrap_or(6), a),
                    '%' => format!("{:.*}%", sp.precision.unwrap_or(6), a * 100.0),
                    'e' | 'E' => {
                        let s = exp_format(a, sp.precision.unwrap_or(6));
                        if ty == 'E' { s.to_uppercase() } else { s }
                    }
                    'g' | 'G' => {
                        let s = general_format(a, sp.precision.unwrap_or(6), sp.alt);
                        if ty == 'G' { s.to_uppercase() } else { s }
                    }
                    _ => match sp.precision {
                        Some(p) => general_format(a, p, false),
                        None => float_repr(a),
                    },
                }
            };
            match sp.grouping {
                Some(g) => {
                    let (ip, rest) = match s.find(|c: char| !c.is_ascii_digit()) {
                        Some(i) => (&s[..i], &s[i..]),
                        None => (&s[..], ""),
                    };
                    format!("{}{rest}", group(ip, g, 3))
                }
                None => s,
            }
        }
        's' => {
            return err(
                ExcKind::ValueError,
                format!(
                    "Unknown format code 's' for object of type '{}'",
                    if is_int { "int" } else { "float" }
                ),
            );
        }
        _ => {
            return value_err(format!(
                "Unknown format code '{ty}' for object of type '{}'",
                if is_int { "int" } else { "float" }
            ));
        }
    };
    let sign = if neg {
        "-"
    } else {
        match sp.sign {
            Some('+') => "+",
            Some(' ') => " ",
            _ => "",
        }
    };
    body.insert_str(0, sign);
    Ok(pad(&body, sp, '>'))
}

fn exp_format(a: f64, prec: usize) -> String {
    let s = format!("{:.*e}", prec, a);
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
}

fn general_format(a: f64, prec: usize, alt: bool) -> String {
    let p = if prec == 0 { 1 } else { prec };
    if a == 0.0 {
        return if alt {
            format!("{:.*}", p - 1, 0.0)
        } else {
            "0".into()
        };
    }
    let s = format!("{:.*e}", p - 1, a);
    let exp: i32 = s
        .split_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    let out = if exp >= -4 && exp < p as i32 {
        format!("{:.*}", (p as i32 - 1 - exp).max(0) as usize, a)
    } else {
        exp_format(a, p - 1)
    };
    if alt {
        return out;
    }
    // Strip trailing zeros of the fraction.
    match out.split_once('e') {
        Some((m, e)) => {
            let m = if m.contains('.') {
                m.trim_end_matches('0').trim_end_matches('.')
            } else {
                m
            };
            format!("{m}e{e}")
        }
        None => {
            if out.contains('.') {
                out.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                out
            }
        }
    }
}

/// `str % args`.
pub fn percent_format(vm: &mut Vm, fmt: &str, args: Value) -> PResult<String> {
    let is_tuple = matches!(args, Value::Obj(r) if matches!(vm.heap.get(r), Obj::Tuple(_)));
    let is_map = matches!(args, Value::Obj(r) if matches!(vm.heap.get(r), Obj::Dict(_)));
    let items: Vec<Value> = if is_tuple {
        vm.list_items(args)
    } else {
        vec![args]
    };
    let mut next = 0;
    let mut out = String::new();
    let c: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    while i < c.len() {
        if c[i] != '%' {
            out.push(c[i]);
            i += 1;
            continue;
        }
        i += 1;
        if i >= c.len() {
            return value_err("incomplete format");
        }
        let mut mapped = None;
        if c[i] == '(' {
            let start = i + 1;
            while i < c.len() && c[i] != ')' {
                i += 1;
            }
            let key: String = c[start..i.min(c.len())].iter().collect();
            i += 1;
            let k = vm.new_str(key);
            mapped = Some(match vm.subscr_value(args, k)? {
                Some(v) => v,
                None => return type_err("format requires a mapping"),
            });
        }
        let mut sp = Spec::default();
        while i < c.len() && matches!(c[i], '-' | '+' | ' ' | '#' | '0') {
            match c[i] {
                '-' => sp.align = Some('<'),
                '+' => sp.sign = Some('+'),
                ' ' => sp.sign = sp.sign.or(Some(' ')),
                '#' => sp.alt = true,
                _ => sp.zero = true,
            }
            i += 1;
        }
        let mut take = |vm: &mut Vm| -> PResult<Value> {
            if let Some(m) = mapped {
                return Ok(m);
            }
            let _ = vm;
            let v = items.get(next).copied();
            next += 1;
            v.ok_or(super::error::Exc::New(
                ExcKind::TypeError,
                "not enough arguments for format string".into(),
            ))
        };
        if i < c.len() && c[i] == '*' {
            let w = take(vm)?;
            sp.width = match w {
                Value::Int(n) => n.max(0) as usize,
                _ => return type_err("* wants int"),
            };
            i += 1;
        }
        while i < c.len() && c[i].is_ascii_digit() {
            sp.width = sp.width * 10 + c[i].to_digit(10).unwrap_or(0) as usize;
            i += 1;
        }
        if i < c.len() && c[i] == '.' {
            i += 1;
            let mut p = 0;
            while i < c.len() && c[i].is_ascii_digit() {
                p = p * 10 + c[i].to_digit(10).unwrap_or(0) as usize;
                i += 1;
            }
            sp.precision = Some(p);
        }
        if i >= c.len() {
            return value_err("incomplete format");
        }
        let ty = c[i];
        i += 1;
        if ty == '%' {
            out.push('%');
            continue;
        }
        let v = take(vm)?;
        let s = match ty {
            's' | 'r' | 'a' => {
                let s = if ty == 's' {
                    vm.to_str(v)?
                } else {
                    vm.repr(v)?
                };
                let s: String = match sp.precision {
                    Some(p) => s.chars().take(p).collect(),
                    None => s,
                };
                sp.zero = false;
                pad(&s, &sp, '>')
            }
            'd' | 'i' | 'u' | 'x' | 'X' | 'o' | 'e' | 'E' | 'f' | 'F' | 'g' | 'G' | 'c' => {
                if ty == 'c'
                    && let Some(s) = vm.str_val(v)
                {
                    s.to_string()
                } else {
                    let Some(n) = vm.num(v) else {
                        let t = vm.type_name(v);
                        return type_err(format!(
                            "%{ty} format: a real number is required, not {t}"
                        ));
                    };
                    let (n, is_int) = match (ty, &n) {
                        ('d' | 'i' | 'u' | 'x' | 'X' | 'o' | 'c', Num::F(f)) => {
                            (Num::I(f.trunc() as i64), true)
                        }
                        ('d' | 'i' | 'u' | 'x' | 'X' | 'o' | 'c', _) => (n, true),
                        _ => (n, false),
                    };
                    sp.ty = Some(match ty {
                        'i' | 'u' => 'd',
                        t => t,
                    });
                    if sp.align == Some('<') {
                        sp.zero = false;
                    }
                    if sp.alt && ty == 'o' {
                        sp.alt = true;
                    }
                    format_number(&n, is_int, &sp)?
                }
            }
            _ => {
                return value_err(format!(
                    "unsupported format character '{ty}' (0x{:x}) at index {}",
                    ty as u32,
                    i - 1
                ));
            }
        };
        out.push_str(&s);
    }
    if !is_map && is_tuple && next < items.len() {
        return type_err("not all arguments converted during string formatting");
    }
    if !is_map && !is_tuple && next == 0 && !matches!(args, Value::Obj(_)) {
        return type_err("not all arguments converted during string formatting");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_repr_matches_python() {
        assert_eq!(float_repr(1.5), "1.5");
        assert_eq!(float_repr(1e16), "1e+16");
        assert_eq!(float_repr(1e15), "1000000000000000.0");
        assert_eq!(float_repr(0.0001), "0.0001");
        assert_eq!(float_repr(0.00001), "1e-05");
        assert_eq!(float_repr(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(float_repr(-0.0), "-0.0");
        assert_eq!(float_repr(f64::INFINITY), "inf");
        assert_eq!(float_repr(123456789.0), "123456789.0");
        assert_eq!(float_repr(1.23e-7), "1.23e-07");
    }

    #[test]
    fn general_format_strips_zeros() {
        assert_eq!(general_format(0.5, 6, false), "0.5");
        assert_eq!(general_format(1234567.0, 6, false), "1.23457e+06");
    }
}
