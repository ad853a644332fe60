//! `str` and `bytes` methods.

use std::rc::Rc;

use super::super::error::{ExcKind, PResult, type_err, value_err};
use super::super::interp::Vm;
use super::super::unicode;
use super::super::value::*;

type Kw = [(Rc<str>, Value)];

pub const STR: &[(&str, NativeFn)] = &[
    ("join", join),
    ("split", split),
    ("rsplit", rsplit),
    ("splitlines", splitlines),
    ("strip", strip),
    ("lstrip", lstrip),
    ("rstrip", rstrip),
    ("upper", upper),
    ("lower", lower),
    ("casefold", lower),
    ("swapcase", swapcase),
    ("title", title),
    ("capitalize", capitalize),
    ("replace", replace),
    ("startswith", startswith),
    ("endswith", endswith),
    ("find", find),
    ("rfind", rfind),
    ("index", index),
    ("rindex", rindex),
    ("count", count),
    ("format", format),
    ("partition", partition),
    ("rpartition", rpartition),
    ("isdigit", isdigit),
    ("isdecimal", isdecimal),
    ("isnumeric", isnumeric),
    ("isalpha", isalpha),
    ("isalnum", isalnum),
    ("isspace", isspace),
    ("isupper", isupper),
    ("islower", islower),
    ("isidentifier", isidentifier),
    ("istitle", istitle),
    ("center", center),
    ("ljust", ljust),
    ("rjust", rjust),
    ("zfill", zfill),
    ("encode", encode),
    ("removeprefix", removeprefix),
    ("removesuffix", removesuffix),
    ("expandtabs", expandtabs),
    ("isascii", isascii),
    ("maketrans", maketrans),
    ("translate", translate),
    ("format_map", format_map),
];

fn s0(vm: &Vm, args: &[Value]) -> PResult<Rc<str>> {
    match args.first().and_then(|v| vm.str_val(*v)) {
        Some(s) => Ok(s),
        None => type_err("descriptor requires a 'str' object"),
    }
}

pub(super) fn arg_str(vm: &Vm, args: &[Value], i: usize, what: &str) -> PResult<Option<Rc<str>>> {
    match args.get(i) {
        None | Some(Value::None) => Ok(None),
        Some(v) => match vm.str_val(*v) {
            Some(s) => Ok(Some(s)),
            None => {
                let t = vm.type_name(*v);
                type_err(format!("{what} arg must be None or str, not {t}"))
            }
        },
    }
}

fn arg_int(args: &[Value], i: usize, default: i64) -> i64 {
    match args.get(i) {
        Some(Value::Int(n)) => *n,
        Some(Value::Bool(b)) => *b as i64,
        _ => default,
    }
}

pub(super) fn join(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let sep = s0(vm, args)?;
    let items = vm.iterate_rooted(args.get(1).copied().unwrap_or(Value::None))?;
    let mut out = String::new();
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(&sep);
        }
        match vm.str_val(*x) {
            Some(s) => out.push_str(&s),
            None => {
                let t = vm.type_name(*x);
                return type_err(format!(
                    "sequence item {i}: expected str instance, {t} found"
                ));
            }
        }
    }
    Ok(vm.new_str(out))
}

fn str_list(vm: &mut Vm, parts: Vec<&str>) -> Value {
    let items: Vec<Value> = parts.into_iter().map(|p| vm.new_str(p)).collect();
    vm.new_list(items)
}

fn split_args(vm: &Vm, args: &[Value], kw: &Kw) -> PResult<(Option<Rc<str>>, i64)> {
    let mut sep = arg_str(vm, args, 1, "sep")?;
    let mut max = arg_int(args, 2, -1);
    for (k, v) in kw {
        match &**k {
            "sep" => sep = vm.str_val(*v),
            "maxsplit" => max = arg_int(&[*v], 0, -1),
            _ => {}
        }
    }
    if sep.as_deref() == Some("") {
        return value_err("empty separator");
    }
    Ok((sep, max))
}

