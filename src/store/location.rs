//! Where a store lives: a SQLite file path, or a PostgreSQL URL.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::Result;

#[cfg(feature = "postgres")]
use super::pg_conn::PgLocation;

/// A store's location, as given with `--db` / `MFACTL_DB`. Displayed with any password masked.
#[derive(Clone)]
pub struct Location {
    kind: Kind,
    display: String,
}

#[derive(Clone)]
pub(crate) enum Kind {
    File(PathBuf),
    #[cfg(feature = "postgres")]
    Postgres(PgLocation),
}

/// Whether `s` names a PostgreSQL store (postgres:// or postgresql://, case-insensitive scheme).
pub(crate) fn is_url(s: &str) -> bool {
    strip_scheme(s).is_some()
}

/// What follows `postgres://` or `postgresql://`, if `s` starts with either.
pub(crate) fn strip_scheme(s: &str) -> Option<&str> {
    ["postgresql://", "postgres://"].iter().find_map(|scheme| {
        let head = s.get(..scheme.len())?;
        head.eq_ignore_ascii_case(scheme)
            .then(|| &s[scheme.len()..])
    })
}

impl Location {
    /// A file path, or a `postgres://` / `postgresql://` URL in libpq's syntax.
    pub fn parse(text: &std::ffi::OsStr) -> Result<Location> {
        match text.to_str() {
            Some(s) if is_url(s) => Self::parse_url(s),
            _ => Ok(Self::file(PathBuf::from(text))),
        }
    }

    /// A SQLite store file.
    pub fn file(path: impl Into<PathBuf>) -> Location {
        let path = path.into();
        Location {
            display: path.display().to_string(),
            kind: Kind::File(path),
        }
    }

    #[cfg(feature = "postgres")]
    fn parse_url(url: &str) -> Result<Location> {
        let pg = PgLocation::parse(url)?;
        Ok(Location {
            display: pg.display().to_owned(),
            kind: Kind::Postgres(pg),
        })
    }

    #[cfg(not(feature = "postgres"))]
    fn parse_url(_url: &str) -> Result<Location> {
        Err(crate::Error::invalid(
            "store",
            "this mfactl was built without PostgreSQL support (cargo feature \"postgres\")",
        ))
    }

    /// The file's path, for a SQLite store.
    pub fn as_path(&self) -> Option<&Path> {
        match &self.kind {
            Kind::File(p) => Some(p),
            #[cfg(feature = "postgres")]
            Kind::Postgres(_) => None,
        }
    }

    /// Whether this is a database server rather than a file.
    pub fn is_server(&self) -> bool {
        self.as_path().is_none()
    }

    pub(crate) fn kind(&self) -> &Kind {
        &self.kind
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Location({:?})", self.display)
    }
}
