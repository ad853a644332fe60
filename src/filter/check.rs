//! `stackmail check`: every configured filter script compiles, its module body runs, and it
//! defines `run(inbox, outbox)`. Problems are reported as `file:line:col: message`, the
//! form editors and CI annotate.

use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::config::FilterConfig;
use crate::vm::error::Exc;
use crate::vm::interp::{RunOutcome, Vm};
use crate::vm::value::{Obj, Value};

/// Instructions a module body may take while being checked: module bodies set constants
/// and compile patterns; one that loops forever is an error, not a hung check.
const MODULE_BUDGET: u64 = 10_000_000;

/// One problem in a filter script, with the place it was found at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckError {
    pub file: PathBuf,
    pub line: u32,
    pub col: u32,
    pub message: String,
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.col,
            self.message
        )
    }
}

impl std::error::Error for CheckError {}

/// Checks every stage's script; all problems, not only the first.
pub fn check_filters(filters: &[FilterConfig]) -> Result<(), Vec<CheckError>> {
    let errors: Vec<CheckError> = filters
        .iter()
        .filter_map(|f| check_script(&f.script).err())
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Reads and checks one script.
pub fn check_script(path: &Path) -> Result<(), CheckError> {
    let src = std::fs::read(path).map_err(|e| CheckError {
        file: path.to_path_buf(),
        line: 0,
        col: 0,
        message: format!("cannot read the filter script: {e}"),
    })?;
    let src = String::from_utf8(src).map_err(|e| CheckError {
        file: path.to_path_buf(),
        line: 0,
        col: 0,
        message: format!("the filter script is not UTF-8: {e}"),
    })?;
    check_source(path, &src)
}

/// Checks a script's text; `path` names it in errors and locates its imports.
pub fn check_source(path: &Path, src: &str) -> Result<(), CheckError> {
    let filename = path.to_string_lossy().to_string();
    let at = |line: u32, col: u32, message: String| CheckError {
        file: path.to_path_buf(),
        line,
        col,
        message,
    };
    let code = crate::vm::compile_source(src, &filename).map_err(|e| {
        let kind = if e.msg.contains("indent") {
            "IndentationError"
        } else {
            "SyntaxError"
        };
        at(e.line, e.col, format!("{kind}: {}", e.msg))
    })?;
    let mut vm = crate::vm::new_vm();
    super::install(&mut vm);
    vm.script_dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let module = path
        .file_stem()
        .map_or_else(|| "filter".to_string(), |s| s.to_string_lossy().to_string());
    vm.start_module(code, &module, src);
    match vm.run(Some(MODULE_BUDGET)) {
        Ok(RunOutcome::Finished(_)) => {}
        Ok(RunOutcome::BudgetExhausted) => {
            return Err(at(
                1,
                1,
                format!("the module body did not finish within {MODULE_BUDGET} instructions"),
            ));
        }
        Err(Exc::Fatal(m)) => return Err(at(1, 1, m)),
        Err(e) => {
            let v = vm.exception_value(e);
            let line = vm.exception_line(v);
            let place = vm.exc_data(v).and_then(|d| d.traceback.last().cloned());
            return Err(match place {
                Some((file, _, l)) => CheckError {
                    file: PathBuf::from(&*file),
                    line: l,
                    col: 1,
                    message: line,
                },
                None => at(1, 1, line),
            });
        }
    }
    let globals = vm.modules.iter().find_map(|(n, m)| {
        (**n == *module)
            .then(|| match m.as_ref().map(|r| vm.heap.get(r)) {
                Some(Obj::Module(_, d)) => Some(*d),
                _ => None,
            })
            .flatten()
    });
    let run = globals.and_then(|d| vm.dict_get_str(d, &Rc::from("run")));
    let Some(run) = run else {
        return Err(at(
            1,
            1,
            "defines no run(inbox, outbox): a filter's stage body must be a function named run"
                .into(),
        ));
    };
    match signature_problem(&vm, run) {
        Some((line, message)) => Err(at(line, 1, message)),
        None => Ok(()),
    }
}

/// What is wrong with `run` as a stage body (the line to point at, and why), if anything:
/// it must be a plain function that two positional arguments call.
pub(super) fn signature_problem(vm: &Vm, run: Value) -> Option<(u32, String)> {
    let Some(Obj::Function(f)) = run.as_ref().map(|r| vm.heap.get(r)) else {
        let t = vm.type_name(run);
        return Some((
            1,
            format!("run must be a function run(inbox, outbox), not {t}"),
        ));
    };
    let params = f.code.argcount as usize;
    let required = params.saturating_sub(f.defaults.len());
    let takes_two = required <= 2 && (params >= 2 || f.code.flags.varargs);
    let required_kwonly = f.code.kwonlycount as usize > f.kwdefaults.len();
    if !takes_two || required_kwonly || f.code.flags.generator {
        let why = if f.code.flags.generator {
            "must not be a generator".to_string()
        } else {
            format!("takes {params} positional parameter(s)")
        };
        return Some((
            f.code.first_line,
            format!("run must take two parameters, run(inbox, outbox); this one {why}"),
        ));
    }
    None
}
