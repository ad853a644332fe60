//! `bytes` methods: `decode`, `hex`, and the str methods applied byte-wise.

use std::rc::Rc;

use super::super::error::{ExcKind, PResult, err, type_err};
use super::super::interp::Vm;
use super::super::value::*;
use super::text::*;

type Kw = [(Rc<str>, Value)];

pub const BYTES: &[(&str, NativeFn)] = &[
    ("decode", decode),
    ("hex", bytes_hex),
    ("split", b_split),
    ("rsplit", b_rsplit),
    ("splitlines", b_splitlines),
    ("strip", b_strip),
    ("lstrip", b_lstrip),
    ("rstrip", b_rstrip),
    ("upper", b_upper),
    ("lower", b_lower),
    ("replace", b_replace),
    ("startswith", b_startswith),
    ("endswith", b_endswith),
    ("find", b_find),
    ("rfind", b_rfind),
    ("index", b_index),
    ("rindex", b_rindex),
    ("count", b_count),
    ("partition", b_partition),
    ("rpartition", b_rpartition),
    ("isdigit", b_isdigit),
    ("isalpha", b_isalpha),
    ("isalnum", b_isalnum),
    ("isspace", b_isspace),
    ("isupper", b_isupper),
    ("islower", b_islower),
    ("join", b_join),
    ("center", b_center),
    ("ljust", b_ljust),
    ("rjust", b_rjust),
    ("zfill", b_zfill),
    ("title", b_title),
    ("capitalize", b_capitalize),
    ("swapcase", b_swapcase),
    ("removeprefix", b_removeprefix),
    ("removesuffix", b_removesuffix),
];

fn decode(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let Some(Obj::Bytes(b)) = args
        .first()
        .and_then(|v| v.as_ref())
        .map(|r| vm.heap.get(r))
    else {
        return type_err("decode() requires bytes");
    };
    let b = b.clone();
    let enc = arg_str(vm, args, 1, "encoding")?.map(|e| e.to_ascii_lowercase());
    if matches!(enc.as_deref(), Some("latin-1" | "latin1" | "iso-8859-1")) {
        let s: String = b.iter().map(|c| *c as char).collect();
        return Ok(vm.new_str(s));
    }
    if matches!(enc.as_deref(), Some("ascii"))
        && let Some(p) = b.iter().position(|c| *c > 127)
    {
        return err(
            ExcKind::UnicodeDecodeError,
            format!(
                "'ascii' codec can't decode byte 0x{:02x} in position {p}: ordinal not in range(128)",
                b[p]
            ),
        );
    }
    super::super::builtins::decode_bytes(vm, &b)
}

fn bytes_hex(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let Some(Obj::Bytes(b)) = args
        .first()
        .and_then(|v| v.as_ref())
        .map(|r| vm.heap.get(r))
    else {
        return type_err("hex() requires bytes");
    };
    let s: String = b.iter().map(|c| format!("{c:02x}")).collect();
    Ok(vm.new_str(s))
}

/// Bytes methods reuse the str ones: ASCII bytes map to the same chars and bytes 0x80..0xFF
/// to private-use chars (which no str method treats as letters, digits or spaces, matching
/// the ASCII-only rules of bytes), the str method runs, and str results map back.
fn bytes_via_str(vm: &mut Vm, args: &[Value], kw: &Kw, f: NativeFn) -> PResult<Value> {
    let mut conv = Vec::with_capacity(args.len());
    for (i, v) in args.iter().enumerate() {
        conv.push(bytes_to_latin1(vm, *v, i == 0)?);
    }
    let r = f(vm, &conv, kw)?;
    latin1_to_bytes(vm, r)
}

fn bytes_to_latin1(vm: &mut Vm, v: Value, is_self: bool) -> PResult<Value> {
    match v.as_ref().map(|r| vm.heap.get(r)) {
        Some(Obj::Bytes(b)) => {
            let s: String = b
                .iter()
                .map(|c| {
                    if *c < 0x80 {
                        *c as char
                    } else {
                        char::from_u32(0xE000 + *c as u32).unwrap_or('?')
                    }
                })
                .collect();
            Ok(vm.new_str(s))
        }
        Some(Obj::Tuple(t)) => {
            let t = t.clone();
            let mut out = Vec::new();
            for x in t.iter() {
                out.push(bytes_to_latin1(vm, *x, false)?);
            }
            Ok(vm.new_tuple(out))
        }
        Some(Obj::List(l)) if !is_self => {
            let l = l.clone();
            let mut out = Vec::new();
            for x in l {
                out.push(bytes_to_latin1(vm, x, false)?);
            }
            Ok(vm.new_list(out))
        }
        Some(Obj::Str(_)) => type_err("a bytes-like object is required, not 'str'"),
        _ => Ok(v),
    }
}

fn latin1_to_bytes(vm: &mut Vm, v: Value) -> PResult<Value> {
    match v.as_ref().map(|r| vm.heap.get(r)) {
        Some(Obj::Str(s)) => {
            let b: Vec<u8> = s
                .chars()
                .map(|c| {
                    if (0xE080..0xE100).contains(&(c as u32)) {
                        (c as u32 - 0xE000) as u8
                    } else {
                        c as u32 as u8
                    }
                })
                .collect();
            Ok(vm.alloc(Obj::Bytes(b.into())))
        }
        Some(Obj::List(l)) => {
            let l = l.clone();
            let mut out = Vec::new();
            for x in l {
                out.push(latin1_to_bytes(vm, x)?);
            }
            Ok(vm.new_list(out))
        }
        Some(Obj::Tuple(t)) => {
            let t = t.clone();
            let mut out = Vec::new();
            for x in t.iter() {
                out.push(latin1_to_bytes(vm, *x)?);
            }
            Ok(vm.new_tuple(out))
        }
        _ => Ok(v),
    }
}

macro_rules! bytes_methods {
    ($($name:ident => $f:ident),* $(,)?) => {
        $(fn $name(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
            bytes_via_str(vm, args, kw, $f)
        })*
    };
}

bytes_methods!(
    b_split => split,
    b_rsplit => rsplit,
    b_splitlines => splitlines,
    b_strip => strip,
    b_lstrip => lstrip,
    b_rstrip => rstrip,
    b_upper => upper,
    b_lower => lower,
    b_replace => replace,
    b_startswith => startswith,
    b_endswith => endswith,
    b_find => find,
    b_rfind => rfind,
    b_index => index,
    b_rindex => rindex,
    b_count => count,
    b_partition => partition,
    b_rpartition => rpartition,
    b_isdigit => isdigit,
    b_isalpha => isalpha,
    b_isalnum => isalnum,
    b_isspace => isspace,
    b_isupper => isupper,
    b_islower => islower,
    b_join => join,
    b_center => center,
    b_ljust => ljust,
    b_rjust => rjust,
    b_zfill => zfill,
    b_title => title,
    b_capitalize => capitalize,
    b_swapcase => swapcase,
    b_removeprefix => removeprefix,
    b_removesuffix => removesuffix,
);
