//! Error reporting of `stackmail run`: CPython-format tracebacks on stderr with exit status 1,
//! SyntaxError with file, line, column and a caret, and budgets that fail cleanly.

use std::process::{Command, Output};

fn run_script(name: &str, src: &str) -> Output {
    let dir =
        std::env::temp_dir().join(format!("stackmail-vm-errors-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join(name), src).expect("write script");
    Command::new(env!("CARGO_BIN_EXE_stackmail"))
        .arg("run")
        .arg(name)
        .current_dir(&dir)
        .output()
        .expect("run")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn uncaught_exception_prints_traceback_and_exits_1() {
    let o = run_script(
        "tb.py",
        "def f(x):\n    raise ValueError('bad %d' % x)\n\ndef g():\n    f(3)\n\nprint('before')\ng()\n",
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "before\n");
    let e = stderr(&o);
    let expected = "Traceback (most recent call last):\n  File \"tb.py\", line 8, in <module>\n    g()\n  File \"tb.py\", line 5, in g\n    f(3)\n  File \"tb.py\", line 2, in f\n    raise ValueError('bad %d' % x)\nValueError: bad 3\n";
    assert_eq!(e, expected);
}

#[test]
fn chained_exceptions_show_both_tracebacks() {
    let src =
        "try:\n    {}['k']\nexcept KeyError as e:\n    raise RuntimeError('wrapped') from e\n";
    let e = stderr(&run_script("chain.py", src));
    assert!(e.contains("KeyError: 'k'"), "{e}");
    assert!(
        e.contains("The above exception was the direct cause of the following exception:"),
        "{e}"
    );
    assert!(e.trim_end().ends_with("RuntimeError: wrapped"), "{e}");
    let src = "try:\n    1/0\nexcept ZeroDivisionError:\n    undefined\n";
    let e = stderr(&run_script("ctx.py", src));
    assert!(e.contains("ZeroDivisionError: division by zero"), "{e}");
    assert!(
        e.contains("During handling of the above exception, another exception occurred:"),
        "{e}"
    );
    assert!(
        e.trim_end()
            .ends_with("NameError: name 'undefined' is not defined"),
        "{e}"
    );
}

#[test]
fn syntax_error_shows_location_and_caret() {
    let o = run_script("syn.py", "x = 1\nif x\n    pass\n");
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("syn.py:2:5: SyntaxError: expected ':'"), "{e}");
    assert!(
        e.contains("  File \"syn.py\", line 2\n    if x\n        ^\nSyntaxError: expected ':'\n"),
        "{e}"
    );
    let e = stderr(&run_script("unterminated.py", "s = 'abc\n"));
    assert!(e.contains("unterminated string literal"), "{e}");
}

#[test]
fn huge_allocation_is_a_memory_error_not_an_abort() {
    let o = run_script(
        "mem.py",
        "print('start')\ntry:\n    s = 'x' * 10**12\nexcept MemoryError:\n    print('caught')\n",
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "start\n",
        "MemoryError must not be catchable"
    );
    assert!(stderr(&o).contains("MemoryError"));
}

#[test]
fn deep_recursion_within_the_limit_works_and_past_it_raises() {
    let src = "import sys\nsys.setrecursionlimit(200000)\ndef d(n):\n    return 0 if n == 0 else 1 + d(n - 1)\nprint(d(100000))\ndef inf(n):\n    return inf(n + 1)\ntry:\n    inf(0)\nexcept RecursionError as e:\n    print('RecursionError', e)\n";
    let o = run_script("rec.py", src);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "100000\nRecursionError maximum recursion depth exceeded\n",
        "{}",
        stderr(&o)
    );
}

#[test]
fn imports_find_modules_next_to_the_script() {
    let dir = std::env::temp_dir().join(format!("stackmail-vm-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("helper.py"),
        "VALUE = 41\ndef inc(x):\n    return x + 1\n",
    )
    .expect("write");
    std::fs::write(dir.join("main.py"), "import helper\nfrom helper import inc\nimport sys\nprint(inc(helper.VALUE), sys.argv[1:])\n").expect("write");
    let o = Command::new(env!("CARGO_BIN_EXE_stackmail"))
        .args(["run", "main.py", "a", "-b"])
        .current_dir(&dir)
        .output()
        .expect("run");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "42 ['a', '-b']\n",
        "{}",
        stderr(&o)
    );
    let o = Command::new(env!("CARGO_BIN_EXE_stackmail"))
        .args(["run", "main.py"])
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2), "missing file is a usage error");
}

#[test]
fn hostile_scripts_fail_cleanly_without_panics() {
    let cases = [
        "x = [1,2,3]\nprint(x[1:2:0])",
        "a = []\na.append(a)\nprint(a)",
        "print(-9223372036854775808 // -1, abs(-9223372036854775808))",
        "raise 5",
        "raise",
        "for x in 5: pass",
        "print(sorted([1, 'a']))",
        "class B:\n    def __init__(self): return 5\nB()",
        "class D:\n    def __repr__(self): return 5\nprint(D())",
        "print({[]: 1})",
        "print(super())",
        "def k(a, b): pass\nk(1, 2, 3)",
        "print(1 if else 2)",
        "x = (1,\n",
        "print(f\"{x!z}\")",
        "print(0 ** -1)",
        "import json\njson.loads('[' * 10000)",
        "import re\nprint(re.match(r'(a+)+$', 'a' * 30 + 'b'))",
        "print(bytes([300]))",
        "def gg():\n    try:\n        yield 1\n    finally:\n        yield 2\nx = gg()\nnext(x)\nx.close()",
        "s = 'x'\nwhile True:\n    s = s + s",
        "print(2 ** 100000 * 2 ** 100000 > 0, str(2 ** 100000))",
    ];
    for (i, src) in cases.iter().enumerate() {
        let o = run_script(&format!("hostile{i}.py"), src);
        let e = stderr(&o);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "case {i} ({src:?}): status {:?}\n{e}",
            o.status.code()
        );
        assert!(!e.contains("panicked"), "case {i} ({src:?}) panicked:\n{e}");
    }
}

#[test]
fn uncaught_recursion_error_summarizes_repeated_frames() {
    let o = run_script("rec_uncaught.py", "def f(n):\n    return f(n + 1)\nf(0)\n");
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("  [Previous line repeated "), "{e}");
    assert!(
        e.lines().count() < 20,
        "traceback should be summarized:\n{e}"
    );
    assert!(
        e.trim_end()
            .ends_with("RecursionError: maximum recursion depth exceeded"),
        "{e}"
    );
}
