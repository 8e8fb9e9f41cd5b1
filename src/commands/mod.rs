//! One module per subcommand, wiring the library to the terminal. [`Context`] holds what they
//! share: the global options, the store and identity locations, output mode.

mod complete;
mod config;
mod copy_store;
mod disable;
mod docs;
mod enroll;
mod export;
mod import;
mod init;
mod janitor;
mod list;
mod log;
mod recovery_codes;
mod rekey;
mod resync;
mod show;
mod show_qr;
mod unlock;
mod verify;

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use mfactl::audit::Op;
use mfactl::secret_buf::SecretBuf;
use mfactl::store::{Location, Scrub, Store};
use mfactl::vault::{self, Identities, IdentitySource};
use mfactl::Mfa;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::cli::{Cli, Command, GlobalArgs};
use crate::exit_codes::ExitCode;
use crate::ui;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    // Completing never fails, never prompts, and needs no actor.
    if let Command::CompleteUsers(c) = &cli.command {
        return Ok(complete::users(&cli.global, &c.args));
    }
    // Everything but printing shell scripts may write an audit row naming the actor.
    let needs_actor = !matches!(
        cli.command,
        Command::Completions(_) | Command::GenerateDocs(_)
    );
    // "Did you mean ...?" names other users, so it is given to operators only, never on
    // `verify`: scripts run verify on names that come from a login form, and may pass its
    // stderr on to whoever typed the name; suggestions there would let anyone probing names
    // enumerate the users close to each guess. (verify's exit status already tells a known name
    // from an unknown one; its output adds no other user's name.)
    // `resync` takes codes from the same people: no suggestions there either.
    let suggest = !matches!(cli.command, Command::Verify(_) | Command::Resync(_));
    let ctx = Context::new(cli.global, needs_actor)?;
    let result = dispatch(&ctx, cli.command);
    match result {
        Err(e) if suggest => Err(with_suggestions(&ctx, e)),
        other => other,
    }
}

/// An [`mfactl::Error::UnknownUser`] with the existing names close to the one typed, for its
/// hint; any other error as it is. A store that cannot be read again just gets no suggestions.
fn with_suggestions(ctx: &Context, mut e: anyhow::Error) -> anyhow::Error {
    if let Some(mfactl::Error::UnknownUser { user, suggestions }) =
        e.downcast_mut::<mfactl::Error>()
    {
        let names = ctx
            .location()
            .ok()
            .and_then(|l| Store::open(&l).ok())
            .and_then(|mut store| store.user_names().ok());
        if let Some(names) = names {
            *suggestions = mfactl::names::suggestions(user, &names);
        }
    }
    e
}

fn dispatch(ctx: &Context, command: Command) -> Result<ExitCode> {
    match command {
        Command::Init(c) => init::run(ctx, c.args),
        Command::Enroll(c) => enroll::run(ctx, c.args),
        Command::ShowQr(c) => show_qr::run(ctx, c.args),
        Command::Verify(c) => verify::run(ctx, c.args),
        Command::Resync(c) => resync::run(ctx, c.args),
        Command::Disable(c) => disable::run(ctx, c.args),
        Command::List(c) => list::run(ctx, c.args),
        Command::Show(c) => show::run(ctx, c.args),
        Command::Unlock(c) => unlock::run(ctx, c.args),
        Command::Config(c) => config::run(ctx, c.args.command),
        Command::Janitor(c) => janitor::run(ctx, c.args),
        Command::Log(c) => log::run(ctx, c.args),
        Command::RecoveryCodes(c) => recovery_codes::run(ctx, c.args),
        Command::Rekey(c) => rekey::run(ctx, c.args),
        Command::Recipients(_) => rekey::list_recipients(ctx),
        Command::Export(c) => export::run(ctx, c.args),
        Command::Import(c) => import::run(ctx, c.args),
        Command::CopyStore(c) => copy_store::run(ctx, c.args),
        Command::Completions(c) => docs::completions(c.args),
        Command::GenerateDocs(c) => docs::generate(c.args),
        Command::CompleteUsers(c) => Ok(complete::users(&ctx.global, &c.args)),
    }
}

/// What every command shares.
pub struct Context {
    global: GlobalArgs,
    /// Who is acting, validated ([`mfactl::audit::validate_actor`]) when the command needs it.
    actor: String,
}

