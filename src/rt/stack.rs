//! Guard-paged coroutine stacks and the per-thread pool that reuses them.
//!
//! Each stack is one anonymous mapping (`MAP_NORESERVE` on Linux): only the pages a tasklet
//! touches become resident, so a parked tasklet costs about one page of stack. The lowest page
//! is a guard. On Linux 6.13+ the guard is installed with `MADV_GUARD_INSTALL`, which does not
//! split the mapping: 100,000 stacks stay far below `vm.max_map_count` (65,530 by default),
//! where `mprotect` guards would need two mappings per stack. Older kernels fall back to
//! `mprotect`.
#![allow(unsafe_code)]

use std::io;
use std::ptr;

use corosensei::stack::{Stack, StackPointer};

/// Default usable size of a tasklet stack. Small because only touched pages cost memory, yet
/// roomy enough for a TLS handshake on the stack; tasklets that need more ask for it.
/// Unoptimized builds spill far more per frame (a debug TLS handshake comes within a few
/// hundred bytes of 64 KiB), so they get four times as much.
pub const DEFAULT_STACK_SIZE: usize = if cfg!(debug_assertions) {
    256 * 1024
} else {
    64 * 1024
};

/// How many free stacks of each size a thread keeps for reuse.
const POOL_LIMIT: usize = 1024;

#[cfg(target_os = "linux")]
const MADV_GUARD_INSTALL: libc::c_int = 102;

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions; _SC_PAGESIZE is always supported.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size <= 0 { 4096 } else { size as usize }
}

/// One mapped stack: `len` bytes from `bottom`, the lowest page of which is the guard.
pub struct PooledStack {
    bottom: usize,
    len: usize,
    /// `bottom + len`, kept because corosensei asks for it on every resume.
    top: StackPointer,
}

impl PooledStack {
    /// Maps a stack with at least `size` usable bytes plus a guard page.
    pub fn new(size: usize) -> io::Result<PooledStack> {
        let page = page_size();
        let usable = size.max(corosensei::stack::MIN_STACK_SIZE).div_ceil(page) * page;
        let len = usable + page;
        // OpenBSD requires MAP_STACK on stacks; Linux honours MAP_NORESERVE, which keeps
        // untouched stack pages out of the commit charge. Elsewhere a plain private mapping.
        #[cfg(target_os = "openbsd")]
        let flags = libc::MAP_PRIVATE | libc::MAP_ANON | libc::MAP_STACK;
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let flags = libc::MAP_PRIVATE | libc::MAP_ANON | libc::MAP_NORESERVE;
        #[cfg(not(any(target_os = "openbsd", target_os = "linux", target_os = "android")))]
        let flags = libc::MAP_PRIVATE | libc::MAP_ANON;
        // SAFETY: a fresh anonymous mapping; no existing memory is touched.
        let addr = unsafe {
            libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                flags,
                -1,
                0,
            )
        };
        if addr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let top = StackPointer::new(addr as usize + len).expect("a mapping ends above address 0");
        let stack = PooledStack {
            bottom: addr as usize,
            len,
            top,
        };
        stack.install_guard(page)?;
        Ok(stack)
    }

    fn install_guard(&self, page: usize) -> io::Result<()> {
        #[cfg(target_os = "linux")]
        {
            // SAFETY: the range is the first page of our own mapping.
            let rc = unsafe { libc::madvise(self.bottom as *mut _, page, MADV_GUARD_INSTALL) };
            if rc == 0 {
                return Ok(());
            }
        }
        // SAFETY: the range is the first page of our own mapping; nothing lives there yet.
        let rc = unsafe { libc::mprotect(self.bottom as *mut _, page, libc::PROT_NONE) };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// Usable bytes (the mapping without its guard page).
    pub fn usable_size(&self) -> usize {
        self.len - page_size()
    }
}

impl Drop for PooledStack {
    fn drop(&mut self) {
        // SAFETY: we own this mapping and no coroutine runs on it any more (a Coroutine owns its
        // stack and gives it back only once finished).
        unsafe {
            libc::munmap(self.bottom as *mut _, self.len);
        }
    }
}

// SAFETY: the mapping has a guard page below the usable range, is at least MIN_STACK_SIZE
// usable, and base/limit are page aligned (so STACK_ALIGNMENT aligned).
unsafe impl Stack for PooledStack {
    #[inline]
    fn base(&self) -> StackPointer {
        self.top
    }

    fn limit(&self) -> StackPointer {
        StackPointer::new(self.bottom).expect("mapping is not at address 0")
    }
}

/// Free stacks of one thread, grouped by size, plus a count of every stack it mapped.
pub(crate) struct StackPool {
    free: Vec<PooledStack>,
    size: usize,
    /// Stacks currently mapped by this thread (in use or free); what a leak would grow.
    pub(crate) mapped: usize,
}

impl StackPool {
    pub(crate) const fn new() -> StackPool {
        StackPool {
            free: Vec::new(),
            size: DEFAULT_STACK_SIZE,
            mapped: 0,
        }
    }

    pub(crate) fn default_size(&self) -> usize {
        self.size
    }

    /// Changes the default size; pooled stacks of the old size are released.
    pub(crate) fn set_default_size(&mut self, size: usize) {
        if size != self.size {
            self.mapped -= self.free.len();
            self.free.clear();
            self.size = size;
        }
    }

    pub(crate) fn get(&mut self, size: usize) -> io::Result<PooledStack> {
        if size == self.size
            && let Some(stack) = self.free.pop()
        {
            return Ok(stack);
        }
        let stack = PooledStack::new(size)?;
        self.mapped += 1;
        Ok(stack)
    }

    pub(crate) fn put(&mut self, stack: PooledStack) {
        let page = page_size();
        let default_usable = self
            .size
            .max(corosensei::stack::MIN_STACK_SIZE)
            .div_ceil(page)
            * page;
        if stack.usable_size() == default_usable && self.free.len() < POOL_LIMIT {
            self.free.push(stack);
        } else {
            self.mapped -= 1;
            drop(stack);
        }
    }

    pub(crate) fn pooled(&self) -> usize {
        self.free.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacks_are_reused_and_bounded() {
        let mut pool = StackPool::new();
        let stacks: Vec<_> = (0..POOL_LIMIT + 10)
            .map(|_| pool.get(DEFAULT_STACK_SIZE).unwrap())
            .collect();
        assert_eq!(pool.mapped, POOL_LIMIT + 10);
        for s in stacks {
            pool.put(s);
        }
        assert_eq!(pool.pooled(), POOL_LIMIT);
        assert_eq!(pool.mapped, POOL_LIMIT);
        let again = pool.get(DEFAULT_STACK_SIZE).unwrap();
        assert_eq!(
            pool.mapped, POOL_LIMIT,
            "a pooled stack is reused, not mapped anew"
        );
        pool.put(again);
    }

    #[test]
    fn odd_sizes_are_not_pooled() {
        let mut pool = StackPool::new();
        let odd = DEFAULT_STACK_SIZE * 4;
        let big = pool.get(odd).unwrap();
        assert!(big.usable_size() >= odd);
        pool.put(big);
        assert_eq!(pool.pooled(), 0);
        assert_eq!(pool.mapped, 0);
    }
}
