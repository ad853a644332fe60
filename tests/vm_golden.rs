//! Golden files for the front end: token streams, syntax trees and bytecode listings of the
//! scripts in `tests/golden/*.py`. Regenerate with `STACKMAIL_BLESS=1 cargo test --test vm_golden`.

use std::path::Path;

use stackmail::vm::{compile_source, lexer, parser};

fn check(path: &Path, actual: &str) {
    if std::env::var("STACKMAIL_BLESS").as_deref() == Ok("1") {
        std::fs::write(path, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {}; run with STACKMAIL_BLESS=1",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b);
        panic!(
            "{} differs from the golden file (first differing line {:?}); rerun with STACKMAIL_BLESS=1 if intended",
            path.display(),
            line.map(|l| l + 1)
        );
    }
}

#[test]
fn front_end_listings_match_golden_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut n = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/golden")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    entries.sort();
    for src_path in entries
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
    {
        let src = std::fs::read_to_string(&src_path).expect("read");
        let name = src_path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let toks = lexer::tokenize(&src).expect("tokenize");
        check(&src_path.with_extension("tokens"), &lexer::listing(&toks));
        let module = parser::parse_module(&src).expect("parse");
        check(&src_path.with_extension("ast"), &format!("{module:#?}\n"));
        let code = compile_source(&src, &name).expect("compile");
        check(&src_path.with_extension("bytecode"), &code.listing());
        n += 1;
    }
    assert!(n > 0, "no golden scripts found");
}
