//! Values. Small scalars live inline in `Value`; everything else is an `Obj` in the VM's
//! heap, addressed by a `Ref` index. `Value` is `Copy`, so the interpreter can move values
//! between stack, locals and containers without reference counting; the heap's mark-sweep
//! collector reclaims garbage, cycles included.

use std::rc::Rc;

use num_bigint::BigInt;

use super::error::PResult;
use super::interp::{Frame, Vm};
use super::op::Code;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ref(pub u32);

pub use super::attr_map::AttrMap;

/// The tag is a whole word and every payload sits in the word after it: a `Value` is then
/// copied as two aligned words. With a byte tag the payloads sat at offsets 1, 4 and 8, and
/// copies moved bytes 1-15 as two overlapping words, whose reload stalls the store buffer
/// (it showed in profiles of the dispatch loop as the dearest instructions there).
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    NotImplemented,
    Ellipsis,
    Obj(Ref),
}

const _: () = assert!(std::mem::size_of::<Option<Value>>() == 16);

impl Value {
    pub fn as_ref(self) -> Option<Ref> {
        match self {
            Value::Obj(r) => Some(r),
            _ => None,
        }
    }

    /// Identity, as `is` sees it. Inlined: the interpreter's fast loop asks it on every
    /// method call, where the call would cost more than the comparison.
    #[inline(always)]
    pub fn is(self, other: Value) -> bool {
        match (self, other) {
            (Value::None, Value::None) | (Value::NotImplemented, Value::NotImplemented) => true,
            (Value::Ellipsis, Value::Ellipsis) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
            (Value::Obj(a), Value::Obj(b)) => a == b,
            _ => false,
        }
    }
}

/// A native function: positional args (with `self` first for methods) and keyword args.
pub type NativeFn = fn(&mut Vm, &[Value], &[(Rc<str>, Value)]) -> PResult<Value>;

#[derive(Clone)]
pub struct Native {
    pub name: &'static str,
    pub f: NativeFn,
    /// Bound receiver for methods of built-in types (`"a,b".split`).
    pub bound: Option<Value>,
}

pub struct Function {
    pub code: Rc<Code>,
    pub globals: Ref,
    // Shared slices: every call reads them, and cloning an `Rc` costs no allocation.
    pub defaults: Rc<[Value]>,
    pub kwdefaults: Rc<[(Rc<str>, Value)]>,
    pub closure: Rc<[Ref]>,
    /// The class whose body defined this function: zero-argument `super()` reads it.
    pub class: Option<Ref>,
}