impl Context {
    fn new(global: GlobalArgs, needs_actor: bool) -> Result<Self> {
        let given = global.actor.clone().filter(|a| !a.trim().is_empty());
        let from = if given.is_some() {
            "--actor or MFACTL_ACTOR"
        } else {
            "the OS user ($USER, else the account name)"
        };
        let actor = given.or_else(os_user).unwrap_or_else(|| "unknown".into());
        let actor = if needs_actor {
            mfactl::audit::validate_actor(&actor).map_err(|e| match e {
                mfactl::Error::InvalidInput { what, reason } => mfactl::Error::InvalidInput {
                    what,
                    reason: format!("{reason} (from {from})"),
                },
                other => other,
            })?
        } else {
            actor
        };
        Ok(Context { global, actor })
    }

    /// `--json` was given.
    pub fn json(&self) -> bool {
        self.global.json
    }

    /// A person is at the terminal (prompts allowed); never with `--json`.
    pub fn interactive(&self) -> bool {
        !self.json() && ui::interactive()
    }

    /// Whether stdout is a terminal.
    pub fn stdout_is_terminal(&self) -> bool {
        std::io::stdout().is_terminal()
    }

    /// The store's location: `--db`/`MFACTL_DB` (a path or a PostgreSQL URL), else the
    /// default file.
    pub fn location(&self) -> Result<Location> {
        Ok(match &self.global.db {
            Some(db) => Location::parse(db)?,
            None => Location::file(mfactl::paths::default_store()),
        })
    }

    /// The identity file's path.
    pub fn identity_path(&self) -> PathBuf {
        self.global
            .identity
            .clone()
            .unwrap_or_else(mfactl::paths::default_identity)
    }

    /// Where the identity comes from: `MFACTL_AGE_KEY` wins over the file.
    pub fn identity_source(&self) -> IdentitySource {
        match std::env::var("MFACTL_AGE_KEY") {
            Ok(key) if !key.trim().is_empty() => IdentitySource::Env(Zeroizing::new(key)),
            _ => IdentitySource::File(self.identity_path()),
        }
    }

    /// Loads the identity, warning (like ssh) when its file is readable by others, and asking
    /// for the passphrase of a protected file once (MFACTL_PASSPHRASE for scripts).
    pub fn identities(&self) -> Result<Identities> {
        self.load_identities(self.identity_source())
    }

    /// Loads the identity at `source` (with the warnings and passphrase handling of
    /// [`Context::identities`]).
    pub fn load_identities(&self, source: IdentitySource) -> Result<Identities> {
        if let IdentitySource::File(path) = &source {
            if let Some(w) = vault::permission_warning(path) {
                ui::warn(&w);
            }
        }
        let interactive = self.interactive();
        let ids = Identities::load(&source, &mut || {
            if let Some(p) = vault::passphrase_from_env() {
                return Ok(p);
            }
            if !interactive {
                return Err(mfactl::Error::Identity {
                    source_name: source.describe(),
                    reason: "is passphrase-protected; set MFACTL_PASSPHRASE or run on a terminal"
                        .into(),
                });
            }
            let p =
                ui::read_hidden(&format!("Passphrase for {}", source.describe())).map_err(|e| {
                    mfactl::Error::Identity {
                        source_name: source.describe(),
                        reason: format!("cannot read the passphrase: {e:#}"),
                    }
                })?;
            Ok(p.as_str().to_owned().into())
        })?;
        Ok(ids)
    }

    /// Opens the existing store, warning on stderr (as ssh does for keys) when its file or
    /// directory is writable by others or owned by another user.
    pub fn open_store(&self) -> Result<Store> {
        let location = self.location()?;
        let store = Store::open(&location)?;
        self.warn_about_permissions(&location);
        Ok(store)
    }

    /// Warnings about the store file's ownership and permissions, on stderr.
    pub fn warn_about_permissions(&self, location: &Location) {
        for w in Store::permission_warnings(location) {
            ui::warn(&w);
        }
    }

    /// The library's facade over the existing store ([`Context::open_store`]), acting as
    /// [`Context::op`]'s actor, with no identity loaded yet.
    pub fn mfa(&self) -> Result<Mfa> {
        self.mfa_over(self.open_store()?)
    }

    /// The facade over `store`, acting as [`Context::op`]'s actor.
    pub fn mfa_over(&self, store: Store) -> Result<Mfa> {
        Ok(Mfa::from_store(store).with_actor(&self.actor)?)
    }

    /// Who is acting, for the audit log: `--actor`/`MFACTL_ACTOR`, else the OS user.
    pub fn op(&self) -> Op {
        Op::new(self.actor.clone())
    }

    /// Prints one JSON document on stdout.
    /// The buffer is zeroized afterwards: some documents carry secrets the operator asked for.
    pub fn print_json(&self, value: &impl Serialize) -> Result<()> {
        // A buffer that zeroizes every allocation it outgrows, not only its last one.
        let mut buf = SecretBuf::with_capacity(4096);
        serde_json::to_writer_pretty(&mut buf, value).context("cannot encode JSON output")?;
        buf.extend_from_slice(
            b"
",
        );
        crate::out::write(&buf)
    }
}

