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

/// Renames `from` to `to` unless `to` exists (Linux `renameat2` with `RENAME_NOREPLACE`):
/// one call where `link` + `unlink` take two, with the same "never replace" guarantee.
/// `AlreadyExists` when `to` is there; `Unsupported` where the platform or the filesystem
/// lacks it, and callers fall back to `link` + `unlink`.
#[cfg(target_os = "linux")]
pub fn rename_noreplace(from: &std::path::Path, to: &std::path::Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &std::path::Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))
    };
    let (from, to) = (c(from)?, c(to)?);
    // SAFETY: both paths are NUL-terminated strings that outlive the call; the raw syscall
    // (not the libc wrapper, which older C libraries lack) takes no other pointers.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        // Kernels before 3.15 (ENOSYS) and filesystems without the flag (EINVAL).
        Some(libc::ENOSYS) | Some(libc::EINVAL) => {
            Err(io::Error::new(io::ErrorKind::Unsupported, e.to_string()))
        }
        _ => Err(e),
    }
}

#[cfg(not(target_os = "linux"))]
pub fn rename_noreplace(_from: &std::path::Path, _to: &std::path::Path) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "renameat2 is Linux-only",
    ))
}
