//! The bytecode: one `enum Op` of fixed-size instructions, and the code object that holds
//! them with their constants, names and line table.

use std::rc::Rc;

use super::ast::{BinOp, CmpOp, Const, UnaryOp};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    Nop,
    LoadConst(u32),
    LoadFast(u32),
    StoreFast(u32),
    DeleteFast(u32),
    /// Cells: the function's own captured locals first, then the free variables it closes over.
    LoadDeref(u32),
    StoreDeref(u32),
    DeleteDeref(u32),
    /// Pushes the cell itself, to build a closure.
    LoadClosure(u32),
    LoadGlobal(u32),
    StoreGlobal(u32),
    DeleteGlobal(u32),
    /// Class bodies: the namespace dict, then globals, then builtins.
    LoadName(u32),
    StoreName(u32),
    DeleteName(u32),
    LoadAttr(u32),
    StoreAttr(u32),
    DeleteAttr(u32),
    /// `obj.name(...)` without a bound-method object: pushes [function, obj] when `name` is
    /// a plain method of obj's class, else [marker, attribute].
    LoadMethod(u32),
    /// `LoadFast(local)` then `LoadMethod(name)` in one instruction, for `local.name(...)`:
    /// emitted when both indices fit, and counted as the two it stands for by the
    /// instruction budget.
    LoadFastMethod(u16, u16),
    /// [function|marker, obj|callable, args...]
    CallMethod(u32),
    Subscr,
    StoreSubscr,
    DeleteSubscr,
    Pop,
    Dup,
    Dup2,
    Rot2,
    Rot3,
    Binary(BinOp),
    Inplace(BinOp),
    Unary(UnaryOp),
    Compare(CmpOp),
    Jump(u32),
    PopJumpIfFalse(u32),
    PopJumpIfTrue(u32),
    JumpIfFalseOrPop(u32),
    JumpIfTrueOrPop(u32),
    GetIter,
    /// Pushes the next item, or pops the iterator and jumps when it is exhausted.
    ForIter(u32),
    /// `yield from` step: [iter, value] -> sends value; pushes what the subiterator yields,
    /// or replaces both with its return value and jumps when it finishes.
    SendIter(u32),
    BuildTuple(u32),
    BuildList(u32),
    BuildSet(u32),
    BuildMap(u32),
    BuildSlice(u32),
    BuildString(u32),
    /// `[*a, *b]` and friends: extend the list at depth n (from the top) with TOS.
    ListExtend(u32),
    ListAppend(u32),
    SetAdd(u32),
    SetUpdate(u32),
    MapAdd(u32),
    DictUpdate(u32),
    ListToTuple,
    /// Conversion (0, 's', 'r', 'a') and whether a format spec is on the stack.
    FormatValue(u8, bool),
    UnpackSequence(u32),
    /// Starred unpacking: names before and after the star.
    UnpackEx(u16, u16),
    Call(u32),
    /// Like `Call` with a tuple of keyword names on top; the last len(names) args are keywords.
    CallKw(u32),
    /// [f, args tuple, kwargs dict or None]
    CallEx,
    /// Index into `codes`; flags: 1 defaults tuple, 2 kw-defaults dict, 4 closure tuple.
    MakeFunction(u32, u8),
    /// [body function, bases tuple, name] -> runs the body, then pushes the class.
    BuildClass,
    Return,
    Yield,
    SetupExcept(u32),
    PopBlock,
    PopExcept,
    /// 0: bare `raise`, 1: `raise exc`, 2: `raise exc from cause`.
    Raise(u8),
    /// Ends an exception handler that did not match: raises TOS again, traceback intact.
    Reraise,
    /// [exc, type] -> [exc, bool]
    ExcMatch,
    /// [cm] -> [exit, enter()]
    WithEnter,
    /// [exit, exc] -> [exit, exc, exit(type, exc, tb)]
    WithExit,
    Import(u32),
    ImportFrom(u32),
    ImportStar,
    LoadAssertionError,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeKind {
    Module,
    Function,
    Class,
}

#[derive(Debug, Default)]
pub struct CodeFlags {
    pub generator: bool,
    pub varargs: bool,
    pub varkw: bool,
}

/// A cached global-name lookup: (globals dict, its version, builtins version, holder, slot).
pub type GlobalSlot = (super::value::Ref, u64, u64, super::value::Ref, usize);

/// A cached method lookup: (whose method it is, class-cache epoch, the function found).
/// Valid only in that epoch, which ends when any class namespace may change and at every
/// collection, so the function is still alive whenever the entry is used. The function is
/// held as its `Ref`, not a `Value`: the fast loop copies the entry on every method call,
/// and a `Value`'s bytes are copied in overlapping pieces that stall the store buffer.
pub type MethodSlot = (Receiver, u64, super::value::Ref);

/// Whose method a [`MethodSlot`] holds: a class's (instances and host objects), or a
/// built-in type's (strings, containers: their methods are the shared unbound natives).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Receiver {
    Class(super::value::Ref),
    Builtin(super::value::BuiltinType),
}