pub struct Class {
    pub name: Rc<str>,
    pub base: Option<Ref>,
    pub dict: AttrMap,
    /// For the built-in types: which one, so that instances and constructors dispatch to Rust.
    pub builtin: Option<BuiltinType>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuiltinType {
    Object,
    Type,
    NoneType,
    Bool,
    Int,
    Float,
    Str,
    Bytes,
    List,
    Tuple,
    Dict,
    Set,
    FrozenSet,
    Range,
    Slice,
    Function,
    BuiltinFunction,
    Method,
    Generator,
    Iterator,
    Module,
    Property,
    StaticMethod,
    ClassMethod,
    Super,
    Cell,
    NotImplementedType,
    Ellipsis,
    /// A host object type (e.g. `re.Pattern`): methods come from the class dict.
    Host,
    DictKeys,
    DictValues,
    DictItems,
}

pub struct Instance {
    pub class: Ref,
    pub dict: AttrMap,
    /// Present on instances of BaseException subclasses.
    pub exc: Option<Box<ExcData>>,
}

#[derive(Default)]
pub struct ExcData {
    pub args: Vec<Value>,
    /// (filename, function name, line), innermost last.
    pub traceback: Vec<(Rc<str>, Rc<str>, u32)>,
    pub cause: Option<Value>,
    pub context: Option<Value>,
    pub suppress_context: bool,
}

pub struct Generator {
    /// `None` while running (the frame is on the VM's frame stack) and after it finished.
    pub frame: Option<Box<Frame>>,
    pub running: bool,
    pub finished: bool,
    pub name: Rc<str>,
}

#[derive(Clone)]
pub enum IterState {
    /// Over a list or tuple, by index (a list may grow while iterated, as in CPython).
    Seq(Value, usize),
    Str(Rc<str>, usize),
    Bytes(Rc<[u8]>, usize),
    Range(i64, i64, i64),
    /// Over a dict's entries (0 keys, 1 values, 2 items) by entry index.
    Dict(Ref, usize, u8, usize),
    /// A snapshot, for sets and other cases where order is fixed at creation.
    Snapshot(Rc<[Value]>, usize),
    Reversed(Value, usize),
    Enumerate(Value, i64),
    Zip(Vec<Value>),
    Map(Value, Vec<Value>),
    Filter(Value, Value),
    /// `iter(callable, sentinel)`
    Callable(Value, Value),
}

pub enum Obj {
    Str(Rc<str>),
    Bytes(Rc<[u8]>),
    BigInt(Box<BigInt>),
    List(Vec<Value>),
    Tuple(Rc<[Value]>),
    Dict(super::dict::Dict),
    Set(super::dict::Dict, bool),
    Range(i64, i64, i64),
    Slice(Value, Value, Value),
    Function(Box<Function>),
    Native(Box<Native>),
    BoundMethod(Value, Value),
    Class(Box<Class>),
    Instance(Box<Instance>),
    Module(Rc<str>, Ref),
    Cell(Option<Value>),
    Generator(Box<Generator>),
    Iter(Box<IterState>),
    Property(Value, Value, Value),
    StaticMethod(Value),
    ClassMethod(Value),
    Super(Ref, Value),
    /// `dict.keys()` (0), `.values()` (1), `.items()` (2): live views of a dict.
    View(Ref, u8),
    /// Opaque host data for built-in modules (compiled regexes, match objects).
    Host(Ref, Rc<dyn std::any::Any>),
}

impl Obj {
    /// Every value this object holds, for the collector's mark phase.
    pub fn trace(&self, out: &mut Vec<Value>) {
        match self {
            Obj::Str(_) | Obj::Bytes(_) | Obj::BigInt(_) | Obj::Range(..) => {}
            Obj::List(v) => out.extend_from_slice(v),
            Obj::Tuple(v) => out.extend_from_slice(v),
            Obj::Dict(d) | Obj::Set(d, _) => d.trace(out),
            Obj::Slice(a, b, c) | Obj::Property(a, b, c) => out.extend([*a, *b, *c]),
            Obj::Function(f) => {
                out.push(Value::Obj(f.globals));
                out.extend_from_slice(&f.defaults);
                out.extend(f.kwdefaults.iter().map(|k| k.1));
                out.extend(f.closure.iter().map(|r| Value::Obj(*r)));
                out.extend(f.class.map(Value::Obj));
            }
            Obj::Native(n) => out.extend(n.bound),
            Obj::BoundMethod(a, b) => out.extend([*a, *b]),
            Obj::Class(c) => {
                out.extend(c.base.map(Value::Obj));
                out.extend(c.dict.values().copied());
            }
            Obj::Instance(i) => {
                out.push(Value::Obj(i.class));
                out.extend(i.dict.values().copied());
                if let Some(e) = &i.exc {
                    out.extend_from_slice(&e.args);
                    out.extend(e.cause);
                    out.extend(e.context);
                }
            }
            Obj::Module(_, d) => out.push(Value::Obj(*d)),
            Obj::Cell(v) => out.extend(*v),
            Obj::Generator(g) => {
                if let Some(f) = &g.frame {
                    f.trace(out);
                }
            }
            Obj::Iter(it) => match &**it {
                IterState::Seq(v, _) | IterState::Reversed(v, _) | IterState::Enumerate(v, _) => {
                    out.push(*v)
                }
                IterState::Str(..) | IterState::Bytes(..) | IterState::Range(..) => {}
                IterState::Dict(r, ..) => out.push(Value::Obj(*r)),
                IterState::Snapshot(v, _) => out.extend_from_slice(v),
                IterState::Zip(v) => out.extend_from_slice(v),
                IterState::Map(f, v) => {
                    out.push(*f);
                    out.extend_from_slice(v);
                }
                IterState::Filter(a, b) | IterState::Callable(a, b) => out.extend([*a, *b]),
            },
            Obj::StaticMethod(v) | Obj::ClassMethod(v) => out.push(*v),
            Obj::Super(c, v) => out.extend([Value::Obj(*c), *v]),
            Obj::Host(c, _) | Obj::View(c, _) => out.push(Value::Obj(*c)),
        }
    }

    /// A rough byte size, charged against the VM's memory budget.
    pub fn size(&self) -> usize {
        48 + match self {
            Obj::Str(s) => s.len(),
            Obj::Bytes(b) => b.len(),
            Obj::BigInt(b) => (b.bits() / 8) as usize,
            Obj::List(v) => v.capacity() * 16,
            Obj::Tuple(v) => v.len() * 16,
            Obj::Dict(d) | Obj::Set(d, _) => d.len() * 48,
            _ => 0,
        }
    }
}