pub(super) fn split(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let s = s0(vm, args)?;
    let (sep, max) = split_args(vm, args, kw)?;
    let parts: Vec<&str> = match &sep {
        Some(sep) => {
            // A one-char separator searches with memchr, not the two-way string searcher.
            let one = sep.chars().next().filter(|_| sep.chars().count() == 1);
            if let (Some(c), true) = (one, max < 0) {
                s.split(c).collect()
            } else if max < 0 {
                s.split(&**sep).collect()
            } else {
                s.splitn(max as usize + 1, &**sep).collect()
            }
        }
        None => {
            let mut out = Vec::new();
            let mut rest = s.trim_start_matches(unicode::is_space);
            let mut n = 0;
            while !rest.is_empty() {
                if max >= 0 && n >= max {
                    out.push(rest.trim_end_matches(|_| false));
                    break;
                }
                let end = rest.find(unicode::is_space).unwrap_or(rest.len());
                out.push(&rest[..end]);
                rest = rest[end..].trim_start_matches(unicode::is_space);
                n += 1;
            }
            out
        }
    };
    Ok(str_list(vm, parts))
}

pub(super) fn rsplit(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let s = s0(vm, args)?;
    let (sep, max) = split_args(vm, args, kw)?;
    let mut parts: Vec<&str> = match &sep {
        Some(sep) => {
            if max < 0 {
                s.rsplit(&**sep).collect()
            } else {
                s.rsplitn(max as usize + 1, &**sep).collect()
            }
        }
        None => {
            let mut out = Vec::new();
            let mut rest = s.trim_end_matches(unicode::is_space);
            let mut n = 0;
            while !rest.is_empty() {
                if max >= 0 && n >= max {
                    out.push(rest);
                    break;
                }
                let start = rest
                    .rfind(unicode::is_space)
                    .map(|i| i + rest[i..].chars().next().map_or(1, |c| c.len_utf8()))
                    .unwrap_or(0);
                out.push(&rest[start..]);
                rest = rest[..start].trim_end_matches(unicode::is_space);
                n += 1;
            }
            out
        }
    };
    parts.reverse();
    Ok(str_list(vm, parts))
}

pub(super) fn splitlines(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let s = s0(vm, args)?;
    let keep = args
        .get(1)
        .or(kw.iter().find(|k| &*k.0 == "keepends").map(|k| &k.1))
        .is_some_and(|v| matches!(v, Value::Bool(true) | Value::Int(1)));
    let mut out = Vec::new();
    let mut start = 0;
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\n' || b[i] == b'\r' {
            let mut end = i + 1;
            if b[i] == b'\r' && i + 1 < b.len() && b[i + 1] == b'\n' {
                end += 1;
            }
            out.push(&s[start..if keep { end } else { i }]);
            start = end;
            i = end;
        } else {
            i += 1;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    Ok(str_list(vm, out))
}

fn strip_impl(vm: &mut Vm, args: &[Value], left: bool, right: bool) -> PResult<Value> {
    let s = s0(vm, args)?;
    let chars = arg_str(vm, args, 1, "strip")?;
    let pred = |c: char| match &chars {
        Some(cs) => cs.contains(c),
        None => unicode::is_space(c),
    };
    let mut r: &str = &s;
    if left {
        r = r.trim_start_matches(pred);
    }
    if right {
        r = r.trim_end_matches(pred);
    }
    let r = r.to_string();
    Ok(vm.new_str(r))
}

pub(super) fn strip(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    strip_impl(vm, args, true, true)
}
pub(super) fn lstrip(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    strip_impl(vm, args, true, false)
}
pub(super) fn rstrip(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    strip_impl(vm, args, false, true)
}

fn map_str(vm: &mut Vm, args: &[Value], f: impl Fn(&str) -> String) -> PResult<Value> {
    let s = s0(vm, args)?;
    let r = f(&s);
    Ok(vm.new_str(r))
}

pub(super) fn upper(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    map_str(vm, args, |s| s.to_uppercase())
}
pub(super) fn lower(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    map_str(vm, args, |s| s.to_lowercase())
}
pub(super) fn swapcase(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    map_str(vm, args, |s| {
        s.chars()
            .flat_map(|c| {
                if c.is_uppercase() {
                    c.to_lowercase().collect::<Vec<_>>()
                } else {
                    c.to_uppercase().collect()
                }
            })
            .collect()
    })
}
pub(super) fn title(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    map_str(vm, args, |s| {
        if s.is_ascii() {
            let mut out = Vec::with_capacity(s.len());
            let mut prev_cased = false;
            for b in s.bytes() {
                out.push(if prev_cased {
                    b.to_ascii_lowercase()
                } else {
                    b.to_ascii_uppercase()
                });
                prev_cased = b.is_ascii_alphabetic();
            }
            return String::from_utf8(out).unwrap_or_default();
        }
        let mut out = String::new();
        let mut prev_cased = false;
        for c in s.chars() {
            if prev_cased {
                out.extend(c.to_lowercase())
            } else {
                out.extend(c.to_uppercase())
            }
            prev_cased = c.is_alphabetic();
        }
        out
    })
}
pub(super) fn capitalize(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    map_str(vm, args, |s| {
        let mut c = s.chars();
        match c.next() {
            Some(f) => f
                .to_uppercase()
                .chain(c.flat_map(|x| x.to_lowercase()))
                .collect(),
            None => String::new(),
        }
    })
}

