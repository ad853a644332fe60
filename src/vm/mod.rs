//! The stackless VM: a Python subset for filter scripts.
//!
//! Pipeline: [`lexer`] (tokens with INDENT/DEDENT) -> [`parser`] (AST named after Python's
//! grammar) -> [`symtable`] (scopes) -> [`compile`] (an `enum Op` bytecode per code object)
//! -> [`interp`] (one dispatch loop over heap frames). [`pickle`] serializes values and frame
//! stacks (generators, and later parked tasklets) to versioned, checksummed bytes; it finds
//! code objects by their path in the module's recompiled source, so `Vm::sources` keeps each
//! module's top-level code.
//!
//! Built-in modules (`modules.rs`): `math`, `time`, `json`, `sys`, `re`, `pickle`.
//!
//! Design points for the tasklet layer built on top:
//! - Python calls push a [`interp::Frame`] and the loop continues; no Rust recursion, so a
//!   frame stack can be stopped between two instructions (`Vm::run` with a budget) and
//!   resumed later, and the recursion limit is a plain count of frames.
//! - Values are `Copy` (`value::Value`): scalars inline, the rest as indices into the VM's
//!   [`heap`] with a mark-sweep collector that runs only at safe points of the loop.
//! - Native code that calls back into Python uses a bounded nested loop (`call_sync`); the
//!   collector waits while one is active, except in natives that root what they hold
//!   (`iterate_rooted`, `any`, `all`, `next`). See `interp` for the full rule.
//! - Compiled code caches its constants as values of one VM's heap (`Code::rt_consts`):
//!   compile a module per VM, do not share `Code` between VMs.
//!
//! Known gaps of the language (part 1): no complex numbers, no `match`, no `async`, no
//! `__slots__`/metaclasses/multiple inheritance/`__new__`; classes cannot subclass built-in
//! types other than exceptions (a clear TypeError says so); dict keys that are instances with
//! `__hash__` compare by (class, hash) rather than by calling `__eq__`; ordering operators of
//! user classes (`__lt__`...) run in a nested loop; `\N{...}` escapes are not decoded.
//! `pickle` stores modules and module globals by name (the loading VM must have them loaded
//! or importable), rebuilds classes that are not module-level names of a loaded module as
//! copies, and cannot pickle host objects without a `pickle::HostPickler`.

pub mod ast;
mod attr_map;
mod bifuncs;
mod builtins;
mod call;
mod class_cache;
mod compare;
pub mod compile;
mod dict;
pub mod error;
mod file;
mod format;
pub mod heap;
pub mod interp;
mod iter;
mod json;
pub mod lexer;
mod methods;
mod modules;
mod objects;
pub mod op;
mod ops;
pub mod parser;
pub mod pickle;
mod re;
pub mod stackless;
mod subscr;
pub mod symtable;
mod unicode;
mod unwind;
pub mod value;

#[cfg(test)]
mod tests;

use std::rc::Rc;

use error::{Exc, ExcKind, SyntaxError};
use interp::{Frame, RunOutcome, Vm};
use op::Code;
use value::Value;

pub use builtins::new_vm;

/// Parses and compiles a module.
pub fn compile_source(src: &str, filename: &str) -> Result<Rc<Code>, SyntaxError> {
    let module = parser::parse_module(src)?;
    compile::compile_module(&module, filename)
}

/// CPython's SyntaxError report: location, source line, caret, message.
pub fn format_syntax_error(e: &SyntaxError, filename: &str, src: &str) -> String {
    let line = src
        .lines()
        .nth(e.line.saturating_sub(1) as usize)
        .unwrap_or("");
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    let caret_col = (e.col as usize).saturating_sub(1).saturating_sub(indent);
    let kind = if [
        "expected an indented block",
        "unexpected indent",
        "unindent does not match",
    ]
    .iter()
    .any(|p| e.msg.starts_with(p))
    {
        "IndentationError"
    } else {
        "SyntaxError"
    };
    let mut out = format!("{filename}:{}:{}: {kind}: {}\n", e.line, e.col, e.msg);
    out.push_str(&format!("  File \"{filename}\", line {}\n", e.line));
    out.push_str(&format!("    {}\n", trimmed.trim_end()));
    out.push_str(&format!("    {}^\n", " ".repeat(caret_col)));
    out.push_str(&format!("{kind}: {}\n", e.msg));
    out
}

impl Vm {
    /// Starts a module: pushes its frame. `run` then executes it.
    pub fn start_module(&mut self, code: Rc<Code>, name: &str, src: &str) {
        let (_, globals) = self.new_module(name);
        self.sources
            .push((code.filename.clone(), Rc::from(src), Some(code.clone())));
        self.frames.push(Frame::module(code, globals));
    }

    /// Runs the frame stack for at most `budget` instructions (all of them with `None`).
    /// `BudgetExhausted` leaves every frame in place: calling `run` again resumes.
    pub fn run(&mut self, budget: Option<u64>) -> Result<RunOutcome, Exc> {
        if self.frames.is_empty() {
            return Ok(RunOutcome::Finished(Value::None));
        }
        self.run_loop(0, budget)
    }

