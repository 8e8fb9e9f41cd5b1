//! Files mfactl writes for the operator (QR images, export output, identity files): created
//! new and private.
//!
//! Every such file is written to a temporary file in the target's directory (mode 0600,
//! whatever the umask), flushed to disk, then renamed into place: never through a symbolic
//! link, never over an existing file unless the caller asked to overwrite, and a file that
//! existed before is never removed. [`PendingFile`] splits the write from the rename, so a
//! command can write its files before a store transaction and put them in place only once it
//! has committed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Checks that `path` can be created (or, with `overwrite`, replaced) before anything is
/// written: its directory exists, and it is not there yet (or, with `overwrite`, it is a
/// regular file, not a symbolic link or a directory).
pub fn check_target(path: &Path, overwrite: bool) -> Result<()> {
    let dir = parent_dir(path);
    match fs::metadata(&dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(refused(
                path,
                format!("cannot be created: {} is not a directory", dir.display()),
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(refused(
                path,
                format!("cannot be created: no directory {}", dir.display()),
            ))
        }
        Err(e) => return Err(Error::io(format!("cannot write {}", path.display()), e)),
    }
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(format!("cannot write {}", path.display()), e)),
        Ok(m) if m.file_type().is_symlink() => Err(refused(
            path,
            "is a symbolic link; mfactl does not write through links: name a new file".into(),
        )),
        Ok(m) if !m.is_file() => Err(refused(path, "exists and is not a regular file".into())),
        Ok(_) if overwrite => Ok(()),
        Ok(_) => Err(refused(
            path,
            "already exists; pass --overwrite to replace it".into(),
        )),
    }
}

/// A file written to a temporary name beside its target, not yet in place. Dropping it
/// removes the temporary file and leaves the target as it was.
#[derive(Debug)]
pub struct PendingFile {
    tmp: tempfile::NamedTempFile,
    dest: PathBuf,
    overwrite: bool,
}

impl PendingFile {
    /// Checks the target ([`check_target`]), then writes `bytes` to a new temporary file in its
    /// directory with mode 0600 and flushes it to disk.
    pub fn write(path: &Path, bytes: &[u8], overwrite: bool) -> Result<Self> {
        check_target(path, overwrite)?;
        let dir = parent_dir(path);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ctx = || format!("cannot write {}", path.display());
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(|e| Error::io(ctx(), e))?;
        #[cfg(unix)]
        {
            // Exactly 0600, whatever the umask made of the temporary file's mode.
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(fs::Permissions::from_mode(0o600))
                .map_err(|e| Error::io(ctx(), e))?;
        }
        tmp.write_all(bytes)
            .and_then(|_| tmp.as_file().sync_all())
            .map_err(|e| Error::io(ctx(), e))?;
        Ok(PendingFile {
            tmp,
            dest: path.to_owned(),
            overwrite,
        })
    }

    /// The target path.
    pub fn path(&self) -> &Path {
        &self.dest
    }

    /// Renames the file into place. Without `overwrite`, fails if the target appeared
    /// meanwhile; with it, still refuses a symbolic link there. Returns the target path.
    pub fn commit(self) -> Result<PathBuf> {
        let PendingFile {
            tmp,
            dest,
            overwrite,
        } = self;
        let persisted = if overwrite {
            // Checked again just before the rename, which would replace a link (not write
            // through it) but still surprise whoever made it.
            check_target(&dest, true)?;
            tmp.persist(&dest).map(|_| ())
        } else {
            tmp.persist_noclobber(&dest).map(|_| ())
        };
        persisted.map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                refused(
                    &dest,
                    "already exists; pass --overwrite to replace it".into(),
                )
            } else {
                Error::io(format!("cannot write {}", dest.display()), e.error)
            }
        })?;
        if let Ok(d) = fs::File::open(parent_dir(&dest)) {
            // Makes the rename itself durable.
            let _ = d.sync_all();
        }
        Ok(dest)
    }
}

/// Writes `bytes` to `path` as a new private file ([`PendingFile::write`], then
/// [`PendingFile::commit`]).
pub fn write_private_new(path: &Path, bytes: &[u8], overwrite: bool) -> Result<PathBuf> {
    PendingFile::write(path, bytes, overwrite)?.commit()
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    }
}

fn refused(path: &Path, reason: String) -> Error {
    Error::invalid("output file", format!("{} {reason}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_pending_file_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("x.png");
        let pending = PendingFile::write(&target, b"data", false).unwrap();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        drop(pending);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
