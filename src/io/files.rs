//! Writing files the user owns (catalogs, profiles, reports, batch results), and never
//! destroying one.
//!
//! Every output path goes through [`OutputFile::check`] before any work is done:
//!
//! - a symlink is followed to the real file, which is what gets replaced (the link stays a
//!   link) and what the lock is taken on, so two spellings of one path share one lock;
//! - an output that is the same file as any input of the command is refused (exit 2);
//! - anything but a regular file (a directory, FIFO, socket or device node) is refused;
//! - an existing file that is read-only, or that this user may not write, is refused rather
//!   than replaced; a replaced file keeps its permission bits and its owner and group (and a
//!   file whose owner cannot be kept is refused).
//!
//! Writes are atomic: a temporary file beside the target (`.NAME.PID.XXXXXX.smpmatch-tmp`),
//! flushed to disk, then renamed over it, so a crash leaves the old or the new file, never
//! half of one. Temporary files left by a killed writer of the same target are removed on the
//! next successful write, if this user owns them and their process is gone.

use std::path::{Path, PathBuf};

use crate::error::{io_message, Error, Result};

/// Suffix of the temporary files [`write_atomic`] creates.
const TMP_SUFFIX: &str = ".smpmatch-tmp";

/// An output path, checked: see the [module documentation](self).
#[derive(Debug, Clone)]
pub struct OutputFile {
    /// The path as the user gave it (used in messages).
    pub given: PathBuf,
    /// The file that will be written: symlinks resolved, directory canonical.
    pub real: PathBuf,
}

/// What kind of file stands at a path, in words, for a refusal.
pub fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_char_device() {
            return "a character device";
        }
    }
    if t.is_dir() {
        "a directory"
    } else if t.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// Read an input file whole, refusing what is not a regular file (a FIFO would block, a
/// device never end) and anything above `max_bytes`. Errors are input errors naming `path`.
pub fn read_input(path: &Path, what: &str, max_bytes: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    // stat before open: opening a FIFO would block until a writer comes.
    let meta = std::fs::metadata(path).map_err(|e| Error::read(path, e))?;
    if !meta.is_file() {
        return Err(Error::input(
            path,
            format!("is {}, not {what}", file_kind(&meta)),
        ));
    }
    if meta.len() > max_bytes {
        return Err(Error::input(
            path,
            format!(
                "{} is {} bytes, above the {} MiB limit",
                what,
                meta.len(),
                max_bytes >> 20
            ),
        ));
    }
    let mut f = std::fs::File::open(path).map_err(|e| Error::read(path, e))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // Read one byte past the limit: a file that grew since stat is caught too.
    f.by_ref()
        .take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::read(path, e))?;
    if bytes.len() as u64 > max_bytes {
        return Err(Error::input(
            path,
            format!("{what} is above the {} MiB limit", max_bytes >> 20),
        ));
    }
    Ok(bytes)
}

/// Read standard input whole (an input given as `-`), refusing anything above `max_bytes`.
/// Errors name `-`.
pub fn read_stdin(what: &str, max_bytes: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let path = Path::new("-");
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::read(path, e))?;
    if bytes.len() as u64 > max_bytes {
        return Err(Error::input(
            path,
            format!(
                "{what} on standard input is above the {} MiB limit",
                max_bytes >> 20
            ),
        ));
    }
    Ok(bytes)
}

/// Follow `path` through symlinks (at most 40, as the kernel does) to the path of the real
/// file, which need not exist yet; its directory must.
pub fn resolve(path: &Path) -> Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target =
                    std::fs::read_link(&p).map_err(|e| Error::output(&p, io_message(&e)))?;
                p = match p.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => {
                let name = p.file_name().ok_or_else(|| {
                    Error::output(path, "is not a file name (it ends in '..' or '/')")
                })?;
                let dir = match p.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d,
                    _ => Path::new("."),
                };
                let dir = std::fs::canonicalize(dir).map_err(|e| {
                    Error::output(
                        path,
                        format!(
                            "its directory {} is unusable: {}",
                            dir.display(),
                            io_message(&e)
                        ),
                    )
                })?;
                return Ok(dir.join(name));
            }
        }
    }
    Err(Error::output(path, "too many levels of symbolic links"))
}

