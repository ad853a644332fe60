//! The `re` module: Python's regex syntax on the backtracking engine in `engine`, with
//! `Pattern` and `Match` host objects.

mod engine;

use std::rc::Rc;

use engine::{Outcome, Prog};

use super::error::{Exc, ExcKind, PResult, err, type_err};
use super::interp::Vm;
use super::value::*;

type Kw = [(Rc<str>, Value)];

pub struct PatternData {
    prog: Prog,
    pattern: Rc<str>,
    flags: u32,
}

pub struct MatchData {
    pat: Rc<PatternData>,
    string: Rc<str>,
    chars: Rc<[char]>,
    caps: Vec<Option<usize>>,
}

const MODULE_FNS: &[(&str, NativeFn)] = &[
    ("compile", re_compile),
    ("search", re_search),
    ("match", re_match),
    ("fullmatch", re_fullmatch),
    ("findall", re_findall),
    ("finditer", re_finditer),
    ("sub", re_sub),
    ("subn", re_subn),
    ("split", re_split),
    ("escape", re_escape),
];

pub fn make_module(vm: &mut Vm) -> Value {
    let (m, d) = vm.new_module("re");
    for (n, f) in MODULE_FNS {
        let v = vm.native_method(n, *f);
        vm.dict_set_str(d, &Rc::from(*n), v);
    }
    for (n, v) in [
        ("I", engine::I),
        ("IGNORECASE", engine::I),
        ("M", engine::M),
        ("MULTILINE", engine::M),
        ("S", engine::S),
        ("DOTALL", engine::S),
        ("X", engine::X),
        ("VERBOSE", engine::X),
        ("A", 256),
        ("ASCII", 256),
    ] {
        vm.dict_set_str(d, &Rc::from(n), Value::Int(v as i64));
    }
    let exc_base = vm.exc_classes[ExcKind::Exception as usize];
    let error = vm.heap.alloc(Obj::Class(Box::new(Class {
        name: Rc::from("error"),
        base: Some(exc_base),
        dict: AttrMap::default(),
        builtin: None,
    })));
    vm.dict_set_str(d, &Rc::from("error"), Value::Obj(error));
    let pat_methods: &[(&str, NativeFn)] = &[
        ("search", p_search),
        ("match", p_match),
        ("fullmatch", p_fullmatch),
        ("findall", p_findall),
        ("finditer", p_finditer),
        ("sub", p_sub),
        ("subn", p_subn),
        ("split", p_split),
        ("__repr__", p_repr),
    ];
    let pat_props: &[(&str, NativeFn)] = &[
        ("pattern", p_pattern),
        ("flags", p_flags),
        ("groups", p_groups),
        ("groupindex", p_groupindex),
    ];
    let pattern = vm.host_class("re.Pattern", pat_methods, pat_props);
    let m_methods: &[(&str, NativeFn)] = &[
        ("group", m_group),
        ("groups", m_groups),
        ("groupdict", m_groupdict),
        ("span", m_span),
        ("start", m_start),
        ("end", m_end),
        ("__getitem__", m_getitem),
        ("__repr__", m_repr),
        ("expand", m_expand),
    ];
    let m_props: &[(&str, NativeFn)] = &[
        ("string", m_string),
        ("lastindex", m_lastindex),
        ("re", m_re),
    ];
    let matchc = vm.host_class("re.Match", m_methods, m_props);
    vm.dict_set_str(d, &Rc::from("Pattern"), Value::Obj(pattern));
    vm.dict_set_str(d, &Rc::from("Match"), Value::Obj(matchc));
    vm.host_classes.push(("re.error", error));
    if !vm.pickle_hosts.iter().any(|h| h.class == "re.Pattern") {
        vm.pickle_hosts.push(super::pickle::HostPickler {
            class: "re.Pattern",
            save: save_pattern,
            load: load_pattern,
        });
    }
    m
}

/// A compiled pattern pickles as its flags (4 bytes, little-endian) and its source text,
/// and is compiled again when loaded, as CPython's `re` does.
fn save_pattern(_: &mut Vm, d: &Rc<dyn std::any::Any>) -> PResult<(Vec<Value>, Vec<u8>)> {
    let Some(p) = d.downcast_ref::<PatternData>() else {
        return type_err("not a compiled pattern");
    };
    let mut bytes = p.flags.to_le_bytes().to_vec();
    bytes.extend_from_slice(p.pattern.as_bytes());
    Ok((Vec::new(), bytes))
}

