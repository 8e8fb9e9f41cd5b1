//! Default locations, following the XDG base directory specification.

use std::env;
use std::path::PathBuf;

fn xdg_dir(var: &str, fallback: &str) -> PathBuf {
    // The spec says relative values are invalid and must be ignored.
    match env::var_os(var).map(PathBuf::from) {
        Some(p) if p.is_absolute() => p,
        _ => env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
            .join(fallback),
    }
}

/// `$XDG_DATA_HOME/mfactl/mfactl.db` (`~/.local/share/mfactl/mfactl.db`).
pub fn default_store() -> PathBuf {
    xdg_dir("XDG_DATA_HOME", ".local/share")
        .join("mfactl")
        .join("mfactl.db")
}

/// `$XDG_CONFIG_HOME/mfactl/identity.txt` (`~/.config/mfactl/identity.txt`).
pub fn default_identity() -> PathBuf {
    xdg_dir("XDG_CONFIG_HOME", ".config")
        .join("mfactl")
        .join("identity.txt")
}
