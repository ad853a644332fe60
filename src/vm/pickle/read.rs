//! The parser: payload bytes -> a plain description of the object table (`Rec`), with every
//! index checked against the table sizes before anything touches the VM heap.

use std::rc::Rc;

use num_bigint::{BigInt, Sign};

use super::super::interp::{Block, Target};
use super::format::{RResult, ReadError, Reader, invalid, tag};

#[derive(Clone, Copy, Debug)]
pub enum PVal {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    NotImplemented,
    Ellipsis,
    Obj(u32),
}

pub enum PTransform {
    None,
    Init(PVal),
    Not,
    Bool,
    MakeClass(PVal, PVal),
    BinRetry(u8, PVal, PVal, bool),
    EqRetry(PVal, PVal, bool, bool),
}

pub struct PFrame {
    pub code: u32,
    pub ip: usize,
    pub stack: Vec<PVal>,
    pub fast: Vec<Option<PVal>>,
    pub cells: Vec<u32>,
    pub globals: u32,
    pub ns: Option<u32>,
    pub blocks: Vec<Block>,
    pub handling: Vec<PVal>,
    pub func: Option<u32>,
    pub target: Target,
    pub transform: PTransform,
    pub genr: Option<u32>,
}

pub struct PExc {
    pub args: Vec<PVal>,
    pub traceback: Vec<(Rc<str>, Rc<str>, u32)>,
    pub cause: Option<PVal>,
    pub context: Option<PVal>,
    pub suppress: bool,
}

pub enum PIter {
    Seq(PVal, usize),
    Str(Rc<str>, usize),
    Bytes(Rc<[u8]>, usize),
    Range(i64, i64, i64),
    Dict(u32, usize, u8, usize),
    Snapshot(Vec<PVal>, usize),
    Reversed(PVal, usize),
    Enumerate(PVal, i64),
    Zip(Vec<PVal>),
    Map(PVal, Vec<PVal>),
    Filter(PVal, PVal),
    Callable(PVal, PVal),
}

pub type Attrs = Vec<(Rc<str>, PVal)>;

pub enum Rec {
    Str(Rc<str>),
    Bytes(Rc<[u8]>),
    BigInt(BigInt),
    List(Vec<PVal>),
    Tuple(Vec<PVal>),
    Dict(Vec<(PVal, PVal)>),
    Set(bool, Vec<PVal>),
    Range(i64, i64, i64),
    Slice(PVal, PVal, PVal),
    Cell(Option<PVal>),
    Function {
        code: u32,
        globals: u32,
        defaults: Vec<PVal>,
        kwdefaults: Attrs,
        closure: Vec<u32>,
        class: Option<u32>,
    },
    Class {
        /// (module, global name) where the class was defined at module level.
        home: Option<(Rc<str>, Rc<str>)>,
        name: Rc<str>,
        base: Option<u32>,
        dict: Attrs,
    },
    Instance {
        class: u32,
        dict: Attrs,
        exc: Option<Box<PExc>>,
    },
    BoundMethod(PVal, PVal),
    Module(Rc<str>),
    ModuleDict(Rc<str>),
    Named(Rc<str>, Rc<str>),
    NativeBound(PVal, Rc<str>),
    Generator {
        name: Rc<str>,
        running: bool,
        finished: bool,
        frame: Option<Box<PFrame>>,
    },
    Property(PVal, PVal, PVal),
    StaticMethod(PVal),
    ClassMethod(PVal),
    Host {
        class: Rc<str>,
        data: Vec<u8>,
        children: Vec<PVal>,
    },
    Iter(PIter),
    View(u32, u8),
    Super(u32, PVal),
}

pub enum Root {
    Value(PVal),
    Frames(Vec<PFrame>, Vec<PVal>),
}

pub struct Parsed {
    pub sources: Vec<(Rc<str>, Rc<str>)>,
    /// (source index, path through nested code constants, expected name)
    pub codes: Vec<(usize, Vec<u32>, Rc<str>)>,
    pub objs: Vec<Rec>,
    pub root: Root,
}

struct P<'a> {
    r: Reader<'a>,
    nobjs: usize,
    ncodes: usize,
}

pub fn parse(payload: &[u8]) -> RResult<Parsed> {
    let mut r = Reader::new(payload);
    let nsrc = r.count(2)?;
    let mut sources = Vec::new();
    for _ in 0..nsrc {
        let f = Rc::from(r.str()?);
        let s = Rc::from(r.str()?);
        sources.push((f, s));
    }
    let ncodes = r.count(3)?;
    let mut codes = Vec::new();
    for _ in 0..ncodes {
        let si = r.count(0)?;
        if si >= nsrc {
            return invalid("code refers to a missing source");
        }
        let n = r.count(1)?;
        let mut path = Vec::new();
        for _ in 0..n {
            path.push(r.u32()?);
        }
        codes.push((si, path, Rc::from(r.str()?)));
    }
    let nobjs = r.count(1)?;
    let mut p = P { r, nobjs, ncodes };
    let mut objs = Vec::new();
    for _ in 0..nobjs {
        objs.push(p.record()?);
    }
    let root = match p.r.u8()? {
        0 => Root::Value(p.val()?),
        1 => {
            let n = p.r.count(8)?;
            let mut frames = Vec::new();
            for _ in 0..n {
                frames.push(p.frame()?);
            }
            let extra = p.vals()?;
            Root::Frames(frames, extra)
        }
        _ => return invalid("bad root kind"),
    };
    if !p.r.at_end() {
        return invalid("unexpected data after the root");
    }
    Ok(Parsed {
        sources,
        codes,
        objs,
        root,
    })
}