fn load_pattern(vm: &mut Vm, bytes: &[u8], _: &[Value]) -> PResult<Value> {
    let bad = |vm: &mut Vm| super::pickle::unpickling_error(vm, "a corrupt 're.Pattern' record");
    let Some((flags, text)) = bytes.split_first_chunk::<4>() else {
        return Err(bad(vm));
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return Err(bad(vm));
    };
    let flags = u32::from_le_bytes(*flags);
    let parsed = engine::parse(text, flags).map_err(|m| re_error(vm, m))?;
    let flags = parsed.flags;
    let prog = engine::compile(parsed).map_err(|m| re_error(vm, m))?;
    let d = Rc::new(PatternData {
        prog,
        pattern: Rc::from(text),
        flags,
    });
    Ok(pattern_value(vm, d))
}

fn host_class_ref(vm: &Vm, name: &str) -> Ref {
    vm.host_classes
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, r)| *r)
        .unwrap_or(vm.types[0])
}

fn re_error(vm: &mut Vm, msg: String) -> Exc {
    let c = host_class_ref(vm, "re.error");
    let m = vm.new_str(msg);
    let (inst, _) = vm.new_instance(c, &[m]);
    Exc::Obj(inst)
}

fn data<T: 'static>(vm: &Vm, v: Value) -> Option<Rc<T>> {
    match v.as_ref().map(|r| vm.heap.get(r)) {
        Some(Obj::Host(_, d)) => d.clone().downcast::<T>().ok(),
        _ => None,
    }
}

use super::builtins::{arg, kw_or};

fn compile_pattern(vm: &mut Vm, p: Value, flags: Value) -> PResult<Rc<PatternData>> {
    if let Some(d) = data::<PatternData>(vm, p) {
        return Ok(d);
    }
    let Some(s) = vm.str_val(p) else {
        let t = vm.type_name(p);
        return type_err(format!(
            "first argument must be string or compiled pattern, not {t}"
        ));
    };
    let flags = match flags {
        Value::Int(f) => f as u32,
        _ => 0,
    };
    let parsed = engine::parse(&s, flags).map_err(|m| re_error(vm, m))?;
    let flags = parsed.flags;
    let prog = engine::compile(parsed).map_err(|m| re_error(vm, m))?;
    Ok(Rc::new(PatternData {
        prog,
        pattern: s,
        flags,
    }))
}

fn pattern_value(vm: &mut Vm, d: Rc<PatternData>) -> Value {
    let c = host_class_ref(vm, "re.Pattern");
    vm.alloc(Obj::Host(c, d))
}

fn text_of(vm: &Vm, v: Value) -> PResult<Rc<str>> {
    match vm.str_val(v) {
        Some(s) => Ok(s),
        None => {
            let t = vm.type_name(v);
            type_err(format!("expected string or bytes-like object, got '{t}'"))
        }
    }
}

/// The chars of `string`, which the engine indexes. Filters run many patterns over the same
/// text in a row, so the last conversion is kept (with the string, so that the pointer it is
/// known by stays taken) and reused while the same string comes back.
fn chars_of(string: &Rc<str>) -> Rc<[char]> {
    /// Texts longer than this are converted every time rather than held on to.
    const KEEP_UP_TO: usize = 1 << 20;
    type Converted = Option<(Rc<str>, Rc<[char]>)>;
    thread_local! {
        static LAST: std::cell::RefCell<Converted> = const { std::cell::RefCell::new(None) };
    }
    LAST.with(|last| {
        if let Some((s, chars)) = &*last.borrow()
            && Rc::ptr_eq(s, string)
        {
            return chars.clone();
        }
        let chars: Rc<[char]> = string.chars().collect::<Vec<_>>().into();
        if string.len() <= KEEP_UP_TO {
            *last.borrow_mut() = Some((string.clone(), chars.clone()));
        }
        chars
    })
}

fn run(
    _vm: &mut Vm,
    pat: &Rc<PatternData>,
    chars: &[char],
    start: usize,
    anchored: bool,
    full: bool,
) -> PResult<Option<Vec<Option<usize>>>> {
    match pat.prog.search(chars, start, anchored, full) {
        Outcome::Found(c) => Ok(Some(c)),
        Outcome::NotFound => Ok(None),
        Outcome::TooComplex => err(
            ExcKind::RuntimeError,
            "regular expression backtracking limit exceeded",
        ),
    }
}