/// The OS user: `$USER` (`$LOGNAME`, `$USERNAME`), else the account name of the real uid in
/// the passwd file (on Linux; the passwd database elsewhere), else `uid:N`.
fn os_user() -> Option<String> {
    for var in ["USER", "LOGNAME", "USERNAME"] {
        if let Ok(v) = std::env::var(var) {
            if !v.is_empty() {
                return Some(v);
            }
        }
    }
    #[cfg(unix)]
    {
        // SAFETY: getuid cannot fail.
        let uid = unsafe { libc::getuid() };
        if let Some(name) = account_name(uid) {
            return Some(name);
        }
        return Some(format!("uid:{uid}"));
    }
    #[allow(unreachable_code)]
    None
}

/// The account name of `uid` in `/etc/passwd`, read directly. On Linux the binary is linked
/// statically (`.cargo/config.toml`), and a static glibc must not call NSS: `getpwuid` would
/// load the system's NSS modules, built for whatever glibc the system has. An account known
/// only to a directory service (LDAP, sssd) is not found, and the actor is then `uid:N`
/// (such logins set `$USER`, which comes first).
#[cfg(target_os = "linux")]
fn account_name(uid: u32) -> Option<String> {
    passwd_name(&std::fs::read_to_string("/etc/passwd").ok()?, uid)
}

/// The name of the first entry for `uid` in `passwd`, the text of a passwd(5) file: lines of
/// `name:password:uid:gid:gecos:home:shell`. NIS compat entries (`+`, `-`) and comments name
/// no account.
#[cfg(any(target_os = "linux", test))]
fn passwd_name(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let entry_uid = fields.nth(1)?;
        let named = !name.is_empty() && !name.starts_with(['+', '-', '#']);
        (named && entry_uid.parse::<u32>().ok()? == uid).then(|| name.to_owned())
    })
}

/// The passwd entry's name for `uid` (getpwuid_r, re-entrant; NSS as the system has it).
#[cfg(all(unix, not(target_os = "linux")))]
fn account_name(uid: libc::uid_t) -> Option<String> {
    let mut buf = vec![0u8; 1024];
    loop {
        // SAFETY: an all-zero passwd is a valid value for getpwuid_r to fill in.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call, and buf's length is passed with it.
        let rc = unsafe {
            libc::getpwuid_r(
                uid,
                &mut pwd,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut result,
            )
        };
        if rc == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 4, 0);
            continue;
        }
        if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        // SAFETY: on success pw_name points to a NUL-terminated string inside buf.
        let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
        return name
            .to_str()
            .ok()
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
    }
}

/// After a command that removed ciphertexts: whether their old copies are gone from the
/// store's files (`Some(true)`), still in the SQLite write-ahead log (`Some(false)`, with a
/// warning on stderr), or not the backend's to scrub at once (`None`: PostgreSQL, VACUUM).
pub fn report_scrub(store: &Store) -> Option<bool> {
    match store.last_scrub()? {
        Scrub::Done => Some(true),
        Scrub::Pending { reason } => {
            ui::warn(&format!(
                "the old ciphertext is not yet scrubbed from {}-wal: {reason}; the next mfactl \
                 command that runs after that connection closes scrubs it",
                store.location()
            ));
            Some(false)
        }
        Scrub::NotApplicable => None,
    }
}

/// The `--token LABEL` a command was given, validated; `None` without one.
pub fn parse_label(label: Option<&str>) -> Result<Option<mfactl::model::TokenLabel>> {
    Ok(label.map(str::parse).transpose()?)
}

/// One bounded line of `input` (not to EOF: a caller that keeps its end of the pipe open must
/// not hang us), at most `max` bytes, UTF-8 and not blank; `none` says what was expected.
/// Codes read from stdin go through here, so they never show in `ps` or shell history.
pub fn read_code_line(
    input: &mut impl std::io::BufRead,
    max: u64,
    none: &str,
) -> Result<Zeroizing<String>> {
    use std::io::{BufRead as _, Read as _};
    let mut buf = Zeroizing::new(Vec::with_capacity(usize::try_from(max).unwrap_or(0) + 1));
    input
        .by_ref()
        .take(max + 1)
        .read_until(b'\n', &mut buf)
        .map_err(|e| mfactl::Error::io("cannot read from stdin", e))?;
    let line_end = buf.iter().position(|&b| b == b'\n');
    if line_end.is_none() && buf.len() as u64 > max {
        return Err(mfactl::Error::invalid(
            "code",
            format!("stdin holds more than {max} bytes without a line break"),
        )
        .into());
    }
    let line = &buf[..line_end.unwrap_or(buf.len())];
    let text = std::str::from_utf8(line)
        .map_err(|_| mfactl::Error::invalid("code", "stdin is not UTF-8 text"))?;
    if text.trim().is_empty() {
        return Err(mfactl::Error::invalid("code", none).into());
    }
    Ok(Zeroizing::new(text.to_owned()))
}