#[derive(Debug)]
pub struct Code {
    pub name: Rc<str>,
    pub qualname: Rc<str>,
    pub filename: Rc<str>,
    pub kind: CodeKind,
    pub flags: CodeFlags,
    pub ops: Vec<Op>,
    pub lines: Vec<u32>,
    pub consts: Vec<Const>,
    pub names: Vec<Rc<str>>,
    /// Fast locals; the parameters come first, in order (positional, kw-only, *args, **kwargs).
    pub varnames: Vec<Rc<str>>,
    pub argcount: u32,
    pub kwonlycount: u32,
    pub cellvars: Vec<Rc<str>>,
    pub freevars: Vec<Rc<str>>,
    /// For each cellvar that is also a parameter, its fast-local index (copied in on entry).
    pub cell_params: Vec<(u32, u32)>,
    pub codes: Vec<Rc<Code>>,
    pub first_line: u32,
    /// The constants as VM values, made on first use and kept alive as GC roots.
    pub rt_consts: std::cell::OnceCell<Vec<super::value::Value>>,
    /// `LoadGlobal` cache per name: (globals dict, its version, builtins version, the dict
    /// that holds the name, its slot). Valid while both versions match: the slot then still
    /// holds this name, and its current value is read from it.
    pub global_cache: NameCache<GlobalSlot>,
    /// Per name, the method `LoadMethod` last found on a class: see [`MethodSlot`].
    pub method_cache: NameCache<MethodSlot>,
}

/// A cache entry per name of a code object, made on the first write (the names are all
/// known by then). Cells rather than a `RefCell`: a read is a copy, with no borrow to
/// count, and the fast loop reads one on every method call and global load.
pub type NameCache<T> = std::cell::OnceCell<Box<[std::cell::Cell<Option<T>>]>>;

/// Entry `i` of a per-name cache, which is empty until its first write.
#[inline(always)]
fn read_cache<T: Copy>(cache: &NameCache<T>, i: u32) -> Option<T> {
    cache.get()?.get(i as usize)?.get()
}

fn write_cache<T: Copy>(cache: &NameCache<T>, names: usize, i: u32, v: T) {
    let entries = cache.get_or_init(|| (0..names).map(|_| std::cell::Cell::new(None)).collect());
    if let Some(entry) = entries.get(i as usize) {
        entry.set(Some(v));
    }
}

impl Code {
    /// The cached lookup of global name `i`, if any (valid only while its versions match).
    #[inline(always)]
    pub fn global_slot(&self, i: u32) -> Option<GlobalSlot> {
        read_cache(&self.global_cache, i)
    }

    pub fn set_global_slot(&self, i: u32, slot: GlobalSlot) {
        write_cache(&self.global_cache, self.names.len(), i, slot);
    }

    /// The method last found for name `i`, if any (valid only in its epoch).
    #[inline(always)]
    pub fn method_slot(&self, i: u32) -> Option<MethodSlot> {
        read_cache(&self.method_cache, i)
    }

    pub fn set_method_slot(&self, i: u32, slot: MethodSlot) {
        write_cache(&self.method_cache, self.names.len(), i, slot);
    }

    /// A stable human-readable listing, used by the golden tests.
    pub fn listing(&self) -> String {
        let mut out = String::new();
        self.list_into(&mut out);
        out
    }

    fn list_into(&self, out: &mut String) {
        out.push_str(&format!("code {} ({:?})\n", self.qualname, self.kind));
        if !self.varnames.is_empty() {
            out.push_str(&format!("  locals: {}\n", self.varnames.join(", ")));
        }
        if !self.cellvars.is_empty() || !self.freevars.is_empty() {
            out.push_str(&format!(
                "  cells: {} | free: {}\n",
                self.cellvars.join(", "),
                self.freevars.join(", ")
            ));
        }
        let mut last_line = 0;
        for (i, op) in self.ops.iter().enumerate() {
            let line = self.lines[i];
            let l = if line != last_line {
                format!("{line:>4}")
            } else {
                "    ".to_string()
            };
            last_line = line;
            let arg = match op {
                Op::LoadConst(c) => format!("  ; {:?}", self.consts[*c as usize]),
                Op::LoadGlobal(n)
                | Op::StoreGlobal(n)
                | Op::LoadName(n)
                | Op::StoreName(n)
                | Op::LoadAttr(n)
                | Op::StoreAttr(n)
                | Op::Import(n)
                | Op::ImportFrom(n)
                | Op::DeleteGlobal(n)
                | Op::DeleteName(n)
                | Op::DeleteAttr(n)
                | Op::LoadMethod(n) => format!("  ; {}", self.names[*n as usize]),
                Op::LoadFast(n) | Op::StoreFast(n) | Op::DeleteFast(n) => {
                    format!("  ; {}", self.varnames[*n as usize])
                }
                Op::LoadFastMethod(v, n) => format!(
                    "  ; {}.{}",
                    self.varnames[*v as usize], self.names[*n as usize]
                ),
                _ => String::new(),
            };
            out.push_str(&format!("{l} {i:>4} {op:?}{arg}\n"));
        }
        for c in &self.codes {
            out.push('\n');
            c.list_into(out);
        }
    }
}
