//! Pickle tests on hostile input: corrupt, truncated and foreign bytes, crafted object tables,
//! deep nesting, hostile source text, and deterministic fuzzing of valid pickles.

use super::super::interp::RunOutcome;
use super::super::new_vm;
use super::super::value::*;
use super::format::{self, Writer, tag};
use super::tests::{global, load_err, run, vm_for};
use super::*;

#[test]
fn header_errors_say_what_is_wrong() {
    let mut vm = new_vm();
    let good = dumps(&mut vm, Value::Int(5)).unwrap();
    assert!(matches!(loads(&mut vm, &good), Ok(Value::Int(5))));
    let cpython = b"\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01K\x02e.";
    for (data, want) in [
        (&cpython[..], "not stackmail pickle data"),
        (b"", "not stackmail pickle data"),
        (b"\x13\x37 random bytes here", "not stackmail pickle data"),
        (b"SM", "truncated data"),
        (&good[..10], "truncated data"),
        (&good[..good.len() - 1], "truncated data"),
    ] {
        assert_eq!(load_err(&mut vm, data), format!("UnpicklingError: {want}"));
    }
    let mut v7 = good.clone();
    v7[4] = 7;
    assert_eq!(
        load_err(&mut vm, &v7),
        "UnpicklingError: unsupported format version 7 (this build reads 1)"
    );
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x40;
    assert_eq!(
        load_err(&mut vm, &flipped),
        "UnpicklingError: data is corrupt (checksum mismatch)"
    );
    let mut longer = good.clone();
    longer.push(0);
    assert!(load_err(&mut vm, &longer).contains("corrupt"));
}

/// A payload with no sources or codes, the given object records, and value root `root`.
fn payload(nobjs: usize, records: &[u8], root: u8) -> Vec<u8> {
    let mut w = Writer::default();
    w.usize(0);
    w.usize(0);
    w.usize(nobjs);
    w.buf.extend_from_slice(records);
    w.u8(0);
    w.u8(7);
    w.usize(root as usize);
    format::seal(&w.buf)
}

#[test]
fn deep_nesting_is_refused_without_recursion() {
    let n = 1_000_000;
    let mut w = Writer::default();
    for i in 0..n {
        w.u8(tag::LIST);
        if i + 1 < n {
            w.usize(1);
            w.u8(7);
            w.usize(i + 1);
        } else {
            w.usize(0);
        }
    }
    let data = payload(n, &w.buf, 0);
    let mut vm = new_vm();
    assert_eq!(
        load_err(&mut vm, &data),
        "UnpicklingError: objects nested too deeply"
    );
}

#[test]
fn hashing_hostile_tuples_is_refused() {
    // A tuple that contains itself, used as a set member.
    let mut w = Writer::default();
    w.u8(tag::SET);
    w.u8(1);
    w.usize(1);
    w.u8(7);
    w.usize(1);
    w.u8(tag::TUPLE);
    w.usize(1);
    w.u8(7);
    w.usize(1);
    let mut vm = new_vm();
    assert!(load_err(&mut vm, &payload(2, &w.buf, 0)).contains("contains itself"));
    // 1000 nested tuples.
    let mut w = Writer::default();
    for i in 0..1000usize {
        w.u8(tag::TUPLE);
        if i < 999 {
            w.usize(1);
            w.u8(7);
            w.usize(i + 1);
        } else {
            w.usize(0);
        }
    }
    assert!(load_err(&mut vm, &payload(1000, &w.buf, 0)).contains("nested too deeply"));
}

#[test]
fn class_cycles_and_bad_references_are_refused() {
    // Two classes that are each other's base.
    let mut w = Writer::default();
    for other in [1usize, 0] {
        w.u8(tag::CLASS);
        w.u8(0);
        w.str("C");
        w.u8(1);
        w.usize(other);
        w.usize(0);
    }
    let mut vm = new_vm();
    assert!(load_err(&mut vm, &payload(2, &w.buf, 0)).contains("cycle"));
    // An instance whose class is a string.
    let mut w = Writer::default();
    w.u8(tag::INSTANCE);
    w.usize(1);
    w.usize(0);
    w.u8(0);
    w.u8(tag::STR);
    w.str("x");
    assert!(load_err(&mut vm, &payload(2, &w.buf, 0)).contains("expected a class"));
    // An index past the table.
    let mut w = Writer::default();
    w.u8(tag::LIST);
    w.usize(1);
    w.u8(7);
    w.usize(5);
    assert!(load_err(&mut vm, &payload(1, &w.buf, 0)).contains("out of range"));
}

const FUZZ_SRC: &str = "\
class Base:
    def __init__(self, x):
        self.x = x
    def __repr__(self):
        return 'Base(%r)' % (self.x,)
class Err(ValueError):
    pass
def gen(n):
    for i in range(n):
        yield i
def outer(a):
    def inner(b=2, *, c=3):
        return a + b + c
    return inner
