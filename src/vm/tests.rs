//! Tests of the VM through its Rust API: budgets, the collector, frame-stack properties.

use super::interp::RunOutcome;
use super::*;

fn vm_for(src: &str) -> Vm {
    let code = compile_source(src, "t.py").expect("compiles");
    let mut vm = new_vm();
    vm.start_module(code, "__main__", src);
    vm
}

fn run_to_end(src: &str) -> (Vm, String) {
    let mut vm = vm_for(src);
    let r = vm.run(None);
    assert!(r.is_ok(), "script failed");
    let out = String::from_utf8_lossy(&vm.out).into_owned();
    (vm, out)
}

#[test]
fn budget_suspends_and_resumes_the_frame_stack() {
    let mut vm = vm_for(
        "def f(n):\n    t = 0\n    for i in range(n):\n        t += i\n    return t\nprint(f(1000))\n",
    );
    let mut slices = 0;
    loop {
        match vm.run(Some(100)) {
            Ok(RunOutcome::BudgetExhausted) => slices += 1,
            Ok(RunOutcome::Finished(_)) => break,
            Err(_) => panic!("script failed"),
        }
    }
    assert!(
        slices > 10,
        "the loop should need many slices, got {slices}"
    );
    assert_eq!(String::from_utf8_lossy(&vm.out), "499500\n");
}

#[test]
fn cyclic_garbage_is_collected() {
    let src = "class N:\n    pass\nfor i in range(60000):\n    a = N()\n    b = N()\n    a.o = b\n    b.o = a\n    l = [a]\n    l.append(l)\nprint('ok')\n";
    let (mut vm, out) = run_to_end(src);
    assert_eq!(out, "ok\n");
    vm.collect_garbage();
    assert!(
        vm.heap.live() < 5_000,
        "live objects after collection: {}",
        vm.heap.live()
    );
}

#[test]
fn python_recursion_does_not_use_the_rust_stack() {
    // 50k Python frames on a thread with a small native stack: only heap frames grow.
    let h = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let (_, out) = run_to_end(
                "def d(n):\n    return 0 if n == 0 else 1 + d(n - 1)\nprint(d(50000))\n",
            );
            out
        })
        .expect("spawn");
    assert_eq!(h.join().expect("no stack overflow"), "50000\n");
}

#[test]
fn generators_keep_their_own_frames() {
    let (_, out) = run_to_end(
        "def g():\n    x = yield 1\n    yield x * 2\nit = g()\nprint(next(it), it.send(21))\n",
    );
    assert_eq!(out, "1 42\n");
}

/// Runs differential scripts with a collection before nearly every instruction: any value
/// the roots miss would be freed and the output would change (or a dangling index panic).
#[test]
fn collector_under_stress_keeps_every_live_value() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python");
    let names = [
        "class_basic.py",
        "gen_basic.py",
        "gen_advanced.py",
        "exc_basic.py",
        "closures_scopes.py",
        "with_stmt.py",
        "comprehensions.py",
        "dict_set_ops.py",
        "re_module.py",
        "class_dunders.py",
        "op_notimplemented.py",
        "generator_send_protocol.py",
        "iterator_class_full.py",
        "gen_pipeline.py",
        "generator_expressions.py",
        "iter_protocols.py",
        "builtin_types_callable.py",
        "string_building.py",
        "unpacking.py",
        "gen_generator_expression_scope.py",
        "exc_in_generators.py",
    ];
    for name in names {
        let src = std::fs::read_to_string(dir.join(name)).expect("script");
        let run = |stress: bool| {
            let code = compile_source(&src, name).expect("compiles");
            let mut vm = new_vm();
            if stress {
                vm.heap.min_threshold = 1;
                vm.heap.growth = 0;
                vm.heap.threshold = 1;
            }
            vm.start_module(code, "__main__", &src);
            let ok = vm.run(None).is_ok();
            if stress {
                assert!(
                    vm.heap.collections > 20,
                    "{name}: only {} collections",
                    vm.heap.collections
                );
            }
            (ok, String::from_utf8_lossy(&vm.out).into_owned())
        };
        let normal = run(false);
        let stressed = run(true);
        assert_eq!(
            normal, stressed,
            "{name} behaves differently under GC stress"
        );
    }
}

#[test]
fn garbage_made_while_a_native_consumes_a_generator_is_collected() {
    let src = "class N:\n    pass\ndef make(n):\n    for i in range(n):\n        a = N()\n        b = N()\n        a.o = b\n        b.o = a\n        yield i\nprint(sum(make(150000)), len(list(make(50000))))\n";
    let code = compile_source(src, "t.py").expect("compiles");
    let mut vm = new_vm();
    vm.heap.min_threshold = 10_000;
    vm.heap.threshold = 10_000;
    vm.start_module(code, "__main__", src);
    assert!(vm.run(None).is_ok());
    assert_eq!(String::from_utf8_lossy(&vm.out), "11249925000 50000\n");
    assert!(
        vm.heap.collections >= 10,
        "collections: {}",
        vm.heap.collections
    );
}

#[test]
fn embedder_modules_are_importable() {
    fn build(vm: &mut Vm, d: value::Ref) {
        let v = vm.new_str("from the embedder");
        vm.dict_set_str(d, &Rc::from("GREETING"), v);
    }
    let src = "import hostmod\nfrom hostmod import GREETING\nprint(hostmod.GREETING == GREETING, GREETING)\n";
    let code = compile_source(src, "t.py").unwrap();
    let mut vm = new_vm();
    vm.register_module("hostmod", build);
    vm.start_module(code, "__main__", src);
    assert!(vm.run(None).is_ok());
    assert_eq!(String::from_utf8_lossy(&vm.out), "True from the embedder\n");
}

#[test]
fn hostile_nesting_is_a_syntax_error_not_a_stack_overflow() {
    // The parser recurses per nesting level up to the limit: give it the 8 MB of the main
    // thread `stackmail run` uses (debug builds need about 30 KB per level).
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(hostile_nesting_cases)
        .expect("thread")
        .join()
        .expect("no overflow");
}

fn hostile_nesting_cases() {
    let deep =
        |open: &str, close: &str, n: usize| format!("x = {}1{}\n", open.repeat(n), close.repeat(n));
    for src in [
        deep("(", ")", 100_000),
        deep("[", "]", 100_000),
        deep("-", "", 100_000),
        deep("not ", "", 100_000),
        deep("lambda: ", "", 100_000),
        format!("x = 1{}\n", "+1".repeat(100_000)),
        format!("x = f{}\n", "()".repeat(100_000)),
    ] {
        let e = compile_source(&src, "t.py").expect_err("refused");
        assert_eq!(e.msg, "too many nested expressions or blocks");
    }
    // Ordinary depths still compile.
    assert!(compile_source(&deep("(", ")", 150), "t.py").is_ok());
    assert!(compile_source(&format!("x = 1{}\n", "+1".repeat(900)), "t.py").is_ok());
}
