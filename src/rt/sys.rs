//! The raw system calls the layers above need and std does not wrap, fenced here with the
//! rest of the runtime's unsafe code.
#![allow(unsafe_code)]

use std::fs::File;
use std::io;

/// Flushes every dirty page and inode of the filesystem holding `file` (Linux `syncfs`).
/// One call makes a whole batch of freshly written files durable, where per-file `fsync`
/// pays a journal commit each. Elsewhere it reports `Unsupported`; callers fall back.
#[cfg(target_os = "linux")]
pub fn syncfs(file: &File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: the descriptor is open for the duration of the call (we borrow the File).
    let rc = unsafe { libc::syncfs(file.as_raw_fd()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
pub fn syncfs(_file: &File) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "syncfs is Linux-only",
    ))
}
