//! Ownership and permissions of a SQLite store and its directory, checked as ssh checks its
//! keys: whoever can write the file or its directory can replace the store (its recipients,
//! its users) or plant files beside it (a `-wal` SQLite would replay).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The directory a store file lives in.
fn store_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    }
}

#[cfg(unix)]
fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Warnings about the store file at `path` and its directory: writable by group or others, or
/// owned by another user (not root, not the one running mfactl). Empty when all is well, when
/// the file does not exist, and off Unix.
pub fn warnings(path: &Path) -> Vec<String> {
    let mut out = Vec::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let me = euid();
        let dir = store_dir(path);
        for (what, p, fix) in [
            ("store file", path, "chmod 600"),
            ("store directory", dir.as_path(), "chmod go-w"),
        ] {
            // Follows a symlink: what matters is what SQLite opens.
            let Ok(m) = std::fs::metadata(p) else {
                continue;
            };
            let mode = m.mode() & 0o7777;
            if mode & 0o022 != 0 {
                out.push(format!(
                    "{what} {} is writable by {} (mode {mode:04o}): anyone who can write it can \
                     replace the store; run '{fix} {}'",
                    p.display(),
                    if mode & 0o002 != 0 {
                        "others"
                    } else {
                        "its group"
                    },
                    p.display()
                ));
            }
            if m.uid() != me && m.uid() != 0 {
                out.push(format!(
                    "{what} {} is owned by another user (uid {}), who can replace the store",
                    p.display(),
                    m.uid()
                ));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    out
}

/// Refuses to create a store at `path` when its directory exists and is world-writable without
/// the sticky bit: anyone could rename the store away and put their own in its place.
pub fn check_create(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let dir = store_dir(path);
        if let Ok(m) = std::fs::metadata(&dir) {
            let mode = m.mode() & 0o7777;
            if mode & 0o002 != 0 && mode & 0o1000 == 0 {
                return Err(Error::UnsafeLocation {
                    location: path.display().to_string(),
                    reason: format!(
                        "its directory {} is writable by everyone and has no sticky bit \
                         (mode {mode:04o}): anyone could replace the store",
                        dir.display()
                    ),
                });
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn modes_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        std::fs::write(&db, b"").unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        assert!(warnings(&db).is_empty(), "{:?}", warnings(&db));
        assert!(check_create(&db).is_ok());
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o620)).unwrap();
        assert_eq!(warnings(&db).len(), 1);
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        assert_eq!(warnings(&db).len(), 2);
        assert!(check_create(&db).is_err());
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
        assert!(check_create(&db).is_ok());
    }
}