shared = [1, 'two', 3.0]
cyc = [shared, shared]
cyc.append(cyc)
d = {'k': (1, 2, frozenset([3])), 5: shared, (1, 'x'): Base(cyc)}
g = gen(5)
next(g)
graphs = [
    cyc,
    d,
    [Base(1), Base([2]), Err('bad', 3), outer(1), g, len, range(3), slice(1, 2)],
    {'big': 10 ** 40, 'neg': -(3 ** 70), 'f': [1.5, float('inf')], 'b': b'xyz', 's': {1, 2}},
    [iter([1, 2, 3]), {'a': 1}.items(), Base.__init__, Base(2).__repr__],
]
";

/// A seeded xorshift generator: the fuzz tests are repeatable.
fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// A random seed with one to three random edits: bit flips, byte changes, truncation, a
/// piece of another seed spliced in, a byte removed.
fn mutated(seeds: &[Vec<u8>], rnd: &mut impl FnMut() -> u64) -> Vec<u8> {
    let mut p = seeds[(rnd() % seeds.len() as u64) as usize].clone();
    for _ in 0..1 + rnd() % 3 {
        let len = p.len().max(1);
        match rnd() % 6 {
            0 | 1 => {
                let i = (rnd() % len as u64) as usize;
                if let Some(b) = p.get_mut(i) {
                    *b ^= 1 << (rnd() % 8);
                }
            }
            2 => {
                let i = (rnd() % len as u64) as usize;
                if let Some(b) = p.get_mut(i) {
                    *b = rnd() as u8;
                }
            }
            3 => p.truncate((rnd() % len as u64) as usize),
            4 => {
                // Splice a piece of another seed in.
                let o = &seeds[(rnd() % seeds.len() as u64) as usize];
                let a = (rnd() % o.len().max(1) as u64) as usize;
                let b = a + (rnd() % 16) as usize;
                let at = ((rnd() % len as u64) as usize).min(p.len());
                let piece: Vec<u8> = o.get(a..b.min(o.len())).unwrap_or_default().to_vec();
                p.splice(at..at, piece);
            }
            _ => {
                let i = (rnd() % len as u64) as usize;
                if i < p.len() {
                    p.remove(i);
                }
            }
        }
    }
    p
}

#[test]
fn fuzzed_pickles_never_panic() {
    let (mut vm, _) = run(FUZZ_SRC);
    // A mutated graph may make `__repr__` recurse through itself: keep the nested loops
    // within the test thread's small stack (RecursionError instead).
    vm.max_nested = 40;
    let graphs = global(&mut vm, "graphs");
    let mut seeds = Vec::new();
    for v in vm.list_items(graphs) {
        let b = dumps(&mut vm, v).expect("dumps");
        let back = loads(&mut vm, &b).expect("valid pickle loads");
        vm.repr(back).expect("repr");
        seeds.push(b[format::HEADER_LEN..].to_vec());
    }
    let mut rnd = xorshift(0x9E37_79B9_7F4A_7C15);
    let (mut loaded, mut refused) = (0, 0);
    for round in 0..20_000u32 {
        let p = mutated(&seeds, &mut rnd);
        match loads(&mut vm, &format::seal(&p)) {
            Ok(v) => {
                loaded += 1;
                vm.temp_roots.push(v);
                let _ = vm.repr(v);
                vm.temp_roots.pop();
            }
            Err(_) => refused += 1,
        }
        if round % 1000 == 0 {
            vm.collect_garbage();
        }
    }
    assert!(
        loaded > 100 && refused > 100,
        "loaded {loaded}, refused {refused}"
    );
}

const FRAMES_SRC: &str = "\
class Acc:
    def __init__(self):
        self.items = []
    def add(self, x, *, scale=1):
        self.items.append(x * scale)
        return self
def gen(n):
    for i in range(n):
        try:
            if i % 3 == 0:
                raise ValueError(i)
            yield i
        except ValueError as e:
            yield -i
def work(n):
    acc = Acc()
    total = 0
    for v in gen(n):
        acc.add(v, scale=2)
        total += v
        d = {'k': v, 't': (v, total)}
        if total > 50:
            break
    return total, len(acc.items), d
print(work(40))
";