/// Parses a user name argument.
pub fn parse_user(name: &str) -> Result<mfactl::model::UserName> {
    Ok(mfactl::model::UserName::parse(name)?)
}

/// What the operator types to confirm a destructive action.
pub enum Typed<'a> {
    /// The user's name (as stored; the typed name is compared after NFC normalisation).
    User(&'a mfactl::model::UserName),
    /// A fixed word, e.g. `rekey`.
    Word(&'a str),
}

impl Typed<'_> {
    fn describe(&self) -> String {
        match self {
            Typed::User(_) => "the user's name".to_owned(),
            Typed::Word(w) => format!("'{w}'"),
        }
    }

    fn accepts(&self, typed: &str) -> bool {
        match self {
            Typed::User(user) => {
                typed == user.as_str()
                    || mfactl::model::UserName::parse(typed).is_ok_and(|t| t == **user)
            }
            Typed::Word(w) => typed == *w,
        }
    }
}

/// Asks before something destructive: `--yes` skips the question; without a terminal (or
/// with `--json`) and without `--yes`, refuses. On a terminal the operator types the user's
/// name (or the word) to go on.
pub fn confirm_typed_or_refuse(
    ctx: &Context,
    yes: bool,
    explanation: &str,
    typed: Typed<'_>,
    what: &str,
) -> Result<()> {
    if yes {
        return Ok(());
    }
    require_terminal(ctx, what)?;
    ask(explanation, &typed, what)
}

/// Asks on a terminal only (not with `--json` or `--yes`): for actions that scripts have
/// always been able to take by their flag alone (`enroll --force`, a new set of recovery
/// codes), but that a person should not take by accident.
pub fn confirm_on_terminal(
    ctx: &Context,
    yes: bool,
    explanation: &str,
    typed: Typed<'_>,
    what: &str,
) -> Result<()> {
    if yes || !ctx.interactive() {
        return Ok(());
    }
    ask(explanation, &typed, what)
}

/// Asks a yes/no question before something that needs consent: `--yes` skips the question;
/// without a terminal and without `--yes`, refuses.
pub fn confirm_or_refuse(ctx: &Context, yes: bool, question: &str, what: &str) -> Result<()> {
    if yes {
        return Ok(());
    }
    require_terminal(ctx, what)?;
    confirmed(ui::confirm(question)?, what)
}

fn ask(explanation: &str, typed: &Typed<'_>, what: &str) -> Result<()> {
    let yes = ui::confirm_typed(explanation, &typed.describe(), &|t| typed.accepts(t))?;
    confirmed(yes, what)
}

/// Without a terminal there is no one to ask: `what` is refused.
fn require_terminal(ctx: &Context, what: &str) -> Result<()> {
    if ctx.interactive() {
        Ok(())
    } else {
        Err(mfactl::Error::ConfirmationRequired {
            message: format!("{what} needs confirmation, and there is no terminal to ask on"),
        }
        .into())
    }
}

/// The operator's answer: `what` goes on, or is aborted with nothing changed.
fn confirmed(yes: bool, what: &str) -> Result<()> {
    if yes {
        Ok(())
    } else {
        Err(mfactl::Error::Aborted {
            message: format!("{what} was not confirmed; nothing changed"),
        }
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::passwd_name;

    #[test]
    fn the_passwd_file_names_the_first_account_of_a_uid() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n\
                      +nis::1000:1000:::\n\
                      #old:x:1000:1000::/home/old:/bin/sh\n\
                      :x:1000:1000::/:/bin/sh\n\
                      alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n\
                      alias:x:1000:1000::/home/alice:/bin/bash\n\
                      broken:x\n\
                      bob:x:10001:100::/home/bob:/bin/sh";
        assert_eq!(passwd_name(passwd, 0).as_deref(), Some("root"));
        assert_eq!(passwd_name(passwd, 1000).as_deref(), Some("alice"));
        assert_eq!(passwd_name(passwd, 10001).as_deref(), Some("bob"));
        // 100 is bob's gid, not a uid; 1 is nobody's.
        assert_eq!(passwd_name(passwd, 100), None);
        assert_eq!(passwd_name(passwd, 1), None);
        assert_eq!(passwd_name("", 0), None);
    }
}