impl P<'_> {
    fn index(&mut self) -> RResult<u32> {
        let i = self.r.varint()?;
        if i >= self.nobjs as u64 {
            return invalid("object index out of range");
        }
        Ok(i as u32)
    }

    fn opt_index(&mut self) -> RResult<Option<u32>> {
        Ok(if self.r.bool()? {
            Some(self.index()?)
        } else {
            None
        })
    }

    fn val(&mut self) -> RResult<PVal> {
        Ok(match self.r.u8()? {
            0 => PVal::None,
            1 => PVal::Bool(false),
            2 => PVal::Bool(true),
            3 => PVal::Int(self.r.i64()?),
            4 => PVal::Float(self.r.f64()?),
            5 => PVal::NotImplemented,
            6 => PVal::Ellipsis,
            7 => PVal::Obj(self.index()?),
            _ => return invalid("bad value tag"),
        })
    }

    fn opt_val(&mut self) -> RResult<Option<PVal>> {
        Ok(if self.r.bool()? {
            Some(self.val()?)
        } else {
            None
        })
    }

    fn vals(&mut self) -> RResult<Vec<PVal>> {
        let n = self.r.count(1)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.val()?);
        }
        Ok(out)
    }

    fn attrs(&mut self) -> RResult<Attrs> {
        let n = self.r.count(2)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let k = Rc::from(self.r.str()?);
            out.push((k, self.val()?));
        }
        Ok(out)
    }

    fn name(&mut self) -> RResult<Rc<str>> {
        Ok(Rc::from(self.r.str()?))
    }

    fn usize(&mut self) -> RResult<usize> {
        usize::try_from(self.r.varint()?).or_else(|_| invalid("number out of range"))
    }

    fn record(&mut self) -> RResult<Rec> {
        Ok(match self.r.u8()? {
            tag::STR => Rec::Str(self.name()?),
            tag::BYTES => Rec::Bytes(Rc::from(self.r.bytes()?)),
            tag::BIGINT => {
                let neg = self.r.bool()?;
                let mag = self.r.bytes()?;
                let sign = if neg { Sign::Minus } else { Sign::Plus };
                Rec::BigInt(BigInt::from_bytes_le(sign, mag))
            }
            tag::LIST => Rec::List(self.vals()?),
            tag::TUPLE => Rec::Tuple(self.vals()?),
            tag::DICT => {
                let n = self.r.count(2)?;
                let mut out = Vec::with_capacity(n);
                for _ in 0..n {
                    let k = self.val()?;
                    out.push((k, self.val()?));
                }
                Rec::Dict(out)
            }
            tag::SET => {
                let frozen = self.r.bool()?;
                Rec::Set(frozen, self.vals()?)
            }
            tag::RANGE => Rec::Range(self.r.i64()?, self.r.i64()?, self.r.i64()?),
            tag::SLICE => {
                let v = self.vals()?;
                let [a, b, c] = v[..] else {
                    return invalid("slice needs three values");
                };
                Rec::Slice(a, b, c)
            }
            tag::CELL => Rec::Cell(self.opt_val()?),
            tag::FUNCTION => {
                let code = self.code()?;
                let globals = self.index()?;
                let defaults = self.vals()?;
                let kwdefaults = self.attrs()?;
                let n = self.r.count(1)?;
                let mut closure = Vec::with_capacity(n);
                for _ in 0..n {
                    closure.push(self.index()?);
                }
                let class = self.opt_index()?;
                Rec::Function {
                    code,
                    globals,
                    defaults,
                    kwdefaults,
                    closure,
                    class,
                }
            }
            tag::CLASS => Rec::Class {
                home: if self.r.bool()? {
                    Some((self.name()?, self.name()?))
                } else {
                    None
                },
                name: self.name()?,
                base: self.opt_index()?,
                dict: self.attrs()?,
            },
            tag::INSTANCE => {
                let class = self.index()?;
                let dict = self.attrs()?;
                let exc = if self.r.bool()? {
                    let args = self.vals()?;
                    let n = self.r.count(3)?;
                    let mut traceback = Vec::with_capacity(n);
                    for _ in 0..n {
                        let f = self.name()?;
                        let name = self.name()?;
                        traceback.push((f, name, self.r.u32()?));
                    }
                    Some(Box::new(PExc {
                        args,
                        traceback,
                        cause: self.opt_val()?,
                        context: self.opt_val()?,
                        suppress: self.r.bool()?,
                    }))
                } else {
                    None
                };
                Rec::Instance { class, dict, exc }
            }
            tag::BOUND_METHOD => Rec::BoundMethod(self.val()?, self.val()?),
            tag::MODULE => Rec::Module(self.name()?),
            tag::MODULE_DICT => Rec::ModuleDict(self.name()?),
            tag::NAMED => Rec::Named(self.name()?, self.name()?),
            tag::NATIVE_BOUND => Rec::NativeBound(self.val()?, self.name()?),
            tag::GENERATOR => {
                let name = self.name()?;
                let running = self.r.bool()?;
                let finished = self.r.bool()?;
                let frame = if self.r.bool()? {
                    Some(Box::new(self.frame()?))
                } else {
                    None
                };
                Rec::Generator {
                    name,
                    running,
                    finished,
                    frame,
                }
            }
            tag::PROPERTY => {
                let v = self.vals()?;
                let [a, b, c] = v[..] else {
                    return invalid("property needs three values");
                };
                Rec::Property(a, b, c)
            }
            tag::STATIC_METHOD => Rec::StaticMethod(self.val()?),
            tag::CLASS_METHOD => Rec::ClassMethod(self.val()?),
            tag::HOST => Rec::Host {
                class: self.name()?,
                data: self.r.bytes()?.to_vec(),
                children: self.vals()?,
            },
            tag::ITER => Rec::Iter(self.iter()?),
            tag::VIEW => {
                let d = self.index()?;
                let k = self.r.u8()?;
                if k > 2 {
                    return invalid("bad view kind");
                }
                Rec::View(d, k)
            }
            tag::SUPER => Rec::Super(self.index()?, self.val()?),
            _ => return invalid("bad object tag"),
        })
    }

    fn code(&mut self) -> RResult<u32> {
        let i = self.r.varint()?;
        if i >= self.ncodes as u64 {
            return invalid("code index out of range");
        }
        Ok(i as u32)
    }

    fn iter(&mut self) -> RResult<PIter> {
        Ok(match self.r.u8()? {
            0 => PIter::Seq(self.val()?, self.usize()?),
            1 => PIter::Str(self.name()?, self.usize()?),
            2 => PIter::Bytes(Rc::from(self.r.bytes()?), self.usize()?),
            3 => PIter::Range(self.r.i64()?, self.r.i64()?, self.r.i64()?),
            4 => {
                let d = self.index()?;
                let i = self.usize()?;
                let k = self.r.u8()?;
                if k > 2 {
                    return invalid("bad dict iterator kind");
                }
                PIter::Dict(d, i, k, self.usize()?)
            }
            5 => PIter::Snapshot(self.vals()?, self.usize()?),
            6 => PIter::Reversed(self.val()?, self.usize()?),
            7 => PIter::Enumerate(self.val()?, self.r.i64()?),
            8 => PIter::Zip(self.vals()?),
            9 => PIter::Map(self.val()?, self.vals()?),
            10 => PIter::Filter(self.val()?, self.val()?),
            11 => PIter::Callable(self.val()?, self.val()?),
            _ => return invalid("bad iterator tag"),
        })
    }

    fn frame(&mut self) -> RResult<PFrame> {
        let code = self.code()?;
        let ip = self.usize()?;
        let stack = self.vals()?;
        let n = self.r.count(1)?;
        let mut fast = Vec::with_capacity(n);
        for _ in 0..n {
            fast.push(self.opt_val()?);
        }
        let n = self.r.count(1)?;
        let mut cells = Vec::with_capacity(n);
        for _ in 0..n {
            cells.push(self.index()?);
        }
        let globals = self.index()?;
        let ns = self.opt_index()?;
        let n = self.r.count(3)?;
        let mut blocks = Vec::with_capacity(n);
        for _ in 0..n {
            blocks.push(Block {
                handler: self.r.u32()?,
                depth: self.r.u32()?,
                handling: self.r.u32()?,
            });
        }
        let handling = self.vals()?;
        let func = self.opt_index()?;
        let target = match self.r.u8()? {
            0 => Target::Push,
            1 => Target::Nested,
            _ => return invalid("bad hook target"),
        };
        let transform = match self.r.u8()? {
            0 => PTransform::None,
            1 => PTransform::Init(self.val()?),
            2 => PTransform::Not,
            3 => PTransform::Bool,
            4 => PTransform::MakeClass(self.val()?, self.val()?),
            5 => {
                let op = self.r.u8()?;
                PTransform::BinRetry(op, self.val()?, self.val()?, self.r.bool()?)
            }
            6 => PTransform::EqRetry(self.val()?, self.val()?, self.r.bool()?, self.r.bool()?),
            _ => return invalid("bad hook transform"),
        };
        let genr = self.opt_index()?;
        Ok(PFrame {
            code,
            ip,
            stack,
            fast,
            cells,
            globals,
            ns,
            blocks,
            handling,
            func,
            target,
            transform,
            genr,
        })
    }
}

impl From<ReadError> for String {
    fn from(e: ReadError) -> String {
        match e {
            ReadError::Truncated => "truncated data".into(),
            ReadError::Invalid(m) => format!("invalid data ({m})"),
        }
    }
}