/// Mutated frame stacks that load must also run (with a budget) without a panic.
#[test]
fn fuzzed_frame_stacks_load_and_run_without_panic() {
    let mut seeds = Vec::new();
    for budget in [23u64, 57, 91, 130, 177, 240, 333] {
        let mut vm = vm_for(FRAMES_SRC);
        if let Ok(RunOutcome::BudgetExhausted) = vm.run(Some(budget)) {
            let frames = std::mem::take(&mut vm.frames);
            let b = dump_frames(&mut vm, &frames, &[]).expect("dump_frames");
            vm.frames = frames;
            seeds.push(b[format::HEADER_LEN..].to_vec());
        }
    }
    assert!(seeds.len() >= 5);
    let mut vm = vm_for(FRAMES_SRC);
    vm.frames.clear();
    vm.max_nested = 40;
    vm.heap.limit = 64 << 20;
    let (mut ran, mut refused) = (0, 0);
    let mut rnd = xorshift(0x2545_F491_4F6C_DD1D);
    for round in 0..10_000u32 {
        let mut p = seeds[(rnd() % seeds.len() as u64) as usize].clone();
        if round > 0 {
            for _ in 0..1 + rnd() % 2 {
                let i = (rnd() % p.len() as u64) as usize;
                match rnd() % 3 {
                    0 => p[i] ^= 1 << (rnd() % 8),
                    1 => p[i] = rnd() as u8,
                    _ => p[i] = p[i].wrapping_add(1),
                }
            }
        }
        match load_frames(&mut vm, &format::seal(&p)) {
            Ok((frames, _)) => {
                ran += 1;
                vm.frames = frames;
                let _ = vm.run(Some(2_000));
                vm.frames.clear();
                vm.nested = 0;
                vm.gc_inhibit = 0;
                vm.temp_roots.clear();
            }
            Err(_) => refused += 1,
        }
        if round % 500 == 0 {
            vm.collect_garbage();
        }
    }
    assert!(ran > 100 && refused > 100, "ran {ran}, refused {refused}");
}

#[test]
fn hostile_source_text_is_refused_before_it_can_overflow() {
    // The parser's nesting limit assumes a main-thread-sized stack (see `vm::tests`).
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(hostile_source_case)
        .expect("thread")
        .join()
        .expect("no overflow");
}

fn hostile_source_case() {
    let src = format!("x = {}1{}\n", "(".repeat(100_000), ")".repeat(100_000));
    let mut w = Writer::default();
    w.usize(1);
    w.str("evil.py");
    w.str(&src);
    w.usize(1);
    w.usize(0);
    w.usize(0);
    w.str("<module>");
    w.usize(1);
    w.u8(tag::CELL);
    w.u8(0);
    w.u8(0);
    w.u8(7);
    w.usize(0);
    let mut vm = new_vm();
    let e = load_err(&mut vm, &format::seal(&w.buf));
    assert!(e.contains("cannot compile 'evil.py'"), "{e}");
}

const TASKLETS_SRC: &str = "\
import pickle
import re
import stackless

ch = stackless.channel()

def numbers():
    n = 0
    while True:
        yield n
        n += 1

def worker(gen, k):
    seen = {'count': 0}
    pat = re.compile(r'(a+)(?P<b>b)?', re.I)
    for i in range(1000):
        v = ch.receive()
        seen['count'] += v + next(gen) * k + len(pat.match('AAb').group(1))

def pauser(n):
    for i in range(n):
        stackless.schedule_remove()

blocked = [stackless.tasklet(worker)(numbers(), i) for i in range(3)]
paused = stackless.tasklet(pauser)(5)
fresh = stackless.tasklet(pauser)
stackless.run()
ch.send(1)
seeds = [pickle.dumps((blocked[0], ch)), pickle.dumps(paused), pickle.dumps(fresh),
         pickle.dumps([ch, blocked])]
";

/// Mutated pickles of tasklets and channels (checksums recomputed, so the loader's body
/// sees them) never panic, and the tasklets that do load run without panicking.
#[test]
fn fuzzed_tasklet_pickles_never_panic() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let vm = Rc::new(RefCell::new(new_vm()));
    let code = crate::vm::compile_source(TASKLETS_SRC, "t.py").expect("compiles");
    vm.borrow_mut().start_module(code, "__main__", TASKLETS_SRC);
    crate::vm::stackless::run_main(&vm).expect("the script runs");
    let seeds: Vec<Vec<u8>> = {
        let mut v = vm.borrow_mut();
        let list = global(&mut v, "seeds");
        v.list_items(list)
            .into_iter()
            .filter_map(|b| match b.as_ref().map(|r| v.heap.get(r)) {
                Some(Obj::Bytes(b)) => Some(b[format::HEADER_LEN..].to_vec()),
                _ => None,
            })
            .collect()
    };
    assert_eq!(seeds.len(), 4);
    crate::vm::stackless::install(&vm);
    vm.borrow_mut().tasklets.budget = Some(5_000);
    let mut rnd = xorshift(0x2545_F491_4F6C_DD1D);
    let (mut loaded, mut refused) = (0, 0);
    for round in 0..5_000u32 {
        let p = mutated(&seeds, &mut rnd);
        let mut v = vm.borrow_mut();
        match loads(&mut v, &format::seal(&p)) {
            Ok(x) => {
                loaded += 1;
                v.temp_roots.push(x);
                let _ = v.repr(x);
                v.temp_roots.pop();
            }
            Err(_) => refused += 1,
        }
        if round % 500 == 0 {
            v.collect_garbage();
        }
    }
    assert!(
        loaded > 50 && refused > 50,
        "loaded {loaded}, refused {refused}"
    );
    // Run what loaded (blocked tasklets block again, spinning ones are preempted).
    let start = std::time::Instant::now();
    crate::rt::run_until(|| start.elapsed() > std::time::Duration::from_millis(500));
}
