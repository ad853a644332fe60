//! `pickle.loads` on arbitrary bytes: as given (header checks) and wrapped in a valid header
//! with a correct checksum (so the decoder body sees the bytes). It must return an error or a
//! value that prints, never panic or overflow the stack.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stackmail::vm::{new_vm, pickle};

fuzz_target!(|data: &[u8]| {
    let mut vm = new_vm();
    // The nested loops of `__repr__` calls stay within the fuzzer's stack.
    vm.max_nested = 40;
    vm.heap.limit = 256 << 20;
    let sealed = pickle::format::seal(data);
    for bytes in [data, &sealed[..]] {
        if let Ok(v) = pickle::loads(&mut vm, bytes) {
            vm.temp_roots.push(v);
            let _ = vm.repr(v);
            vm.temp_roots.pop();
        }
    }
});