impl OutputFile {
    /// Check `given` as an output of a command whose inputs are `inputs` (each a description
    /// such as "the photo", and its path). Nothing is written.
    pub fn check(given: &Path, inputs: &[(&str, &Path)]) -> Result<OutputFile> {
        let real = resolve(given)?;
        let out = OutputFile {
            given: given.to_path_buf(),
            real,
        };
        out.refuse_inputs(inputs)?;
        #[cfg(unix)]
        if let Some(dir) = out.real.parent() {
            if !may_write(dir) {
                return Err(Error::output(
                    &out.given,
                    format!(
                        "permission denied: cannot create files in its directory {}",
                        dir.display()
                    ),
                ));
            }
        }
        match std::fs::metadata(&out.real) {
            Ok(meta) => out.check_existing(&meta)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::output(&out.given, io_message(&e))),
        }
        Ok(out)
    }

    /// Refuse when this output is the same file as one of `inputs`.
    pub fn refuse_inputs(&self, inputs: &[(&str, &Path)]) -> Result<()> {
        for (what, input) in inputs {
            if same_file(&self.real, input) {
                return Err(Error::usage(format!(
                    "{}: this output is the same file as {what} {}; refusing to overwrite an \
                     input (choose another output path)",
                    self.given.display(),
                    input.display()
                )));
            }
        }
        Ok(())
    }

    fn check_existing(&self, meta: &std::fs::Metadata) -> Result<()> {
        if !meta.file_type().is_file() {
            return Err(Error::usage(format!(
                "{}: is {}; smpmatch writes its outputs only to regular files",
                self.given.display(),
                file_kind(meta)
            )));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o7777;
            if mode & 0o222 == 0 {
                return Err(Error::output(
                    &self.given,
                    format!(
                        "is read-only (mode {mode:04o}); refusing to replace it (make it \
                         writable first if you mean to update it)"
                    ),
                ));
            }
            if !may_write(&self.real) {
                return Err(Error::output(
                    &self.given,
                    "permission denied: this user may not write it",
                ));
            }
        }
        Ok(())
    }
}

/// Whether two paths name one file (same device and inode, by stat(2): nothing is opened,
/// so a FIFO cannot block).
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => (x.dev(), x.ino()) == (y.dev(), y.ino()),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
    }
}