pub(super) fn replace(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let s = s0(vm, args)?;
    let (Some(a), Some(b)) = (
        arg_str(vm, args, 1, "replace")?,
        arg_str(vm, args, 2, "replace")?,
    ) else {
        return type_err("replace() argument must be str");
    };
    let n = arg_int(args, 3, -1);
    let r = if n < 0 {
        s.replace(&*a, &b)
    } else {
        s.replacen(&*a, &b, n as usize)
    };
    Ok(vm.new_str(r))
}

fn affix(vm: &mut Vm, args: &[Value], start: bool) -> PResult<Value> {
    let s = s0(vm, args)?;
    let p = args.get(1).copied().unwrap_or(Value::None);
    let cands: Vec<Value> = match p.as_ref().map(|r| vm.heap.get(r)) {
        Some(Obj::Tuple(t)) => t.to_vec(),
        _ => vec![p],
    };
    let lo = arg_int(args, 2, 0);
    let chars = s.chars().count() as i64;
    let hi = arg_int(args, 3, chars);
    let fix = |i: i64| if i < 0 { (i + chars).max(0) } else { i.min(chars) } as usize;
    let sub: String = s
        .chars()
        .skip(fix(lo))
        .take(fix(hi).saturating_sub(fix(lo)))
        .collect();
    for c in cands {
        let Some(c) = vm.str_val(c) else {
            let t = vm.type_name(c);
            let what = if start { "startswith" } else { "endswith" };
            return type_err(format!(
                "{what} first arg must be str or a tuple of str, not {t}"
            ));
        };
        if (start && sub.starts_with(&*c)) || (!start && sub.ends_with(&*c)) {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

pub(super) fn startswith(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    affix(vm, args, true)
}
pub(super) fn endswith(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    affix(vm, args, false)
}

/// Char index of a substring search within [start, end) (char offsets, as Python counts).
/// The part of `s` that the optional `start` and `end` arguments at `args[at]` and
/// `args[at + 1]` select (slice-style, negative from the end), with its start in chars and
/// whether `s` is ASCII (char and byte positions then agree). None when start lies past
/// end: nothing is found there, not even "" (CPython does not clamp the start).
fn window<'a>(s: &'a str, args: &[Value], at: usize) -> Option<(&'a str, i64, bool)> {
    let ascii = s.is_ascii();
    let n = if ascii { s.len() } else { s.chars().count() } as i64;
    let lo = match arg_int(args, at, 0) {
        i if i < 0 => (i + n).max(0),
        i => i,
    };
    let hi = match arg_int(args, at + 1, n) {
        i if i < 0 => (i + n).max(0),
        i => i.min(n),
    };
    if lo > hi {
        return None;
    }
    if ascii {
        return Some((&s[lo as usize..hi as usize], lo, true));
    }
    let byte = |ci: i64| {
        s.char_indices()
            .nth(ci as usize)
            .map(|p| p.0)
            .unwrap_or(s.len())
    };
    Some((&s[byte(lo)..byte(hi)], lo, false))
}

fn find_impl(vm: &mut Vm, args: &[Value], rev: bool) -> PResult<i64> {
    let s = s0(vm, args)?;
    let Some(sub) = arg_str(vm, args, 1, "find")? else {
        return type_err("must be str, not NoneType");
    };
    let Some((hay, lo, ascii)) = window(&s, args, 2) else {
        return Ok(-1);
    };
    let found = if rev {
        hay.rfind(&*sub)
    } else {
        hay.find(&*sub)
    };
    Ok(match found {
        Some(b) if ascii => lo + b as i64,
        Some(b) => lo + hay[..b].chars().count() as i64,
        None => -1,
    })
}

pub(super) fn find(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    Ok(Value::Int(find_impl(vm, args, false)?))
}
pub(super) fn rfind(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    Ok(Value::Int(find_impl(vm, args, true)?))
}
pub(super) fn index(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    match find_impl(vm, args, false)? {
        -1 => value_err("substring not found"),
        i => Ok(Value::Int(i)),
    }
}
pub(super) fn rindex(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    match find_impl(vm, args, true)? {
        -1 => value_err("substring not found"),
        i => Ok(Value::Int(i)),
    }
}

pub(super) fn count(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let s = s0(vm, args)?;
    let Some(sub) = arg_str(vm, args, 1, "count")? else {
        return type_err("must be str");
    };
    let Some((hay, _, _)) = window(&s, args, 2) else {
        return Ok(Value::Int(0));
    };
    if sub.is_empty() {
        return Ok(Value::Int(hay.chars().count() as i64 + 1));
    }
    Ok(Value::Int(hay.matches(&*sub).count() as i64))
}

fn partition_impl(vm: &mut Vm, args: &[Value], rev: bool) -> PResult<Value> {
    let s = s0(vm, args)?;
    let Some(sep) = arg_str(vm, args, 1, "partition")? else {
        return type_err("must be str");
    };
    if sep.is_empty() {
        return value_err("empty separator");
    }
    let pos = if rev { s.rfind(&*sep) } else { s.find(&*sep) };
    let (a, b, c) = match pos {
        Some(i) => (&s[..i], &*sep, &s[i + sep.len()..]),
        None if rev => ("", "", &s[..]),
        None => (&s[..], "", ""),
    };
    let items = vec![vm.new_str(a), vm.new_str(b), vm.new_str(c)];
    Ok(vm.new_tuple(items))
}

pub(super) fn partition(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    partition_impl(vm, args, false)
}
pub(super) fn rpartition(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    partition_impl(vm, args, true)
}

fn test(vm: &mut Vm, args: &[Value], f: impl Fn(&str) -> bool) -> PResult<Value> {
    let s = s0(vm, args)?;
    Ok(Value::Bool(!s.is_empty() && f(&s)))
}
pub(super) fn isdigit(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    test(vm, args, |s| s.chars().all(unicode::is_digit))
}
pub(super) fn isdecimal(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    test(vm, args, |s| s.chars().all(unicode::is_decimal))
}
/// Rust's Numeric categories: CPython's Numeric_Type also takes some CJK ideographs.
pub(super) fn isnumeric(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    test(vm, args, |s| s.chars().all(crate::vm::unicode::is_numeric))
}
pub(super) fn isalpha(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    test(vm, args, |s| s.chars().all(char::is_alphabetic))
}
pub(super) fn isalnum(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    test(vm, args, |s| s.chars().all(char::is_alphanumeric))
}
pub(super) fn isspace(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    test(vm, args, |s| s.chars().all(unicode::is_space))
}
pub(super) fn isupper(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    test(vm, args, |s| {
        s.chars().any(char::is_uppercase) && !s.chars().any(char::is_lowercase)
    })
}
pub(super) fn islower(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    test(vm, args, |s| {
        s.chars().any(char::is_lowercase) && !s.chars().any(char::is_uppercase)
    })
}
fn isidentifier(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    test(vm, args, |s| {
        let mut c = s.chars();
        c.next().is_some_and(|f| f.is_alphabetic() || f == '_')
            && c.all(|x| x.is_alphanumeric() || x == '_')
    })
}
fn istitle(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    test(vm, args, |s| {
        let mut prev = false;
        let mut any = false;
        for c in s.chars() {
            if c.is_uppercase() {
                if prev {
                    return false;
                }
                any = true;
            } else if c.is_lowercase() && !prev {
                return false;
            }
            prev = c.is_alphabetic();
        }
        any
    })
}

fn justify(vm: &mut Vm, args: &[Value], how: char) -> PResult<Value> {
    let s = s0(vm, args)?;
    let w = arg_int(args, 1, 0).max(0) as usize;
    let fill = arg_str(vm, args, 2, "fill")?
        .and_then(|f| f.chars().next())
        .unwrap_or(' ');
    let n = s.chars().count();
    if n >= w {
        return Ok(args[0]);
    }
    let pad = w - n;
    let f = |k: usize| std::iter::repeat_n(fill, k).collect::<String>();
    let r = match how {
        '<' => format!("{s}{}", f(pad)),
        '>' => format!("{}{s}", f(pad)),
        _ => {
            // CPython puts the extra fill on the right when the string length is even.
            let left = pad / 2 + (pad & w & 1);
            format!("{}{s}{}", f(left), f(pad - left))
        }
    };
    Ok(vm.new_str(r))
}

pub(super) fn center(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    justify(vm, args, '^')
}
pub(super) fn ljust(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    justify(vm, args, '<')
}
pub(super) fn rjust(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    justify(vm, args, '>')
}

pub(super) fn zfill(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let s = s0(vm, args)?;
    let w = arg_int(args, 1, 0).max(0) as usize;
    let n = s.chars().count();
    if n >= w {
        return Ok(args[0]);
    }
    let (sign, rest) = match s.chars().next() {
        Some(c @ ('+' | '-')) => (c.to_string(), &s[1..]),
        _ => (String::new(), &s[..]),
    };
    let r = format!("{sign}{}{rest}", "0".repeat(w - n));
    Ok(vm.new_str(r))
}

fn encode(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let s = s0(vm, args)?;
    Ok(vm.alloc(Obj::Bytes(Rc::from(s.as_bytes()))))
}

pub(super) fn removeprefix(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let s = s0(vm, args)?;
    let p = arg_str(vm, args, 1, "removeprefix")?.unwrap_or_default();
    let r = s.strip_prefix(&*p).unwrap_or(&s).to_string();
    Ok(vm.new_str(r))
}

pub(super) fn removesuffix(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let s = s0(vm, args)?;
    let p = arg_str(vm, args, 1, "removesuffix")?.unwrap_or_default();
    let r = if p.is_empty() {
        s.to_string()
    } else {
        s.strip_suffix(&*p).unwrap_or(&s).to_string()
    };
    Ok(vm.new_str(r))
}

fn expandtabs(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let s = s0(vm, args)?;
    let ts = arg_int(args, 1, 8).max(0) as usize;
    let mut out = String::new();
    let mut col = 0;
    for c in s.chars() {
        match c {
            '\t' => {
                let n = if ts == 0 { 0 } else { ts - col % ts };
                out.push_str(&" ".repeat(n));
                col += n;
            }
            '\n' | '\r' => {
                out.push(c);
                col = 0;
            }
            _ => {
                out.push(c);
                col += 1;
            }
        }
    }
    Ok(vm.new_str(out))
}

/// `str.format`: `{}`, `{0}`, `{name}`, `{0.attr}`, `{0[key]}`, conversions and specs.
fn format(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let s = s0(vm, args)?;
    let pos = &args[1..];
    let c: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut auto = 0usize;
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch == '{' && c.get(i + 1) == Some(&'{') {
            out.push('{');
            i += 2;
            continue;
        }
        if ch == '}' && c.get(i + 1) == Some(&'}') {
            out.push('}');
            i += 2;
            continue;
        }
        if ch == '}' {
            return value_err("Single '}' encountered in format string");
        }
        if ch != '{' {
            out.push(ch);
            i += 1;
            continue;
        }
        i += 1;
        let start = i;
        let mut depth = 1;
        while i < c.len() {
            if c[i] == '{' {
                depth += 1;
            } else if c[i] == '}' {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            i += 1;
        }
        if i >= c.len() {
            return value_err("expected '}' before end of string");
        }
        let field: String = c[start..i].iter().collect();
        i += 1;
        let (field, spec) = match field.find(':') {
            Some(p) => (field[..p].to_string(), field[p + 1..].to_string()),
            None => (field, String::new()),
        };
        let (field, conv) = match field.find('!') {
            Some(p) => (field[..p].to_string(), field[p + 1..].chars().next()),
            None => (field, None),
        };
        let name_end = field.find(['.', '[']).unwrap_or(field.len());
        let (head, mut rest) = (&field[..name_end], &field[name_end..]);
        let mut v = if head.is_empty() {
            let v = pos.get(auto).copied();
            auto += 1;
            v.ok_or(super::super::error::Exc::New(
                ExcKind::IndexError,
                format!(
                    "Replacement index {} out of range for positional args tuple",
                    auto - 1
                ),
            ))?
        } else if let Ok(n) = head.parse::<usize>() {
            pos.get(n).copied().ok_or(super::super::error::Exc::New(
                ExcKind::IndexError,
                format!("Replacement index {n} out of range for positional args tuple"),
            ))?
        } else {
            match kw.iter().find(|(k, _)| &**k == head) {
                Some((_, v)) => *v,
                None => {
                    let k = vm.new_str(head);
                    let e = vm.new_exception(ExcKind::KeyError, "");
                    if let Some(d) = vm.exc_data_mut(e) {
                        d.args = vec![k];
                    }
                    return Err(super::super::error::Exc::Obj(e));
                }
            }
        };
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('.') {
                let end = r.find(['.', '[']).unwrap_or(r.len());
                v = vm.get_attr(v, &r[..end])?;
                rest = &r[end..];
            } else if let Some(r) = rest.strip_prefix('[') {
                let end = r.find(']').unwrap_or(r.len());
                let key = &r[..end];
                let k = match key.parse::<i64>() {
                    Ok(n) => Value::Int(n),
                    Err(_) => vm.new_str(key),
                };
                v = match vm.subscr_value(v, k)? {
                    Some(x) => x,
                    None => return type_err("object is not subscriptable"),
                };
                rest = r.get(end + 1..).unwrap_or("");
            } else {
                break;
            }
        }
        // Nested fields in the spec: `{:{width}}`.
        let spec = if spec.contains('{') {
            let sv = vm.new_str(spec.as_str());
            let mut a = vec![sv];
            a.extend_from_slice(pos);
            let r = format(vm, &a, kw)?;
            vm.str_val(r).map(|s| s.to_string()).unwrap_or_default()
        } else {
            spec
        };
        let conv = conv.map(|c| c as u8).unwrap_or(0);
        let sv = vm.new_str(spec);
        out.push_str(&vm.format_value(v, conv, sv)?);
    }
    Ok(vm.new_str(out))
}

fn isascii(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let s = s0(vm, args)?;
    Ok(Value::Bool(s.is_ascii()))
}

/// `str.maketrans(x[, y[, z]])`, called through the class: no `self` argument.
fn maketrans(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let d = vm.new_dict();
    match args.len() {
        1 => {
            let pairs: Vec<(Value, Value)> = match args[0].as_ref().map(|r| vm.heap.get(r)) {
                Some(Obj::Dict(src)) => src.iter().collect(),
                _ => {
                    return type_err(
                        "if you give only one argument to maketrans it must be a dict",
                    );
                }
            };
            for (k, v) in pairs {
                let k = match vm.str_val(k) {
                    Some(s) if s.chars().count() == 1 => {
                        Value::Int(s.chars().next().map_or(0, |c| c as i64))
                    }
                    Some(_) => {
                        return value_err("string keys in translate table must be of length 1");
                    }
                    None => k,
                };
                vm.dict_set(d, k, v)?;
            }
        }
        2 | 3 => {
            let (Some(x), Some(y)) = (vm.str_val(args[0]), vm.str_val(args[1])) else {
                return type_err("maketrans() arguments must be strings");
            };
            if x.chars().count() != y.chars().count() {
                return value_err("the first two maketrans arguments must have equal length");
            }
            for (a, b) in x.chars().zip(y.chars()) {
                vm.dict_set(d, Value::Int(a as i64), Value::Int(b as i64))?;
            }
            if let Some(z) = args.get(2).and_then(|v| vm.str_val(*v)) {
                for c in z.chars() {
                    vm.dict_set(d, Value::Int(c as i64), Value::None)?;
                }
            }
        }
        _ => return type_err("maketrans() takes 1 to 3 arguments"),
    }
    Ok(d)
}

fn translate(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let s = s0(vm, args)?;
    let table = args.get(1).copied().unwrap_or(Value::None);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match vm.subscr_value(table, Value::Int(c as i64)) {
            Ok(Some(Value::None)) => {}
            Ok(Some(Value::Int(n))) => out.push(char::from_u32(n as u32).unwrap_or(c)),
            Ok(Some(v)) => match vm.str_val(v) {
                Some(r) => out.push_str(&r),
                None => return type_err("character mapping must return integer, None or str"),
            },
            Ok(None) => return type_err("translate() table must be a mapping"),
            Err(_) => out.push(c),
        }
    }
    Ok(vm.new_str(out))
}

fn format_map(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let m = args.get(1).copied().unwrap_or(Value::None);
    let kw = vm.kwargs_from(m)?;
    format(vm, &args[..1], &kw)
}