fn make_match(
    vm: &mut Vm,
    pat: &Rc<PatternData>,
    string: &Rc<str>,
    chars: &Rc<[char]>,
    caps: Vec<Option<usize>>,
) -> Value {
    let c = host_class_ref(vm, "re.Match");
    let d = MatchData {
        pat: pat.clone(),
        string: string.clone(),
        chars: chars.clone(),
        caps,
    };
    vm.alloc(Obj::Host(c, Rc::new(d)))
}

fn do_match(
    vm: &mut Vm,
    pat: Rc<PatternData>,
    s: Value,
    anchored: bool,
    full: bool,
) -> PResult<Value> {
    let string = text_of(vm, s)?;
    let chars = chars_of(&string);
    match run(vm, &pat, &chars, 0, anchored, full)? {
        Some(caps) => Ok(make_match(vm, &pat, &string, &chars, caps)),
        None => Ok(Value::None),
    }
}

fn re_compile(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let p = compile_pattern(vm, arg(args, 0), kw_or(kw, "flags", args, 1))?;
    Ok(pattern_value(vm, p))
}

fn re_search(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let p = compile_pattern(vm, arg(args, 0), kw_or(kw, "flags", args, 2))?;
    do_match(vm, p, arg(args, 1), false, false)
}
fn re_match(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let p = compile_pattern(vm, arg(args, 0), kw_or(kw, "flags", args, 2))?;
    do_match(vm, p, arg(args, 1), true, false)
}
fn re_fullmatch(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let p = compile_pattern(vm, arg(args, 0), kw_or(kw, "flags", args, 2))?;
    do_match(vm, p, arg(args, 1), true, true)
}

fn all_matches(
    vm: &mut Vm,
    pat: &Rc<PatternData>,
    chars: &[char],
    limit: usize,
) -> PResult<Vec<Vec<Option<usize>>>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos <= chars.len() && (limit == 0 || out.len() < limit) {
        let Some(caps) = run(vm, pat, chars, pos, false, false)? else {
            break;
        };
        let (s, e) = (caps[0].unwrap_or(pos), caps[1].unwrap_or(pos));
        pos = if e == s { e + 1 } else { e };
        out.push(caps);
    }
    Ok(out)
}

fn slice(vm: &mut Vm, chars: &[char], s: Option<usize>, e: Option<usize>) -> Value {
    match (s, e) {
        (Some(s), Some(e)) if s <= e => {
            let t: String = chars[s..e].iter().collect();
            vm.new_str(t)
        }
        _ => Value::None,
    }
}

fn findall_impl(vm: &mut Vm, pat: Rc<PatternData>, s: Value) -> PResult<Value> {
    let string = text_of(vm, s)?;
    let chars = chars_of(&string);
    let ms = all_matches(vm, &pat, &chars, 0)?;
    let n = pat.prog.ngroups;
    let mut items = Vec::new();
    for caps in ms {
        let v = match n {
            0 => slice(vm, &chars, caps[0], caps[1]),
            1 => {
                let v = slice(vm, &chars, caps[2], caps[3]);
                if matches!(v, Value::None) {
                    vm.new_str("")
                } else {
                    v
                }
            }
            _ => {
                let mut g = Vec::new();
                for i in 1..=n {
                    let v = slice(vm, &chars, caps[2 * i], caps[2 * i + 1]);
                    g.push(if matches!(v, Value::None) {
                        vm.new_str("")
                    } else {
                        v
                    });
                }
                vm.new_tuple(g)
            }
        };
        items.push(v);
    }
    Ok(vm.new_list(items))
}

fn finditer_impl(vm: &mut Vm, pat: Rc<PatternData>, s: Value) -> PResult<Value> {
    let string = text_of(vm, s)?;
    let chars = chars_of(&string);
    let ms = all_matches(vm, &pat, &chars, 0)?;
    let items: Vec<Value> = ms
        .into_iter()
        .map(|caps| make_match(vm, &pat, &string, &chars, caps))
        .collect();
    Ok(vm.alloc(Obj::Iter(Box::new(IterState::Snapshot(items.into(), 0)))))
}

fn re_findall(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let p = compile_pattern(vm, arg(args, 0), kw_or(kw, "flags", args, 2))?;
    findall_impl(vm, p, arg(args, 1))
}

