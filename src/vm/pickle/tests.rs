//! Pickle tests that CPython cannot take part in: generators, closures, frames, host hooks.
//! Hostile input (corrupt, truncated, foreign, fuzzed, deeply nested) is in `hostile_tests`.

use std::rc::Rc;

use super::super::interp::{RunOutcome, Vm};
use super::super::value::*;
use super::super::{compile_source, new_vm};
use super::*;

pub(super) fn vm_for(src: &str) -> Vm {
    let code = compile_source(src, "t.py").expect("compiles");
    let mut vm = new_vm();
    vm.start_module(code, "__main__", src);
    vm
}

pub(super) fn run(src: &str) -> (Vm, String) {
    let mut vm = vm_for(src);
    let r = vm.run(None);
    let out = String::from_utf8_lossy(&vm.out).into_owned();
    if let Err(e) = r {
        let v = vm.exception_value(e);
        let tb = vm.format_traceback(v);
        panic!("script failed: {tb}\noutput so far:\n{out}");
    }
    (vm, out)
}

pub(super) fn global(vm: &mut Vm, name: &str) -> Value {
    let m = vm.import("__main__").expect("main module");
    let Some(Obj::Module(_, d)) = m.as_ref().map(|r| vm.heap.get(r)) else {
        panic!("no main module");
    };
    let d = *d;
    vm.dict_get_str(d, &Rc::from(name)).expect("global exists")
}

pub(super) fn call(vm: &mut Vm, f: Value, args: Vec<Value>) -> Value {
    match vm.call_sync(f, args, Vec::new()) {
        Ok(v) => v,
        Err(e) => {
            let v = vm.exception_value(e);
            panic!("call failed: {}", vm.exception_line(v));
        }
    }
}

pub(super) fn load_err(vm: &mut Vm, bytes: &[u8]) -> String {
    match loads(vm, bytes) {
        Ok(_) => panic!("loaded"),
        Err(e) => {
            let v = vm.exception_value(e);
            vm.exception_line(v)
        }
    }
}

const GEN_SRC: &str = "\
import pickle
def counter(start, names):
    total = start
    for i, n in enumerate(names):
        try:
            total += i
            yield n + ':' + str(total)
        finally:
            pass
    return total

def make_adder(k):
    def add(x):
        return x + k
    return add

g = counter(100, ['a', 'b', 'c', 'd'])
first = next(g)
adder = make_adder(5)
square = lambda v: v * v
";

#[test]
fn generator_resumes_after_a_round_trip_in_the_same_vm() {
    let src = format!(
        "{GEN_SRC}g2 = pickle.loads(pickle.dumps(g))\nprint(first, next(g2), list(g2), list(g))\n\
         print(pickle.loads(pickle.dumps(adder))(1), pickle.loads(pickle.dumps(square))(7))\n"
    );
    let (_, out) = run(&src);
    assert_eq!(
        out,
        "a:100 b:101 ['c:103', 'd:106'] ['b:101', 'c:103', 'd:106']\n6 49\n"
    );
}