/// Whether the current user may write the existing file or directory at `path` (access(2),
/// W_OK).
#[cfg(unix)]
fn may_write(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated string for the duration of the call.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

/// Write `text` to the checked output `out` atomically (see the module documentation).
pub fn write_atomic(out: &OutputFile, text: &str) -> Result<()> {
    write_atomic_bytes(out, text.as_bytes())
}

/// [`write_atomic`] for bytes.
pub fn write_atomic_bytes(out: &OutputFile, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let path = &out.real;
    let fail = |m: String| Error::output(&out.given, m);
    // Checked again now: the file may have changed since the command started.
    let existing = match std::fs::metadata(path) {
        Ok(meta) => {
            out.check_existing(&meta)?;
            Some(meta)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(fail(io_message(&e))),
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let prefix = tmp_prefix(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!("{prefix}{}.", std::process::id()))
        .suffix(TMP_SUFFIX)
        .tempfile_in(dir)
        .map_err(|e| Error::write(dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        // A temporary file is created private (0600); give the result the permission bits of
        // the file it replaces (or the usual 0644 for a new file), and its owner and group.
        let mode = existing
            .as_ref()
            .map_or(0o644, |m| m.permissions().mode() & 0o7777);
        if let Some(m) = &existing {
            let mine = tmp.as_file().metadata().map_err(|e| fail(io_message(&e)))?;
            if (mine.uid(), mine.gid()) != (m.uid(), m.gid()) {
                std::os::unix::fs::fchown(tmp.as_file(), Some(m.uid()), Some(m.gid())).map_err(
                    |_| {
                        fail(format!(
                            "is owned by user {} group {}, which a replacement written by this \
                             user cannot keep; refusing to change its owner",
                            m.uid(),
                            m.gid()
                        ))
                    },
                )?;
            }
        }
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(|e| Error::write(tmp.path(), e))?;
    }
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| Error::write(&out.given, e))?;
    tmp.persist(path)
        .map_err(|e| Error::write(&out.given, e.error))?;
    clean_stale_temporaries(path);
    Ok(())
}

/// The file-name prefix of the temporary files for `path`.
fn tmp_prefix(path: &Path) -> String {
    format!(
        ".{}.",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    )
}

/// Remove temporary files of `path` left by killed writers: owned by this user, with a PID
/// that is no longer running. Best effort: a file that cannot be removed is left.
fn clean_stale_temporaries(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let (Some(dir), prefix) = (path.parent(), tmp_prefix(path)) else {
            return;
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        // SAFETY: geteuid has no preconditions.
        let me = unsafe { libc::geteuid() };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(rest) = name
                .strip_prefix(&prefix)
                .and_then(|r| r.strip_suffix(TMP_SUFFIX))
            else {
                continue;
            };
            let Some(pid) = rest.split('.').next().and_then(|p| p.parse::<i32>().ok()) else {
                continue;
            };
            let owned = e.metadata().is_ok_and(|m| m.uid() == me && m.is_file());
            if owned && !process_alive(pid) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// Whether a process with this PID exists (kill(pid, 0) does not fail with ESRCH).
#[cfg(unix)]
fn process_alive(pid: i32) -> bool {
    if pid <= 0 {
        return true;
    }
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// The backup path of `path`: `path` with `.bak` appended.
pub fn backup_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".bak");
    PathBuf::from(s)
}

/// Replace `out` with `text`, keeping the previous contents in [`backup_path`] of the real
/// file (itself written atomically and checked as an output). Returns the backup path when
/// there was a previous file.
pub fn replace_with_backup(out: &OutputFile, text: &str) -> Result<Option<PathBuf>> {
    let backup = match std::fs::read(&out.real) {
        Ok(old) => {
            let b = OutputFile::check(&backup_path(&out.real), &[])?;
            write_atomic_bytes(&b, &old)?;
            Some(b.real)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::read(&out.given, e)),
    };
    write_atomic(out, text)?;
    Ok(backup)
}

/// An exclusive lock on a file the user owns, held for a whole read–modify–write so that two
/// processes updating it at once cannot lose either update. The lock lives on a sidecar
/// `FILE.lock` beside the real file (the file itself is replaced by rename, so it cannot
/// carry the lock). The sidecar is removed when the lock is released, so none is left behind:
/// it is unlinked while still locked, and every process that takes a lock checks afterwards
/// that the path still names the file it locked (else it locked a removed sidecar and tries
/// again). The OS releases the lock if the process dies (the sidecar then stays until the
/// next command on that file takes and releases it).
#[derive(Debug)]
pub struct FileLock {
    file: std::fs::File,
    path: PathBuf,
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // Still locked here: remove the sidecar only if it is ours.
        if names_open_file(&self.file, &self.path) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Does `path` name the file open as `file` (same device and inode)?
fn names_open_file(file: &std::fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

fn lock_file(out: &OutputFile) -> Result<(PathBuf, std::fs::File)> {
    let mut s = out.real.as_os_str().to_owned();
    s.push(".lock");
    let lock_path = PathBuf::from(s);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| {
            Error::output(
                &lock_path,
                format!("cannot open the lock file: {}", io_message(&e)),
            )
        })?;
    Ok((lock_path, file))
}

/// Wait for the exclusive lock of `out` (see [`FileLock`]).
pub fn lock(out: &OutputFile) -> Result<FileLock> {
    loop {
        let (path, file) = lock_file(out)?;
        file.lock()
            .map_err(|e| Error::output(&path, format!("cannot lock: {}", io_message(&e))))?;
        if names_open_file(&file, &path) {
            return Ok(FileLock { file, path });
        }
        // The holder before us removed this sidecar: lock the current one.
    }
}

/// Take the exclusive lock of `out` without waiting: `None` when another process holds it.
pub fn try_lock(out: &OutputFile) -> Result<Option<FileLock>> {
    loop {
        let (path, file) = lock_file(out)?;
        match file.try_lock() {
            Ok(()) if names_open_file(&file, &path) => return Ok(Some(FileLock { file, path })),
            Ok(()) => continue,
            Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::output(
                    &path,
                    format!("cannot lock: {}", io_message(&e)),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_temporaries_of_dead_writers_are_removed_live_ones_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let target = dir.path().join("c.json");
        // PID 0 is never a writer's; a PID above pid_max cannot be running.
        let dead = dir
            .path()
            .join(format!(".c.json.{}.abc123{TMP_SUFFIX}", i32::MAX));
        let live = dir
            .path()
            .join(format!(".c.json.{}.def456{TMP_SUFFIX}", std::process::id()));
        let other = dir
            .path()
            .join(format!(".d.json.{}.abc123{TMP_SUFFIX}", i32::MAX));
        for p in [&dead, &live, &other] {
            std::fs::write(p, "x").expect("write");
        }
        let out = OutputFile::check(&target, &[]).expect("check");
        write_atomic(&out, "{}\n").expect("write");
        assert!(!dead.exists(), "a dead writer's temporary file is left");
        assert!(
            live.exists(),
            "a running writer's temporary file was removed"
        );
        assert!(other.exists(), "another file's temporary file was removed");
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "{}\n");
    }

    #[test]
    fn a_symlink_is_followed_and_stays_a_link() {
        let dir = tempfile::tempdir().expect("dir");
        let real = dir.path().join("real.json");
        std::fs::write(&real, "old").expect("write");
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("real.json", &link).expect("symlink");
        let out = OutputFile::check(&link, &[]).expect("check");
        write_atomic(&out, "new").expect("write");
        assert!(std::fs::symlink_metadata(&link)
            .expect("meta")
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&real).expect("read"), "new");
    }
}
