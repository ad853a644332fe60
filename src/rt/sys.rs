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
    let (from, to) = (c_path(from)?, c_path(to)?);
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

/// A new file in `dir` with no name (Linux `O_TMPFILE`), to be named by [`link_unnamed`]
/// once it is complete: until then no reader can see it, and a crash leaves no name behind
/// (the inode is reclaimed, from the orphan list at mount or by fsck). `Unsupported` where
/// the platform, the filesystem, a missing `/proc` (which the link goes through) or an
/// earlier refused link rules it out; callers fall back to a named temporary file.
#[cfg(target_os = "linux")]
pub fn create_unnamed(dir: &std::path::Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    if !proc_fds() || LINK_REFUSED.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "unnamed files cannot be linked here",
        ));
    }
    let opened = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_TMPFILE)
        .open(dir);
    match opened {
        // Filesystems without it (EOPNOTSUPP), and kernels before 3.11, which take the flag
        // for O_DIRECTORY alone (EISDIR) or refuse it (EINVAL).
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::EOPNOTSUPP) | Some(libc::EISDIR) | Some(libc::EINVAL)
            ) =>
        {
            Err(io::Error::new(io::ErrorKind::Unsupported, e.to_string()))
        }
        other => other,
    }
}

#[cfg(not(target_os = "linux"))]
pub fn create_unnamed(_dir: &std::path::Path) -> io::Result<File> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "O_TMPFILE is Linux-only",
    ))
}

/// Gives a file from [`create_unnamed`] the name `to`, never replacing one there
/// (`AlreadyExists`). Through `/proc/self/fd` rather than `AT_EMPTY_PATH`, which needs
/// CAP_DAC_READ_SEARCH that a daemon running as a mail user lacks.
#[cfg(target_os = "linux")]
pub fn link_unnamed(file: &File, to: &std::path::Path) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let from = c_path(std::path::Path::new(&format!(
        "/proc/self/fd/{}",
        file.as_raw_fd()
    )))?;
    let to = c_path(to)?;
    // SAFETY: both paths are NUL-terminated strings that outlive the call, and the file (so
    // the descriptor the first names) stays open through it, borrowed.
    let rc = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let e = io::Error::last_os_error();
    // A policy (a security module, a sandbox) that forbids the link through /proc forbids
    // it every time: later files are made the named way, and this one's delivery is retried.
    if matches!(e.raw_os_error(), Some(libc::EPERM) | Some(libc::EACCES)) {
        LINK_REFUSED.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    Err(e)
}

/// Set once a link of an unnamed file was refused for want of permission.
#[cfg(target_os = "linux")]
static LINK_REFUSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[cfg(not(target_os = "linux"))]
pub fn link_unnamed(_file: &File, _to: &std::path::Path) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "O_TMPFILE is Linux-only",
    ))
}

/// A path as the NUL-terminated string system calls take.
#[cfg(target_os = "linux")]
fn c_path(p: &std::path::Path) -> io::Result<std::ffi::CString> {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::CString::new(p.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))
}

/// Whether `/proc/self/fd` is there; looked at once, as a mount does not come and go under
/// a running daemon in any way worth a system call per message.
#[cfg(target_os = "linux")]
fn proc_fds() -> bool {
    static THERE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *THERE.get_or_init(|| std::path::Path::new("/proc/self/fd").is_dir())
}