#[test]
fn a_generator_inside_an_except_block_keeps_the_exception_it_handles() {
    let (_, out) = run("\
import pickle
def g():
    try:
        raise KeyError('k')
    except KeyError as e:
        yield 1
        yield repr(e)
        try:
            raise
        except KeyError as e2:
            yield 'reraised ' + repr(e2)
    yield 4
it = g()
print(next(it))
print(list(pickle.loads(pickle.dumps(it))), list(it))
");
    assert_eq!(
        out,
        "1\n[\"KeyError('k')\", \"reraised KeyError('k')\", 4] [\"KeyError('k')\", \"reraised KeyError('k')\", 4]\n"
    );
}

#[test]
fn generator_and_closures_resume_in_a_fresh_vm() {
    let (mut vm, _) = run(GEN_SRC);
    let list = {
        let (g, a, s) = (
            global(&mut vm, "g"),
            global(&mut vm, "adder"),
            global(&mut vm, "square"),
        );
        vm.new_list(vec![g, a, s])
    };
    let bytes = dumps(&mut vm, list).expect("dumps");

    // The loading VM has the module loaded (here: the same file run to completion).
    let (mut vm2, _) = run(GEN_SRC);
    let v = loads(&mut vm2, &bytes).expect("loads");
    vm2.temp_roots.push(v);
    let items = vm2.list_items(v);
    let next = vm2.dict_get_str(vm2.builtins, &Rc::from("next")).unwrap();
    let r = call(&mut vm2, next, vec![items[0]]);
    assert_eq!(vm2.repr(r).unwrap(), "'b:101'");
    let r = call(&mut vm2, items[1], vec![Value::Int(10)]);
    assert!(matches!(r, Value::Int(15)));
    let r = call(&mut vm2, items[2], vec![Value::Int(9)]);
    assert!(matches!(r, Value::Int(81)));
}

#[test]
fn module_level_classes_load_as_themselves_or_as_copies() {
    let src = "class P:\n    def __init__(self, x):\n        self.x = x\n    def twice(self):\n        return self.x * 2\np = P(21)\n";
    let (mut vm, _) = run(src);
    let p = global(&mut vm, "p");
    let bytes = dumps(&mut vm, p).unwrap();
    let q = loads(&mut vm, &bytes).unwrap();
    let class_of = |vm: &Vm, v: Value| match vm.heap.get(v.as_ref().unwrap()) {
        Obj::Instance(i) => i.class,
        _ => panic!("not an instance"),
    };
    assert_eq!(
        class_of(&vm, q),
        class_of(&vm, p),
        "same class in the same VM"
    );

    // A VM where the module has no class P: the class is rebuilt from the pickle.
    let (mut vm2, _) = run("x = 1\n");
    let q = loads(&mut vm2, &bytes).expect("loads");
    vm2.temp_roots.push(q);
    let m = vm2.get_attr(q, "twice").unwrap();
    assert!(matches!(call(&mut vm2, m, vec![]), Value::Int(42)));
    assert_eq!(&*vm2.type_name(q), "P");
}

#[test]
fn a_suspended_frame_stack_round_trips() {
    let src = "\
def work(n):
    acc = []
    for i in range(n):
        acc.append(i * i)
    return sum(acc)
print(work(300))
print('after')
";
    let mut vm = vm_for(src);
    let mut suspended = false;
    for _ in 0..200 {
        if let Ok(RunOutcome::BudgetExhausted) = vm.run(Some(97)) {
            if vm.frames.len() == 2 {
                suspended = true;
                break;
            }
        } else {
            break;
        }
    }
    assert!(suspended, "should stop inside work()");
    let frames = std::mem::take(&mut vm.frames);
    let marker = vm.new_str("extra");
    let bytes = dump_frames(&mut vm, &frames, &[marker, Value::Int(7)]).expect("dump_frames");
    vm.frames = frames;

    // A fresh VM whose __main__ exists (module globals are stored by name).
    let mut vm2 = vm_for(src);
    vm2.frames.clear();
    let (frames, extra) = load_frames(&mut vm2, &bytes).expect("load_frames");
    assert_eq!(extra.len(), 2);
    assert_eq!(vm2.repr(extra[0]).unwrap(), "'extra'");
    vm2.frames = frames;
    assert!(matches!(vm2.run(None), Ok(RunOutcome::Finished(_))));
    assert_eq!(String::from_utf8_lossy(&vm2.out), "8955050\nafter\n");
    // The original carries on too.
    assert!(matches!(vm.run(None), Ok(RunOutcome::Finished(_))));
    assert_eq!(String::from_utf8_lossy(&vm.out), "8955050\nafter\n");
    assert!(loads(&mut vm2, &bytes).is_err(), "frames are not a value");
}

#[test]
fn refusals_are_clear() {
    let (_, out) = run("\
import pickle, re, sys, math
def g():
    yield pickle.dumps(it)
it = g()
for x in [re.match('a', 'a'), sys.stdout.write]:
    try:
        pickle.dumps(x)
    except Exception as e:
        print(type(e).__name__, e)
try:
    next(it)
except pickle.PicklingError as e:
    print(type(e).__name__, e)
print(pickle.loads(pickle.dumps(math)) is math, pickle.loads(pickle.dumps(math.floor))(2.5))
print(pickle.loads(pickle.dumps(pickle.UnpicklingError)) is pickle.UnpicklingError)
");
    assert_eq!(
        out,
        "TypeError cannot pickle 're.Match' object\n\
         PicklingError cannot pickle built-in function 'write': it has no importable name\n\
         PicklingError cannot pickle a running generator\n\
         True 2\nTrue\n"
    );
}

#[test]
fn compiled_patterns_load_in_a_vm_that_never_imported_re() {
    let (mut vm, _) = run("\
import re
pats = [re.compile(r'(?P<w>[a-z]+)-(\\d+)', re.I), re.compile('x.y', re.S | re.M)]
pats.append(pats[0])
");
    let pats = global(&mut vm, "pats");
    let bytes = dumps(&mut vm, pats).expect("dumps");
    let (mut vm2, _) = run("import pickle\n");
    let v = loads(&mut vm2, &bytes).expect("loads");
    vm2.temp_roots.push(v);
    let items = vm2.list_items(v);
    assert!(items[0].is(items[2]), "one pattern twice stays one object");
    let m = vm2.get_attr(items[0], "match").unwrap();
    let arg = vm2.new_str("ABC-42");
    let found = call(&mut vm2, m, vec![arg]);
    let group = vm2.get_attr(found, "group").unwrap();
    let w = vm2.new_str("w");
    let r = call(&mut vm2, group, vec![w]);
    assert_eq!(vm2.repr(r).unwrap(), "'ABC'");
    let flags = vm2.get_attr(items[1], "flags").unwrap();
    assert_eq!(vm2.repr(flags).unwrap(), "56");
    // A record that is not a pattern is refused, not compiled.
    let mut payload = bytes[format::HEADER_LEN..].to_vec();
    let at = payload
        .windows(3)
        .position(|w| w == b"x.y")
        .expect("pattern text");
    payload[at + 1] = b'(';
    let e = load_err(&mut vm2, &format::seal(&payload));
    assert!(e.starts_with("error: missing )"), "{e}");
    payload[at + 1] = 0xff;
    let e = load_err(&mut vm2, &format::seal(&payload));
    assert!(e.contains("a corrupt 're.Pattern' record"), "{e}");
}

struct Toy {
    n: u32,
    held: Value,
}

fn toy_save(_: &mut Vm, data: &Rc<dyn std::any::Any>) -> PResult<(Vec<Value>, Vec<u8>)> {
    let t = data.downcast_ref::<Toy>().expect("a toy");
    Ok((vec![t.held], t.n.to_le_bytes().to_vec()))
}

fn toy_load(vm: &mut Vm, bytes: &[u8], kids: &[Value]) -> PResult<Value> {
    let (Ok(b), [held]) = (<[u8; 4]>::try_from(bytes), kids) else {
        return Err(unpickling_error(vm, "bad toy"));
    };
    let class = vm.host_classes.iter().find(|h| h.0 == "toy.Box").unwrap().1;
    Ok(vm.alloc(Obj::Host(
        class,
        Rc::new(Toy {
            n: u32::from_le_bytes(b),
            held: *held,
        }),
    )))
}

fn toy_peek(vm: &mut Vm, args: &[Value], _: &[(Rc<str>, Value)]) -> PResult<Value> {
    match args
        .first()
        .and_then(|v| v.as_ref())
        .map(|r| vm.heap.get(r))
    {
        Some(Obj::Host(_, d)) => Ok(Value::Int(
            d.downcast_ref::<Toy>().map_or(-1, |t| t.n as i64),
        )),
        _ => Ok(Value::None),
    }
}

#[test]
fn host_kinds_pickle_through_a_registered_hook() {
    let mut vm = new_vm();
    let mut dict = AttrMap::default();
    dict.insert(Rc::from("peek"), vm.native_method("peek", toy_peek));
    let class = vm.heap.alloc(Obj::Class(Box::new(Class {
        name: Rc::from("Box"),
        base: Some(vm.types[0]),
        dict,
        builtin: Some(BuiltinType::Host),
    })));
    vm.host_classes.push(("toy.Box", class));
    let inner = vm.new_list(vec![Value::Int(1)]);
    let h = vm.alloc(Obj::Host(class, Rc::new(Toy { n: 42, held: inner })));
    let peek = vm.get_attr(h, "peek").unwrap();
    let graph = vm.new_list(vec![h, h, inner, peek]);
    let refused = dumps(&mut vm, graph).map(|_| ()).map_err(|e| {
        let v = vm.exception_value(e);
        vm.exception_line(v)
    });
    assert_eq!(
        refused,
        Err("TypeError: cannot pickle 'toy.Box' object".into())
    );

    vm.pickle_hosts.push(HostPickler {
        class: "toy.Box",
        save: toy_save,
        load: toy_load,
    });
    let bytes = dumps(&mut vm, graph).expect("dumps with the hook");
    let v = loads(&mut vm, &bytes).expect("loads with the hook");
    let items = vm.list_items(v);
    assert!(items[0].is(items[1]), "sharing kept");
    let Obj::Host(c, data) = vm.heap.get(items[0].as_ref().unwrap()) else {
        panic!("not a host object");
    };
    assert_eq!(*c, class);
    let toy = data.downcast_ref::<Toy>().unwrap();
    assert_eq!(toy.n, 42);
    assert!(toy.held.is(items[2]), "children are part of the graph");
    assert!(
        matches!(call(&mut vm, items[3], vec![]), Value::Int(42)),
        "bound to the new host"
    );

    let mut vm2 = new_vm();
    assert_eq!(
        load_err(&mut vm2, &bytes),
        "UnpicklingError: cannot find built-in 'host:toy.Box.peek' in this VM"
    );
}

/// The stack-depth table that loading checks frames against must agree with the interpreter:
/// step every differential script one instruction at a time and compare.
#[test]
fn stack_depths_match_the_interpreter() {
    use std::collections::HashMap;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python");
    let mut scripts: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/python")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "py"))
        .collect();
    scripts.sort();
    let mut checked = 0u64;
    for path in scripts {
        let src = std::fs::read_to_string(&path).unwrap();
        let Ok(code) = compile_source(&src, &path.to_string_lossy()) else {
            continue;
        };
        let mut work = vec![code.clone()];
        while let Some(c) = work.pop() {
            assert!(
                super::stack::depths(&c).1,
                "inconsistent depths in {} of {path:?}",
                c.name
            );
            work.extend(c.codes.iter().cloned());
        }
        let mut vm = new_vm();
        vm.max_nested = 40;
        vm.start_module(code, "__main__", &src);
        let mut cache: HashMap<*const super::super::op::Code, Vec<Option<u32>>> = HashMap::new();
        for _ in 0..20_000 {
            match vm.run(Some(1)) {
                Ok(RunOutcome::BudgetExhausted) => {}
                _ => break,
            }
            let top = vm.frames.len() - 1;
            for (i, f) in vm.frames.iter().enumerate() {
                let d = cache
                    .entry(Rc::as_ptr(&f.code))
                    .or_insert_with(|| super::stack::depths(&f.code).0);
                let want = d[f.ip].unwrap_or_else(|| panic!("unreachable ip in {path:?}"));
                let have = f.stack.len() as u32;
                assert!(
                    have == want || (have + 1 == want && (i < top || f.genr.is_some())),
                    "{path:?}: {} at ip {} ({:?}) has {have} values, table says {want}",
                    f.code.name,
                    f.ip,
                    f.code.ops.get(f.ip.wrapping_sub(1)),
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 100_000, "checked {checked} frames");
}

const RESUME_SRC: &str = "\
import sys
class V:
    def __init__(self, x):
        self.x = 0
        for i in range(x):
            self.x += 1
    def __add__(self, o):
        return V(self.x + o.x)
    def __eq__(self, o):
        return isinstance(o, V) and self.x == o.x
    def __bool__(self):
        return self.x > 2
    def __repr__(self):
        return 'V(%d)' % self.x
class Ctx:
    def __enter__(self):
        print('enter')
        return self
    def __exit__(self, t, e, tb):
        print('exit', t.__name__ if t else None)
        return True
def gen(n):
    for i in range(n):
        try:
            if i == 1:
                raise KeyError(i)
            yield i
        except KeyError as e:
            yield 'handled %r' % (e,)
        finally:
            print('finally', i)
def main():
    a = V(3) + V(2)
    print(a, a == V(5), not V(1), [x for x in gen(3)])
    with Ctx():
        raise ValueError('inside')
    k = 10
    f = lambda y: y + k
    print(f(1), sum(v.x for v in [V(1), V(2)]))
    return a
if len(sys.argv) < 2:
    print(main())
print('end')
";

/// Stops the program after every few instructions inside `main`, moves its whole frame stack
/// to a fresh VM that has the module's definitions (module globals travel by name), and
/// checks that the output carries on unchanged.
#[test]
fn frame_stacks_resume_in_another_vm_from_any_instruction() {
    let (_, full) = run(RESUME_SRC);
    let mut stops = 0;
    for k in 1.. {
        let mut vm = vm_for(RESUME_SRC);
        match vm.run(Some(k)) {
            Ok(RunOutcome::BudgetExhausted) => {}
            Ok(RunOutcome::Finished(_)) => break,
            Err(_) => panic!("script failed"),
        }
        // Until main() runs, the module frame has yet to read `sys.argv`, which differs.
        if !vm.frames.iter().any(|f| &*f.code.name == "main") {
            continue;
        }
        stops += 1;
        let frames = std::mem::take(&mut vm.frames);
        let bytes = dump_frames(&mut vm, &frames, &[]).unwrap_or_else(|e| {
            let v = vm.exception_value(e);
            panic!("dump at {k}: {}", vm.exception_line(v))
        });
        let before = String::from_utf8_lossy(&vm.out).into_owned();

        let code = compile_source(RESUME_SRC, "t.py").unwrap();
        let mut vm2 = new_vm();
        vm2.argv = vec!["t.py".into(), "define-only".into()];
        vm2.start_module(code, "__main__", RESUME_SRC);
        assert!(vm2.run(None).is_ok());
        vm2.out.clear();
        let (frames, _) = load_frames(&mut vm2, &bytes).unwrap_or_else(|e| {
            let v = vm2.exception_value(e);
            panic!("load at {k}: {}", vm2.exception_line(v))
        });
        vm2.frames = frames;
        let r = vm2.run(None);
        assert!(r.is_ok(), "resumed run failed at {k}");
        let after = String::from_utf8_lossy(&vm2.out);
        assert_eq!(
            format!("{before}{after}"),
            full,
            "stopped after {k} instructions"
        );
    }
    assert!(stops > 50, "only {stops} stops");
}