    /// The CPython-format report of an uncaught exception, causes and contexts first.
    pub fn format_traceback(&mut self, e: Value) -> String {
        let mut out = String::new();
        let mut seen = Vec::new();
        self.format_chain(e, &mut out, &mut seen);
        out
    }

    fn format_chain(&mut self, e: Value, out: &mut String, seen: &mut Vec<Value>) {
        seen.push(e);
        let (cause, context, suppress) = match self.exc_data(e) {
            Some(d) => (d.cause, d.context, d.suppress_context),
            None => (None, None, false),
        };
        if let Some(c) = cause.filter(|c| !seen.iter().any(|s| s.is(*c))) {
            self.format_chain(c, out, seen);
            out.push_str(
                "\nThe above exception was the direct cause of the following exception:\n\n",
            );
        } else if let Some(c) = context.filter(|c| !suppress && !seen.iter().any(|s| s.is(*c))) {
            self.format_chain(c, out, seen);
            out.push_str(
                "\nDuring handling of the above exception, another exception occurred:\n\n",
            );
        }
        let tb = self
            .exc_data(e)
            .map(|d| d.traceback.clone())
            .unwrap_or_default();
        if !tb.is_empty() {
            out.push_str("Traceback (most recent call last):\n");
            // Like CPython, identical consecutive entries past the third are summarized.
            let mut last: Option<&(Rc<str>, Rc<str>, u32)> = None;
            let mut repeats = 0usize;
            let flush = |out: &mut String, repeats: usize| {
                if repeats > 3 {
                    let n = repeats - 3;
                    out.push_str(&format!(
                        "  [Previous line repeated {n} more time{}]\n",
                        if n == 1 { "" } else { "s" }
                    ));
                }
            };
            for entry in tb.iter().rev() {
                if last == Some(entry) {
                    repeats += 1;
                    if repeats > 3 {
                        continue;
                    }
                } else {
                    flush(out, repeats);
                    repeats = 1;
                    last = Some(entry);
                }
                let (file, name, line) = entry;
                out.push_str(&format!("  File \"{file}\", line {line}, in {name}\n"));
                let src = self
                    .sources
                    .iter()
                    .find(|(f, _, _)| f == file)
                    .map(|s| s.1.clone());
                if let Some(src) = src
                    && let Some(l) = src.lines().nth(line.saturating_sub(1) as usize)
                    && !l.trim().is_empty()
                {
                    out.push_str(&format!("    {}\n", l.trim()));
                }
            }
            flush(out, repeats);
        }
        out.push_str(&self.exception_line(e));
        out.push('\n');
    }

    pub fn exception_line(&mut self, e: Value) -> String {
        let name = self.type_name(e);
        let msg = self.to_str(e).unwrap_or_default();
        if msg.is_empty() {
            name.to_string()
        } else {
            format!("{name}: {msg}")
        }
    }

    /// Turns any in-flight error into an exception object (for reporting).
    pub fn exception_value(&mut self, e: Exc) -> Value {
        match e {
            Exc::Obj(v) => v,
            Exc::New(k, m) => self.new_exception(k, &m),
            Exc::Fatal(m) => self.new_exception(ExcKind::MemoryError, &m),
            Exc::FramePushed => self.new_exception(ExcKind::RuntimeError, "internal: stray frame"),
            Exc::Switch => self.new_exception(ExcKind::RuntimeError, "internal: stray switch"),
        }
    }
}

/// `stackmail run FILE.py [ARGS]`: runs a script, writes its output, returns the exit status.
pub fn run_file(path: &std::path::Path, args: &[String]) -> i32 {
    let filename = path.to_string_lossy().to_string();
    let src = match std::fs::read(path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => {
            eprintln!("stackmail: can't open file '{filename}': {e}");
            return 2;
        }
    };
    let code = match compile_source(&src, &filename) {
        Ok(c) => c,
        Err(e) => {
            eprint!("{}", format_syntax_error(&e, &filename, &src));
            return 1;
        }
    };
    let mut vm = new_vm();
    vm.script_dir = path.parent().map(|p| p.to_path_buf()).unwrap_or_default();
    if vm.script_dir.as_os_str().is_empty() {
        vm.script_dir = ".".into();
    }
    vm.argv = std::iter::once(filename.clone())
        .chain(args.iter().cloned())
        .collect();
    vm.start_module(code, "__main__", &src);
    // The module runs as the main tasklet, so `import stackless` works as under Stackless.
    let vm = std::rc::Rc::new(std::cell::RefCell::new(vm));
    let r = stackless::run_main(&vm);
    let mut vm = vm.borrow_mut();
    vm.flush_out();
    match r {
        Ok(_) => 0,
        Err(Exc::Fatal(m)) => {
            eprintln!("{m}");
            1
        }
        Err(e) => {
            let v = vm.exception_value(e);
            if vm.is_instance_of_kind(v, ExcKind::SystemExit) {
                let code = vm.exc_arg0(v);
                return match code {
                    Value::None => 0,
                    Value::Int(i) => i as i32,
                    other => {
                        let s = vm.to_str(other).unwrap_or_default();
                        eprintln!("{s}");
                        1
                    }
                };
            }
            let tb = vm.format_traceback(v);
            eprint!("{tb}");
            1
        }
    }
}
