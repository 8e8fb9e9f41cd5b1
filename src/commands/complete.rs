//! `mfactl __complete-users PREFIX` (hidden): the user names the completion scripts offer.
//! Completing must be instant and silent: any failure (no store, a store that cannot be
//! opened, a PostgreSQL server that does not answer within a second) prints nothing and exits
//! 0, and nothing here prompts or reads an identity. Names are not secret; nothing else is
//! printed.

use std::io::Write;

use mfactl::model::UserFilter;
use mfactl::store::{Location, Store};

use crate::cli::{CompleteUsersArgs, GlobalArgs};
use crate::exit_codes::ExitCode;

/// How long a completion waits for a PostgreSQL server, unless the URL says otherwise.
const CONNECT_TIMEOUT: &str = "connect_timeout=1";

pub fn users(global: &GlobalArgs, args: &CompleteUsersArgs) -> ExitCode {
    if let Some(names) = names(global, &args.prefix) {
        let mut out = std::io::stdout().lock();
        for name in names {
            if writeln!(out, "{name}").is_err() {
                break;
            }
        }
    }
    ExitCode::Success
}

fn names(global: &GlobalArgs, prefix: &str) -> Option<Vec<String>> {
    let location = match &global.db {
        Some(db) => {
            let mut db = db.to_str()?.to_owned();
            let is_url = db.starts_with("postgres://") || db.starts_with("postgresql://");
            if is_url && !db.contains("connect_timeout=") {
                db.push(if db.contains('?') { '&' } else { '?' });
                db.push_str(CONNECT_TIMEOUT);
            }
            Location::parse(db.as_ref()).ok()?
        }
        None => Location::file(mfactl::paths::default_store()),
    };
    // A missing file is not created, nor reported.
    if location.as_path().is_some_and(|p| !p.exists()) {
        return None;
    }
    let mut store = Store::open(&location).ok()?;
    let users = store.users(UserFilter::All).ok()?;
    Some(
        users
            .into_iter()
            .map(|u| u.user.as_str().to_owned())
            // Names stored by an older mfactl may hold characters a shell line should not.
            .filter(|n| n.starts_with(prefix) && mfactl::names::display_safe(n) == n.as_str())
            .collect(),
    )
}
