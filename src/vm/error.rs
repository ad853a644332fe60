//! Errors of the VM as seen from Rust: syntax errors found before running, and exceptions
//! in flight while running.

use super::value::Value;

#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    pub msg: String,
    pub line: u32,
    pub col: u32,
}

/// The built-in exception classes. The order is the order of creation: a base comes before
/// its subclasses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExcKind {
    BaseException,
    SystemExit,
    KeyboardInterrupt,
    GeneratorExit,
    Exception,
    StopIteration,
    ArithmeticError,
    ZeroDivisionError,
    OverflowError,
    AssertionError,
    AttributeError,
    LookupError,
    IndexError,
    KeyError,
    NameError,
    UnboundLocalError,
    RuntimeError,
    RecursionError,
    NotImplementedError,
    TypeError,
    ValueError,
    UnicodeError,
    UnicodeDecodeError,
    MemoryError,
    ImportError,
    ModuleNotFoundError,
    OSError,
    SyntaxErrorExc,
}

impl ExcKind {
    pub const ALL: &'static [(ExcKind, &'static str, Option<ExcKind>)] = &[
        (ExcKind::BaseException, "BaseException", None),
        (
            ExcKind::SystemExit,
            "SystemExit",
            Some(ExcKind::BaseException),
        ),
        (
            ExcKind::KeyboardInterrupt,
            "KeyboardInterrupt",
            Some(ExcKind::BaseException),
        ),
        (
            ExcKind::GeneratorExit,
            "GeneratorExit",
            Some(ExcKind::BaseException),
        ),
        (
            ExcKind::Exception,
            "Exception",
            Some(ExcKind::BaseException),
        ),
        (
            ExcKind::StopIteration,
            "StopIteration",
            Some(ExcKind::Exception),
        ),
        (
            ExcKind::ArithmeticError,
            "ArithmeticError",
            Some(ExcKind::Exception),
        ),
        (
            ExcKind::ZeroDivisionError,
            "ZeroDivisionError",
            Some(ExcKind::ArithmeticError),
        ),
        (
            ExcKind::OverflowError,
            "OverflowError",
            Some(ExcKind::ArithmeticError),
        ),
        (
            ExcKind::AssertionError,
            "AssertionError",
            Some(ExcKind::Exception),
        ),
        (
            ExcKind::AttributeError,
            "AttributeError",
            Some(ExcKind::Exception),
        ),
        (
            ExcKind::LookupError,
            "LookupError",
            Some(ExcKind::Exception),
        ),
        (
            ExcKind::IndexError,
            "IndexError",
            Some(ExcKind::LookupError),
        ),
        (ExcKind::KeyError, "KeyError", Some(ExcKind::LookupError)),
        (ExcKind::NameError, "NameError", Some(ExcKind::Exception)),
        (
            ExcKind::UnboundLocalError,
            "UnboundLocalError",
            Some(ExcKind::NameError),
        ),
        (
            ExcKind::RuntimeError,
            "RuntimeError",
            Some(ExcKind::Exception),
        ),
        (
            ExcKind::RecursionError,
            "RecursionError",
            Some(ExcKind::RuntimeError),
        ),
        (
            ExcKind::NotImplementedError,
            "NotImplementedError",
            Some(ExcKind::RuntimeError),
        ),
        (ExcKind::TypeError, "TypeError", Some(ExcKind::Exception)),
        (ExcKind::ValueError, "ValueError", Some(ExcKind::Exception)),
        (
            ExcKind::UnicodeError,
            "UnicodeError",
            Some(ExcKind::ValueError),
        ),
        (
            ExcKind::UnicodeDecodeError,
            "UnicodeDecodeError",
            Some(ExcKind::UnicodeError),
        ),
        (
            ExcKind::MemoryError,
            "MemoryError",
            Some(ExcKind::Exception),
        ),
        (
            ExcKind::ImportError,
            "ImportError",
            Some(ExcKind::Exception),
        ),
        (
            ExcKind::ModuleNotFoundError,
            "ModuleNotFoundError",
            Some(ExcKind::ImportError),
        ),
        (ExcKind::OSError, "OSError", Some(ExcKind::Exception)),
        (
            ExcKind::SyntaxErrorExc,
            "SyntaxError",
            Some(ExcKind::Exception),
        ),
    ];
}

/// An exception on its way up. Natives mostly build `New` (cheap, no heap access); the
/// interpreter turns it into an exception object when it starts unwinding.
#[derive(Clone, Debug)]
pub enum Exc {
    New(ExcKind, String),
    Obj(Value),
    /// A Python frame was pushed by a native (e.g. `gen.send`): its result arrives on the
    /// stack when that frame returns. Not an error; it travels the error path to skip the push.
    FramePushed,
    /// Budget exhausted (memory): not catchable by the script.
    Fatal(String),
    /// A native ended the running tasklet's turn (it blocked on a channel, or an exchange
    /// favoured the peer). Like `FramePushed`, it travels the error path, here to the
    /// tasklet's outermost loop, which hands the turn back to the scheduler with every frame
    /// in place; the native's result is delivered when the tasklet resumes.
    Switch,
}

pub type PResult<T> = Result<T, Exc>;

pub fn err<T>(kind: ExcKind, msg: impl Into<String>) -> PResult<T> {
    Err(Exc::New(kind, msg.into()))
}

pub fn type_err<T>(msg: impl Into<String>) -> PResult<T> {
    err(ExcKind::TypeError, msg)
}

pub fn value_err<T>(msg: impl Into<String>) -> PResult<T> {
    err(ExcKind::ValueError, msg)
}
