//! Writing files the user owns (catalogs, profiles): atomically, with a backup.

use std::path::{Path, PathBuf};

use crate::error::{io_message, Error, Result};

/// Write `text` to `path` atomically: a temporary file in the same directory, flushed to
/// disk, then renamed over the target, so a crash leaves either the old or the new file,
/// never half of one.
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    write_atomic_bytes(path, text.as_bytes())
}

/// [`write_atomic`] for bytes.
pub fn write_atomic_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| {
        Error::input(
            path,
            format!("cannot create a temporary file: {}", io_message(&e)),
        )
    })?;
    // A temporary file is created private (0600); give the result the permissions of the
    // file it replaces, or the usual 0644 for a new file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode() & 0o7777);
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode))
            .map_err(|e| Error::input(path, io_message(&e)))?;
    }
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| Error::input(path, io_message(&e)))?;
    tmp.persist(path)
        .map_err(|e| Error::input(path, io_message(&e.error)))?;
    Ok(())
}

/// The backup path of `path`: `path` with `.bak` appended.
pub fn backup_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".bak");
    PathBuf::from(s)
}

/// Replace `path` with `text`, keeping the previous contents in [`backup_path`] (itself
/// written atomically). Returns the backup path when there was a previous file.
pub fn replace_with_backup(path: &Path, text: &str) -> Result<Option<PathBuf>> {
    let backup = match std::fs::read(path) {
        Ok(old) => {
            let b = backup_path(path);
            let old = String::from_utf8_lossy(&old).into_owned();
            write_atomic(&b, &old)?;
            Some(b)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::input(path, io_message(&e))),
    };
    write_atomic(path, text)?;
    Ok(backup)
}

/// An exclusive lock on a file the user owns, held for a whole read–modify–write so that two
/// processes updating it at once cannot lose either update. The lock lives on a sidecar
/// `FILE.lock` (the file itself is replaced by rename, so it cannot carry the lock) and is
/// released when this value is dropped, or by the OS if the process dies.
#[derive(Debug)]
pub struct FileLock {
    _file: std::fs::File,
}

/// Wait for the exclusive lock of `path` (see [`FileLock`]).
pub fn lock(path: &Path) -> Result<FileLock> {
    let mut s = path.as_os_str().to_owned();
    s.push(".lock");
    let lock_path = PathBuf::from(s);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| {
            Error::input(
                &lock_path,
                format!("cannot open the lock file: {}", io_message(&e)),
            )
        })?;
    file.lock()
        .map_err(|e| Error::input(&lock_path, format!("cannot lock: {}", io_message(&e))))?;
    Ok(FileLock { _file: file })
}