fn re_finditer(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let p = compile_pattern(vm, arg(args, 0), kw_or(kw, "flags", args, 2))?;
    finditer_impl(vm, p, arg(args, 1))
}

/// Expands `\1`, `\g<name>`, `\g<1>` and escapes in a replacement template.
fn expand_template(vm: &mut Vm, tpl: &str, m: &MatchData) -> PResult<String> {
    let c: Vec<char> = tpl.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let group = |vm: &mut Vm, n: usize, out: &mut String| -> PResult<()> {
        if n > m.pat.prog.ngroups {
            return Err(re_error(vm, format!("invalid group reference {n}")));
        }
        if let (Some(s), Some(e)) = (m.caps[2 * n], m.caps[2 * n + 1]) {
            out.extend(&m.chars[s..e]);
        }
        Ok(())
    };
    while i < c.len() {
        if c[i] != '\\' || i + 1 >= c.len() {
            out.push(c[i]);
            i += 1;
            continue;
        }
        let e = c[i + 1];
        i += 2;
        match e {
            '0'..='9' => {
                let mut n = e.to_digit(10).unwrap_or(0) as usize;
                if i < c.len() && c[i].is_ascii_digit() {
                    n = n * 10 + c[i].to_digit(10).unwrap_or(0) as usize;
                    i += 1;
                }
                group(vm, n, &mut out)?;
            }
            'g' if c.get(i) == Some(&'<') => {
                let start = i + 1;
                let end = c[start..]
                    .iter()
                    .position(|x| *x == '>')
                    .map(|p| start + p)
                    .unwrap_or(c.len());
                let name: String = c[start..end].iter().collect();
                i = end + 1;
                let n = match name.parse::<usize>() {
                    Ok(n) => n,
                    Err(_) => match m.pat.prog.names.get(&name) {
                        Some(n) => *n,
                        None => {
                            return Err(Exc::New(
                                ExcKind::IndexError,
                                format!("unknown group name '{name}'"),
                            ));
                        }
                    },
                };
                group(vm, n, &mut out)?;
            }
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            '\\' => out.push('\\'),
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    Ok(out)
}

fn sub_impl(
    vm: &mut Vm,
    pat: Rc<PatternData>,
    repl: Value,
    s: Value,
    count: Value,
) -> PResult<(Value, i64)> {
    let string = text_of(vm, s)?;
    let chars = chars_of(&string);
    let limit = match count {
        Value::Int(n) if n > 0 => n as usize,
        _ => 0,
    };
    let ms = all_matches(vm, &pat, &chars, limit)?;
    let tpl = vm.str_val(repl);
    let mut out = String::new();
    let mut last = 0;
    let n = ms.len() as i64;
    for caps in ms {
        let (s0, e0) = (caps[0].unwrap_or(0), caps[1].unwrap_or(0));
        out.extend(&chars[last..s0]);
        let md = MatchData {
            pat: pat.clone(),
            string: string.clone(),
            chars: chars.clone(),
            caps,
        };
        match &tpl {
            Some(t) => out.push_str(&expand_template(vm, t, &md)?),
            None => {
                let c = host_class_ref(vm, "re.Match");
                let mv = vm.alloc(Obj::Host(c, Rc::new(md)));
                let r = vm.call_sync(repl, vec![mv], vec![])?;
                match vm.str_val(r) {
                    Some(s) => out.push_str(&s),
                    None => {
                        let t = vm.type_name(r);
                        return type_err(format!("expected str instance, {t} found"));
                    }
                }
            }
        }
        last = e0;
    }
    out.extend(&chars[last..]);
    Ok((vm.new_str(out), n))
}

fn re_sub(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let p = compile_pattern(vm, arg(args, 0), kw_or(kw, "flags", args, 4))?;
    Ok(sub_impl(
        vm,
        p,
        arg(args, 1),
        arg(args, 2),
        kw_or(kw, "count", args, 3),
    )?
    .0)
}

fn re_subn(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let p = compile_pattern(vm, arg(args, 0), kw_or(kw, "flags", args, 4))?;
    let (s, n) = sub_impl(
        vm,
        p,
        arg(args, 1),
        arg(args, 2),
        kw_or(kw, "count", args, 3),
    )?;
    Ok(vm.new_tuple(vec![s, Value::Int(n)]))
}

fn split_impl(vm: &mut Vm, pat: Rc<PatternData>, s: Value, maxsplit: Value) -> PResult<Value> {
    let string = text_of(vm, s)?;
    let chars = chars_of(&string);
    let limit = match maxsplit {
        Value::Int(n) if n > 0 => n as usize,
        _ => 0,
    };
    let ms = all_matches(vm, &pat, &chars, limit)?;
    let mut items = Vec::new();
    let mut last = 0;
    for caps in ms {
        let (s0, e0) = (caps[0].unwrap_or(0), caps[1].unwrap_or(0));
        let v = slice(vm, &chars, Some(last), Some(s0));
        items.push(v);
        for g in 1..=pat.prog.ngroups {
            let v = slice(vm, &chars, caps[2 * g], caps[2 * g + 1]);
            items.push(v);
        }
        last = e0;
    }
    let v = slice(vm, &chars, Some(last), Some(chars.len()));
    items.push(v);
    Ok(vm.new_list(items))
}

fn re_split(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let p = compile_pattern(vm, arg(args, 0), kw_or(kw, "flags", args, 3))?;
    split_impl(vm, p, arg(args, 1), kw_or(kw, "maxsplit", args, 2))
}

fn re_escape(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let s = text_of(vm, arg(args, 0))?;
    let mut out = String::new();
    for c in s.chars() {
        if "()[]{}?*+-|^$\\.&~# \t\n\r\x0b\x0c".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    Ok(vm.new_str(out))
}

fn pat(vm: &Vm, args: &[Value]) -> PResult<Rc<PatternData>> {
    data::<PatternData>(vm, arg(args, 0)).ok_or_else(|| {
        Exc::New(
            ExcKind::TypeError,
            "descriptor requires a 're.Pattern' object".into(),
        )
    })
}

fn p_search(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let p = pat(vm, args)?;
    do_match(vm, p, arg(args, 1), false, false)
}
fn p_match(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let p = pat(vm, args)?;
    do_match(vm, p, arg(args, 1), true, false)
}
fn p_fullmatch(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let p = pat(vm, args)?;
    do_match(vm, p, arg(args, 1), true, true)
}
fn p_findall(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let p = pat(vm, args)?;
    findall_impl(vm, p, arg(args, 1))
}
fn p_finditer(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let p = pat(vm, args)?;
    finditer_impl(vm, p, arg(args, 1))
}
fn p_sub(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let p = pat(vm, args)?;
    Ok(sub_impl(
        vm,
        p,
        arg(args, 1),
        arg(args, 2),
        kw_or(kw, "count", args, 3),
    )?
    .0)
}
fn p_subn(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let p = pat(vm, args)?;
    let (s, n) = sub_impl(
        vm,
        p,
        arg(args, 1),
        arg(args, 2),
        kw_or(kw, "count", args, 3),
    )?;
    Ok(vm.new_tuple(vec![s, Value::Int(n)]))
}
fn p_split(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let p = pat(vm, args)?;
    split_impl(vm, p, arg(args, 1), kw_or(kw, "maxsplit", args, 2))
}
fn p_repr(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let p = pat(vm, args)?;
    let r = format!("re.compile({})", super::format::repr_str(&p.pattern));
    Ok(vm.new_str(r))
}
fn p_pattern(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let p = pat(vm, args)?;
    Ok(vm.new_str(p.pattern.clone()))
}
fn p_flags(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let p = pat(vm, args)?;
    Ok(Value::Int(p.flags as i64 | 32))
}
fn p_groups(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let p = pat(vm, args)?;
    Ok(Value::Int(p.prog.ngroups as i64))
}
fn p_groupindex(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let p = pat(vm, args)?;
    let d = vm.new_dict();
    let mut names: Vec<(&String, &usize)> = p.prog.names.iter().collect();
    names.sort_by_key(|n| *n.1);
    for (k, v) in names {
        let k = vm.new_str(k.as_str());
        vm.dict_set(d, k, Value::Int(*v as i64))?;
    }
    Ok(d)
}

fn mdata(vm: &Vm, args: &[Value]) -> PResult<Rc<MatchData>> {
    data::<MatchData>(vm, arg(args, 0)).ok_or_else(|| {
        Exc::New(
            ExcKind::TypeError,
            "descriptor requires a 're.Match' object".into(),
        )
    })
}

fn group_index(vm: &mut Vm, m: &MatchData, g: Value) -> PResult<usize> {
    let n = match g {
        Value::Int(i) if i >= 0 => i as usize,
        Value::Bool(b) => b as usize,
        _ => match vm
            .str_val(g)
            .and_then(|s| m.pat.prog.names.get(&*s).copied())
        {
            Some(n) => n,
            None => return err(ExcKind::IndexError, "no such group"),
        },
    };
    if n > m.pat.prog.ngroups {
        return err(ExcKind::IndexError, "no such group");
    }
    Ok(n)
}

fn group_value(vm: &mut Vm, m: &MatchData, n: usize, default: Value) -> Value {
    match (m.caps[2 * n], m.caps[2 * n + 1]) {
        (Some(s), Some(e)) if s <= e => {
            let t: String = m.chars[s..e].iter().collect();
            vm.new_str(t)
        }
        _ => default,
    }
}

fn m_group(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let m = mdata(vm, args)?;
    if args.len() <= 1 {
        return Ok(group_value(vm, &m, 0, Value::None));
    }
    let mut out = Vec::new();
    for g in &args[1..] {
        let n = group_index(vm, &m, *g)?;
        out.push(group_value(vm, &m, n, Value::None));
    }
    if out.len() == 1 {
        Ok(out[0])
    } else {
        Ok(vm.new_tuple(out))
    }
}

fn m_getitem(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let m = mdata(vm, args)?;
    let n = group_index(vm, &m, arg(args, 1))?;
    Ok(group_value(vm, &m, n, Value::None))
}

fn m_groups(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let m = mdata(vm, args)?;
    let default = kw_or(kw, "default", args, 1);
    let out: Vec<Value> = (1..=m.pat.prog.ngroups)
        .map(|n| group_value(vm, &m, n, default))
        .collect();
    Ok(vm.new_tuple(out))
}

fn m_groupdict(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let m = mdata(vm, args)?;
    let default = kw_or(kw, "default", args, 1);
    let d = vm.new_dict();
    let mut names: Vec<(String, usize)> = m
        .pat
        .prog
        .names
        .iter()
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    names.sort_by_key(|n| n.1);
    for (k, n) in names {
        let v = group_value(vm, &m, n, default);
        let k = vm.new_str(k);
        vm.dict_set(d, k, v)?;
    }
    Ok(d)
}

fn span_of(vm: &mut Vm, args: &[Value]) -> PResult<(i64, i64)> {
    let m = mdata(vm, args)?;
    let n = if args.len() > 1 {
        group_index(vm, &m, args[1])?
    } else {
        0
    };
    Ok(match (m.caps[2 * n], m.caps[2 * n + 1]) {
        (Some(s), Some(e)) => (s as i64, e as i64),
        _ => (-1, -1),
    })
}

fn m_span(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let (s, e) = span_of(vm, args)?;
    Ok(vm.new_tuple(vec![Value::Int(s), Value::Int(e)]))
}
fn m_start(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    Ok(Value::Int(span_of(vm, args)?.0))
}
fn m_end(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    Ok(Value::Int(span_of(vm, args)?.1))
}

fn m_repr(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let m = mdata(vm, args)?;
    let (s, e) = (m.caps[0].unwrap_or(0), m.caps[1].unwrap_or(0));
    let text: String = m.chars[s..e].iter().collect();
    let r = format!(
        "<re.Match object; span=({s}, {e}), match={}>",
        super::format::repr_str(&text)
    );
    Ok(vm.new_str(r))
}

fn m_expand(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let m = mdata(vm, args)?;
    let t = text_of(vm, arg(args, 1))?;
    let s = expand_template(vm, &t, &m)?;
    Ok(vm.new_str(s))
}

fn m_string(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let m = mdata(vm, args)?;
    Ok(vm.new_str(m.string.clone()))
}

fn m_lastindex(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let m = mdata(vm, args)?;
    let mut best: Option<(usize, usize)> = None;
    for g in 1..=m.pat.prog.ngroups {
        if let Some(e) = m.caps[2 * g + 1]
            && best.is_none_or(|(be, _)| e >= be)
        {
            best = Some((e, g));
        }
    }
    Ok(best.map(|b| Value::Int(b.1 as i64)).unwrap_or(Value::None))
}

fn m_re(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let m = mdata(vm, args)?;
    Ok(pattern_value(vm, m.pat.clone()))
}
