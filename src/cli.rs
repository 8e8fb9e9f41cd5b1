//! The command line, defined once: `--help`, the man pages and the shell completions are all
//! generated from these structs.

use std::path::PathBuf;

use clap::{Args, FromArgMatches, Parser, Subcommand, ValueEnum};

/// The environment variables mfactl reads: `--help` and the man page's ENVIRONMENT section.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "MFACTL_DB",
        "the store, a path or a postgres:// URL (same as --db)",
    ),
    (
        "PGPASSWORD",
        "the PostgreSQL password, when the URL has none",
    ),
    (
        "MFACTL_IDENTITY",
        "the age identity file (same as -i/--identity)",
    ),
    (
        "MFACTL_AGE_KEY",
        "the identity itself (AGE-SECRET-KEY-1...), for CI secret stores; wins over the file",
    ),
    (
        "MFACTL_PASSPHRASE",
        "passphrase of a passphrase-protected identity file, for scripts",
    ),
    (
        "MFACTL_ACTOR",
        "who is acting, for the audit log (same as --actor)",
    ),
    (
        "NO_COLOR",
        "disables colour when --color is auto (the default)",
    ),
    ("XDG_DATA_HOME", "where the default store lives (see Files)"),
    (
        "XDG_CONFIG_HOME",
        "where the default identity lives (see Files)",
    ),
];

/// The exit policy (see `exit_codes.rs`): `--help` and the man pages' EXIT STATUS section.
pub const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "success (verify: the code was accepted)"),
    ("1", "verify: the code was rejected"),
    (
        "2",
        "error: bad arguments or input, unknown user, missing store, identity that cannot \
         decrypt, ...",
    ),
];

/// The files mfactl uses by default: `--help` and the man page's FILES section.
pub const FILES: &[(&str, &str)] = &[
    (
        "$XDG_DATA_HOME/mfactl/mfactl.db",
        "the store when neither --db nor MFACTL_DB is given (~/.local/share/mfactl/mfactl.db)",
    ),
    (
        "$XDG_CONFIG_HOME/mfactl/identity.txt",
        "the age identity (mode 0600) when neither -i nor MFACTL_IDENTITY is given \
         (~/.config/mfactl/identity.txt); back it up",
    ),
];

/// Examples per command (`""` is mfactl itself, `"config set"` a nested one), as (what, command
/// line) pairs: the end of every `--help` and the man pages' EXAMPLES sections.
pub const EXAMPLES: &[(&str, &[(&str, &str)])] = &[
    (
        "",
        &[
            (
                "Enroll a user (creates the store on first use)",
                "mfactl enroll alice",
            ),
            (
                "Check a code in a script (stdin keeps it out of ps)",
                "printf '%s\\n' \"$CODE\" | mfactl verify --quiet alice",
            ),
            ("Who has what", "mfactl list"),
        ],
    ),
    (
        "init",
        &[
            (
                "A store encrypted to a new local identity",
                "mfactl init --issuer \"Acme Corp\"",
            ),
            (
                "Encrypt to keys you hold elsewhere (an escrow key too)",
                "mfactl init -r age1ops... -r age1escrow...",
            ),
        ],
    ),
    (
        "enroll",
        &[
            ("Print the secret and the QR code", "mfactl enroll alice"),
            (
                "On a terminal with a light background",
                "mfactl enroll alice --qr-invert",
            ),
            (
                "Also write the QR code to a file, without printing it",
                "mfactl enroll alice --no-qr --png alice.png",
            ),
            (
                "Replace the secret of a user who lost their phone",
                "mfactl enroll alice --force",
            ),
            (
                "Give a user a second token, for a backup device",
                "mfactl enroll alice --label backup",
            ),
            (
                "Enroll a remote user without seeing their secret (writes alice.mfa.age)",
                "mfactl enroll alice --seal-to \"$(cat alice_id_ed25519.pub)\"",
            ),
        ],
    ),
    (
        "show",
        &[
            ("One user at a glance, for a ticket", "mfactl show alice"),
            (
                "The same with the last 20 events, for a script",
                "mfactl show alice --events 20 --json",
            ),
        ],
    ),
    (
        "show-qr",
        &[
            ("The QR code of a pending user", "mfactl show-qr alice"),
            (
                "An enabled user's (their live secret)",
                "mfactl show-qr alice --force",
            ),
        ],
    ),
    (
        "verify",
        &[
            (
                "Prompt for the code (hidden) on a terminal",
                "mfactl verify alice",
            ),
            (
                "In a script: the code on stdin, the answer in the exit status",
                "printf '%s\\n' \"$CODE\" | mfactl verify --quiet alice",
            ),
            (
                "A one-time recovery code",
                "printf '%s\\n' \"$CODE\" | mfactl verify --recovery alice",
            ),
        ],
    ),
    (
        "resync",
        &[
            (
                "Prompt for two consecutive codes (hidden) on a terminal",
                "mfactl resync alice",
            ),
            (
                "In a script: both codes on stdin, on one line or two",
                "printf '%s %s\\n' \"$CODE1\" \"$CODE2\" | mfactl resync alice",
            ),
        ],
    ),
    (
        "disable",
        &[
            (
                "What would change, with nothing written",
                "mfactl disable alice --dry-run",
            ),
            (
                "Without a question, with a reason for the audit log",
                "mfactl disable alice --yes --reason \"ticket 4711: lost phone\"",
            ),
            (
                "Only the lost phone of a user who has other tokens",
                "mfactl disable alice --token phone --yes",
            ),
        ],
    ),
    (
        "list",
        &[
            ("Everyone", "mfactl list"),
            (
                "Enabled users idle for 90 days",
                "mfactl list --status enabled --unused-since 90d",
            ),
            ("Every column, in full", "mfactl list -o wide"),
            (
                "Who is locked out, for a script",
                "mfactl list --status locked --json",
            ),
            (
                "User names only, from the tab-separated form",
                "mfactl list --no-headers | cut -f1",
            ),
        ],
    ),
    (
        "unlock",
        &[("After too many wrong codes", "mfactl unlock alice")],
    ),
    (
        "config",
        &[
            ("Every setting", "mfactl config get"),
            (
                "The name authenticator apps show",
                "mfactl config set issuer \"Acme Corp\"",
            ),
        ],
    ),
    ("config get", &[("One setting", "mfactl config get skew")]),
    (
        "config set",
        &[
            (
                "Lock a user after 3 wrong codes",
                "mfactl config set max-failures 3",
            ),
            (
                "Accept only the current time step",
                "mfactl config set skew 0",
            ),
            (
                "Pending enrollments expire after 2 days",
                "mfactl config set pending-ttl 2d",
            ),
            (
                "Locks lift after 15 minutes, then 30, 1h, ... up to 24h",
                "mfactl config set lockout 15m",
            ),
            (
                "Follow (and resync) device clocks up to 10 minutes off (at 30 s)",
                "mfactl config set max-drift 20",
            ),
        ],
    ),
    (
        "log",
        &[
            ("One user's last day", "mfactl log alice --since 24h"),
            (
                "Rejected codes, newest 20",
                "mfactl log --event verify-rejected --limit 20",
            ),
            (
                "Check the hash chain against a head kept elsewhere",
                "mfactl log --verify --anchor \"$(cat audit-head.txt)\"",
            ),
            (
                "Ship events to a SIEM as JSON lines, resuming after a restart",
                "mfactl log --follow --json --since 2026-01-31T12:00:00Z | shipper",
            ),
        ],
    ),
    (
        "janitor",
        &[
            (
                "What a cleanup would do, with nothing changed",
                "mfactl janitor --disable-unused-since 90d --expire-pending",
            ),
            (
                "Nightly, from cron",
                "mfactl janitor --remove-disabled-older-than 52w --expire-pending --apply --yes",
            ),
        ],
    ),
    (
        "recovery-codes",
        &[(
            "Five codes for an enabled user",
            "mfactl recovery-codes alice --count 5",
        )],
    ),
    (
        "rekey",
        &[
            (
                "What a rekey would do, with nothing written",
                "mfactl rekey -r age1ops... --check-identity ops.key --dry-run",
            ),
            (
                "Move to a new identity file",
                "mfactl rekey --new-identity ~/.config/mfactl/new.txt --yes",
            ),
            (
                "Encrypt to keys kept elsewhere (no identity here holds them)",
                "mfactl rekey -r age1ops... -r age1escrow... --no-identity-check --yes",
            ),
        ],
    ),
    (
        "recipients",
        &[("The store's public keys", "mfactl recipients")],
    ),
    (
        "export",
        &[
            (
                "A backup of every secret, as CSV in a new 0600 file",
                "mfactl export --format csv --output secrets.csv --yes",
            ),
            (
                "Move every user to store B (its identity: B.key), no plaintext anywhere",
                "mfactl export --to \"$(age-keygen -y B.key)\" | mfactl --db B -i B.key import -",
            ),
        ],
    ),
    (
        "import",
        &[
            (
                "Check a file first, change nothing",
                "mfactl import users.txt --dry-run",
            ),
            (
                "CSV (user,uri) from stdin",
                "mfactl import --format csv - < users.csv",
            ),
            (
                "An export encrypted to another key (export --to)",
                "mfactl import --decrypt-with migration.key export.age",
            ),
        ],
    ),
    (
        "copy-store",
        &[(
            "Move the local file to a shared PostgreSQL database",
            "mfactl copy-store --to 'postgresql://mfactl@db/mfactl'",
        )],
    ),
    (
        "completions",
        &[(
            "Install fish completions for the current user",
            "mfactl completions fish > ~/.config/fish/completions/mfactl.fish",
        )],
    ),
];

/// The examples of the command at `path` (`""`, `"verify"`, `"config set"`).
pub fn examples(path: &str) -> &'static [(&'static str, &'static str)] {
    EXAMPLES
        .iter()
        .find(|(p, _)| *p == path)
        .map_or(&[], |(_, e)| *e)
}

/// `  NAME  text` rows, the text wrapped to fit 80 columns.
fn help_table(title: &str, rows: &[(&str, &str)]) -> String {
    const WIDTH: usize = 80;
    let name_width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    let mut out = format!("{title}:\n");
    for (name, text) in rows {
        let indent = if name_width + 4 > 30 {
            6
        } else {
            name_width + 4
        };
        let mut line = if indent == 6 {
            out.push_str(&format!("  {name}\n"));
            " ".repeat(indent)
        } else {
            format!("  {name:name_width$}  ")
        };
        let mut empty = true;
        for word in text.split_whitespace() {
            if !empty && line.len() + 1 + word.len() > WIDTH {
                out.push_str(line.trim_end());
                out.push('\n');
                line = " ".repeat(indent);
                empty = true;
            }
            if !empty {
                line.push(' ');
            }
            line.push_str(word);
            empty = false;
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The Examples section of `--help`.
fn examples_help(examples: &[(&str, &str)]) -> String {
    let mut out = String::from("Examples:\n");
    for (i, (what, line)) in examples.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("  # {what}\n  {line}\n"));
    }
    out
}

/// The process's command line parsed, with `color` for clap's own messages. Only help shows
/// the tails [`command`] adds to it (the examples, and mfactl's environment, exit status and
/// files), so the command line is parsed without them first, and again with them when the
/// outcome is help: writing them out for every subcommand was two fifths of the instructions
/// of a start-up (`--version`, callgrind).
pub fn matches(color: clap::ColorChoice) -> Result<clap::ArgMatches, clap::Error> {
    use clap::error::ErrorKind;
    match plain_command().color(color).try_get_matches() {
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) =>
        {
            command().color(color).try_get_matches()
        }
        parsed => parsed,
    }
}

/// [`Cli`] as clap's derive makes it, help fitting 80 columns, not built (the man pages and
/// completion scripts are generated from it).
pub fn plain_command() -> clap::Command {
    use clap::CommandFactory;
    // Help fits 80 columns, on a wider terminal too and when piped (clap's default is 100).
    Cli::command().max_term_width(80)
}

/// The command line as mfactl parses it: [`Cli`] with the Examples (and, for mfactl itself,
/// the environment, exit status and files) at the end of every `--help`; already built.
pub fn command() -> clap::Command {
    fn add(cmd: clap::Command, prefix: &str) -> clap::Command {
        let examples = examples(prefix);
        let examples = if examples.is_empty() {
            String::new()
        } else {
            examples_help(examples)
        };
        let mut cmd = cmd;
        if prefix.is_empty() {
            // mfactl itself: the tables only in --help; -h (and a bare `mfactl`) stays short.
            let long = [
                help_table("Environment", ENVIRONMENT),
                help_table("Exit status", EXIT_STATUS),
                help_table("Files", FILES),
                examples.clone(),
            ]
            .join("\n");
            cmd = cmd.after_long_help(long.trim_end().to_owned());
        }
        if !examples.is_empty() {
            cmd = cmd.after_help(examples.trim_end().to_owned());
        }
        // Each subcommand in place (`mut_subcommand` by name removes it from the list and
        // pushes it back: every other command shifted, for each of twenty, in every run).
        cmd.mut_subcommands(|s| {
            let path = if prefix.is_empty() {
                s.get_name().to_owned()
            } else {
                format!("{prefix} {}", s.get_name())
            };
            add(s, &path)
        })
    }
    // Built first: a deferred subcommand has its own subcommands (`config get`) only then.
    let mut root = plain_command();
    root.build();
    add(root, "")
}

/// Administer TOTP multi-factor authentication over an age-encrypted store (SQLite or PostgreSQL).
///
/// mfactl enrolls users (a secret and a pairing QR code), verifies the codes they type, disables
/// MFA when a phone is lost, and lists who has what. Every TOTP secret is encrypted with age;
/// enrolling needs only the store's public keys, anything that reads a secret needs the identity.
#[derive(Debug, Parser)]
#[command(
    name = "mfactl",
    version,
    arg_required_else_help = true,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

// Options valid on every subcommand, before it or after it ([`WithGlobals`]).
// (No doc comment: flattened into a subcommand, it would become that subcommand's about.)
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// The store: a file, or a postgres:// URL for a shared PostgreSQL database
    /// [default: $XDG_DATA_HOME/mfactl/mfactl.db]
    #[arg(
        long,
        env = "MFACTL_DB",
        hide_env_values = true,
        value_name = "PATH|URL"
    )]
    pub db: Option<std::ffi::OsString>,

    /// The age identity file (X25519, as age-keygen writes it)
    /// [default: $XDG_CONFIG_HOME/mfactl/identity.txt]
    #[arg(
        short = 'i',
        long,
        env = "MFACTL_IDENTITY",
        hide_env_values = true,
        value_name = "PATH"
    )]
    pub identity: Option<PathBuf>,

    /// Print exactly one JSON document on stdout (errors too, as {"error": {...}})
    #[arg(long)]
    pub json: bool,

    /// Who is acting, for the audit log [default: the OS user]
    #[arg(
        long,
        env = "MFACTL_ACTOR",
        hide_env_values = true,
        value_name = "NAME"
    )]
    pub actor: Option<String>,

    /// When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        default_value_t = ColorWhen::Auto
    )]
    pub color: ColorWhen,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    // Not doc comments: clap would list each value on a line of its own in `--help`.
    Auto,
    Always,
    Never,
}

/// The ids of [`GlobalArgs`]' options, for code that treats them apart (the man pages'
/// synopses, the hint for an option given to the wrong subcommand).
pub const GLOBAL_OPTIONS: [&str; 5] = ["db", "identity", "json", "actor", "color"];

/// Whether `arg` is one of [`GlobalArgs`]' options (on mfactl or on a subcommand).
pub fn is_global(arg: &clap::Arg) -> bool {
    GLOBAL_OPTIONS.contains(&arg.get_id().as_str())
}

impl GlobalArgs {
    /// These options, read at mfactl's level of `matches`, overridden by those given on the
    /// command line at a subcommand's level (after the subcommand, or after a subcommand of
    /// it): each is then as given last, else from its environment variable or default, which
    /// every level reads alike.
    fn merge_subcommand_levels(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        use clap::parser::ValueSource;
        let mut level = matches;
        while let Some((_, sub)) = level.subcommand() {
            level = sub;
            let given = |id: &str| {
                sub.try_get_raw(id).is_ok()
                    && sub.value_source(id) == Some(ValueSource::CommandLine)
            };
            if !GLOBAL_OPTIONS.iter().any(|id| given(id)) {
                continue;
            }
            let here = GlobalArgs::from_arg_matches(sub)?;
            if given("db") {
                self.db = here.db;
            }
            if given("identity") {
                self.identity = here.identity;
            }
            if given("json") {
                self.json = here.json;
            }
            if given("actor") {
                self.actor = here.actor;
            }
            if given("color") {
                self.color = here.color;
            }
        }
        Ok(())
    }
}

// A subcommand's arguments and the global options again: they are accepted after the
// subcommand too. They are not clap's `global` arguments, which clap copies into every one of
// the twenty subcommands whenever it parses a command line (a fifth of the heap pages of a
// start-up); this way only the subcommand being parsed builds them. [`Cli::from_matches`]
// merges the levels into [`Cli::global`].
// (No doc comment: flattened into a subcommand, it would become that subcommand's about.)
#[derive(Debug, Args)]
pub struct WithGlobals<T: Args> {
    #[command(flatten)]
    pub args: T,
    #[command(flatten)]
    pub global: GlobalArgs,
}

// A subcommand without arguments of its own.
#[derive(Debug, Args)]
pub struct NoArgs {}

// `config`: its subcommand (each with the global options again).
#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

// Each subcommand's arguments are built only when that subcommand is parsed (or help,
// completions or a man page walk the tree): a run builds one subcommand, not all twenty.
// A deferred build runs after the variant's own attributes, so an `Args` struct flattened
// into a subcommand must not carry a doc comment: clap would make it that subcommand's about.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Create a new store
    ///
    /// With no --recipient, the store encrypts to the identity file's key, and a new X25519
    /// identity is generated there (0600) if none exists. Back it up: without it no secret can
    /// be read again.
    Init(WithGlobals<InitArgs>),

    /// Enroll a user: a new secret, its QR code and otpauth URI
    ///
    /// The secret is stored age-encrypted with status pending; the user's first valid code
    /// (`mfactl verify`) enables MFA. On a terminal, mfactl offers to check a code right away.
    /// A missing store is created first, as `mfactl init` would.
    Enroll(WithGlobals<EnrollArgs>),

    /// Print a user's pairing QR code and otpauth URI again
    ShowQr(WithGlobals<ShowQrArgs>),

    /// Check a code; exit 0 if accepted, 1 if rejected, 2 on error
    ///
    /// Scripts should pass the code on stdin (`printf '%s\n' "$CODE" | mfactl verify alice`),
    /// where it never shows in `ps` or shell history. A code is accepted for the current time
    /// step or one either side (see `mfactl config`), once: a reused code is rejected as
    /// replayed. Too many wrong codes lock the user until `mfactl unlock`, or, with the lockout
    /// setting a duration, until the lock lifts by itself (verify says when).
    Verify(WithGlobals<VerifyArgs>),

    /// Resync a drifting token's clock from two consecutive codes
    ///
    /// For a device whose clock has drifted outside the window verify accepts (verify says
    /// so when a wrong code is the device's code for another time). Searches an hour either
    /// side of now for two consecutive time steps whose codes are CODE1 then CODE2, and
    /// records that offset as the token's drift: verify then centres its window there. The
    /// drift may not exceed the max-drift setting (see `mfactl config`); beyond it the resync
    /// is refused, and not counted as a failure: fix the device's clock, or raise max-drift.
    /// Two codes found nowhere count as a wrong code (they may lock the user). A resync is not
    /// a login: it does not confirm a pending user, reset the failure count, or count as use;
    /// the codes cannot be used again. Locked and disabled users are refused. Exit 0 when the
    /// drift was set, 1 if refused, 2 on error.
    Resync(WithGlobals<ResyncArgs>),

    /// Disable MFA for a user and erase their secret
    Disable(WithGlobals<DisableArgs>),

    /// List users and their MFA state (never secrets)
    ///
    /// On a terminal: aligned columns fitted to its width (-o wide for every column). Piped:
    /// tab-separated lines under a header line, for cut and awk.
    List(WithGlobals<ListArgs>),

    /// Show one user: status, lockout, parameters, recent events
    ///
    /// Never the secret nor its ciphertext.
    Show(WithGlobals<ShowArgs>),

    /// Clear a user's lockout and failure count
    ///
    /// Also resets the backoff of timed lockouts: the next lock is a first one again.
    Unlock(WithGlobals<UserArg>),

    /// Show or change the store's settings
    Config(WithGlobals<ConfigArgs>),

    /// Clean up unused, expired pending and old disabled users
    ///
    /// Prints the plan (who, what, why) and changes nothing unless --apply is given (and then
    /// --yes off a terminal). Applies it in one transaction, with one audit row per user.
    /// Removing a disabled user deletes their row; their audit history stays.
    Janitor(WithGlobals<JanitorArgs>),

    /// Show the audit log, newest first; verify or follow it
    ///
    /// Every audit row carries a SHA-256 hash over the row before it and its own content, so
    /// an edited, deleted, inserted or reordered row breaks the chain: `--verify` finds it.
    /// Keep the head (`--head`) where the store's writers cannot change it, and pass it back as
    /// `--anchor` to detect a truncated or wholly rewritten log too. `--follow` prints the
    /// matching events oldest first, then new ones as they are committed, until interrupted
    /// (`--json`: one JSON object a line); `--since` resumes after a stop.
    Log(WithGlobals<LogArgs>),

    /// Issue one-time recovery codes (replacing any earlier set)
    ///
    /// For an enabled user. The codes are shown once; the store keeps only their hashes.
    RecoveryCodes(WithGlobals<RecoveryCodesArgs>),

    /// Re-encrypt every secret to a new set of recipients
    Rekey(WithGlobals<RekeyArgs>),

    /// List the public keys the store encrypts secrets to
    Recipients(WithGlobals<NoArgs>),

    /// Export secrets as URIs, CSV or JSON, plain or age-encrypted
    ///
    /// Without --to the secrets are printed in plaintext (asked for confirmation on a
    /// terminal); with --to or -R the export is age-encrypted in memory.
    Export(WithGlobals<ExportArgs>),

    /// Import users from otpauth URIs, CSV, JSON or Authelia YAML
    ///
    /// JSON as export writes it; an age-encrypted export (export --to) is decrypted in memory.
    Import(WithGlobals<ImportArgs>),

    /// Copy the whole store into a new, empty file or database
    ///
    /// Copies users with their ciphertexts as they are (no identity needed), recipients,
    /// settings, recovery-code hashes and the audit log, in one transaction on the target, then
    /// counts the rows again there. This is how a store moves from a file to a shared
    /// PostgreSQL database, or back. A target that already holds a store is refused and left
    /// untouched.
    CopyStore(WithGlobals<CopyStoreArgs>),

    /// Print a shell completion script
    Completions(WithGlobals<CompletionsArgs>),

    /// Write man pages and completion scripts into a directory (for packagers)
    #[command(hide = true)]
    GenerateDocs(WithGlobals<GenerateDocsArgs>),

    /// Print the store's user names that start with PREFIX, one a line, for the completion
    /// scripts; prints nothing, and exits 0, on any error
    #[command(name = "__complete-users", hide = true)]
    CompleteUsers(WithGlobals<CompleteUsersArgs>),
}

#[derive(Debug, Args)]
pub struct CompleteUsersArgs {
    /// What the user has typed so far
    #[arg(allow_hyphen_values = true, default_value = "")]
    pub prefix: String,
}

#[derive(Debug, Args)]
pub struct CopyStoreArgs {
    /// The new store: a file path that does not exist yet, or a postgres:// URL of a database
    /// without mfactl's schema
    #[arg(long, value_name = "PATH|URL")]
    pub to: std::ffi::OsString,
}

#[derive(Debug, Args)]
pub struct UserArg {
    /// The user's name (1-255 bytes, no ':' or control characters)
    pub user: String,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Encrypt secrets to this age public key (age1...); repeat for several, e.g. an escrow key
    #[arg(short = 'r', long = "recipient", value_name = "AGE_RECIPIENT")]
    pub recipients: Vec<String>,

    /// Issuer shown in authenticator apps [default: mfactl]
    #[arg(long, value_name = "NAME")]
    pub issuer: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AlgorithmArg {
    Sha1,
    Sha256,
    Sha512,
}

#[derive(Debug, Args)]
pub struct QrFileArgs {
    /// Also write the QR code as a PNG image to FILE
    #[arg(long, value_name = "FILE")]
    pub png: Option<PathBuf>,

    /// Also write the QR code as an SVG image to FILE
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,

    /// Replace an existing --png/--svg file (a new file is made and renamed over it; a
    /// symbolic link is still refused)
    #[arg(long)]
    pub overwrite: bool,
}

#[derive(Debug, Args)]
pub struct EnrollArgs {
    /// The user's name (1-255 bytes, no ':', control or invisible characters; stored in NFC)
    pub user: String,

    /// Issuer shown in the app [default: the store's issuer setting]
    #[arg(long, value_name = "NAME")]
    pub issuer: Option<String>,

    /// HMAC algorithm [default: the store's algorithm setting, sha1]
    #[arg(long, value_enum)]
    pub algorithm: Option<AlgorithmArg>,

    /// Code length, 6-8 [default: the store's digits setting, 6]
    #[arg(long, value_name = "N")]
    pub digits: Option<u8>,

    /// Time step in seconds, 10-300 [default: the store's period setting, 30]
    #[arg(long, value_name = "SECONDS")]
    pub period: Option<u32>,

    /// The token's label, for a user with several (a phone, a backup device): 1-32 characters
    /// a-z, 0-9 and (not first) '.', '_', '-' [default: default]. Adds a token beside the
    /// user's others (at most the max-tokens setting that are not disabled)
    #[arg(long, value_name = "NAME")]
    pub label: Option<String>,

    /// Replace the secret of a user who is already pending or enabled (on a terminal,
    /// replacing an enabled user's asks you to type their name); with --label, only that
    /// token's
    #[arg(long)]
    pub force: bool,

    /// With --force: do not ask on a terminal before replacing an enabled user's secret
    #[arg(short, long)]
    pub yes: bool,

    /// Enroll a name that looks like an existing user's (e.g. `Alice` or a Cyrillic `аlice`
    /// next to `alice`): only when they really are different people
    #[arg(long)]
    pub allow_similar: bool,

    /// Print the QR code even when stdout is not a terminal
    #[arg(long, overrides_with = "no_qr")]
    pub qr: bool,

    /// Never print the QR code
    #[arg(long, overrides_with = "qr")]
    pub no_qr: bool,

    /// Draw the QR code for a light-background terminal (dark modules as blocks)
    #[arg(long)]
    pub qr_invert: bool,

    #[command(flatten)]
    pub files: QrFileArgs,

    #[command(flatten)]
    pub seal: SealArgs,
}

// `enroll --seal-to`: the pairing sealed to the user's own key, never shown to the operator.
// (Not a doc comment: clap would make it the about of the deferred `enroll`, see `Command`.)
#[derive(Debug, Args)]
#[group(id = "sealing", multiple = true, conflicts_with_all = ["qr", "qr_invert", "png", "svg"])]
pub struct SealArgs {
    /// Seal the pairing (QR code, URI, secret, how to confirm) to this public key instead of
    /// showing it: an age recipient (age1...) or an SSH public key line (ssh-ed25519,
    /// ssh-rsa); repeatable. The user opens the file with age -d -i ~/.ssh/id_ed25519 FILE
    #[arg(long = "seal-to", value_name = "RECIPIENT")]
    pub seal_to: Vec<String>,

    /// Seal to the public keys in FILE, one a line, as age -R reads them (# comments and empty
    /// lines skipped); repeatable
    #[arg(short = 'R', long = "seal-to-file", value_name = "FILE")]
    pub seal_to_file: Vec<PathBuf>,

    /// Where to write the sealed bundle ('-': stdout, refused on a terminal unless --armor)
    /// [default: USER.mfa.age in the current directory]
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Write the bundle ASCII-armored (-----BEGIN AGE ENCRYPTED FILE-----), for mail or chat
    #[arg(long)]
    pub armor: bool,

    /// What the bundle holds: text for a terminal (QR code, URI, secret) or a PNG of the QR
    /// code
    #[arg(long = "format", value_enum, value_name = "FORMAT")]
    pub bundle_format: Option<BundleFormatArg>,

    /// Replace an existing --out file (a new file is made and renamed over it)
    #[arg(long = "overwrite-out")]
    pub overwrite_out: bool,
}

impl SealArgs {
    /// Whether any recipient was given.
    pub fn is_set(&self) -> bool {
        !self.seal_to.is_empty() || !self.seal_to_file.is_empty()
    }
}

/// What a sealed pairing bundle holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BundleFormatArg {
    /// Text for a terminal: QR code, otpauth URI, secret, how to confirm
    Text,
    /// A PNG image of the QR code
    Png,
}

#[derive(Debug, Args)]
pub struct ShowQrArgs {
    /// The user's name
    pub user: String,

    /// Show the secret of an enabled user (it is live: anyone who scans it gets codes)
    #[arg(long)]
    pub force: bool,

    /// The token to show, for a user with several live ones [default: the only live one]
    #[arg(long, value_name = "LABEL")]
    pub token: Option<String>,

    /// Draw the QR code for a light-background terminal (dark modules as blocks)
    #[arg(long)]
    pub qr_invert: bool,

    #[command(flatten)]
    pub files: QrFileArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The user's name
    pub user: String,

    /// The code; omit it or pass '-' to read one line from stdin (preferred in scripts)
    pub code: Option<String>,

    /// The code is a one-time recovery code, not a TOTP code
    #[arg(long)]
    pub recovery: bool,

    /// Print nothing; the exit status is the answer
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ResyncArgs {
    /// The user's name
    pub user: String,

    /// A code from the user's device; omit both codes or pass '-' to read them from stdin
    /// (one line holding both, or one per line)
    #[arg(requires = "code2")]
    pub code1: Option<String>,

    /// The device's next code, after CODE1
    pub code2: Option<String>,

    /// The token to resync, for a user with several live ones [default: the only live one]
    #[arg(long, value_name = "LABEL")]
    pub token: Option<String>,

    /// Print nothing; the exit status is the answer
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct DisableArgs {
    /// The user's name
    pub user: String,

    /// Do not ask for confirmation (required when not on a terminal)
    #[arg(short, long)]
    pub yes: bool,

    /// Print what would change and change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Why, for the audit log (e.g. a ticket number)
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,

    /// Disable only the token with this label (a lost phone of a user who has others) and
    /// erase its secret; the user's last live token disables the user
    #[arg(long, value_name = "LABEL")]
    pub token: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StatusFilterArg {
    Pending,
    Enabled,
    Disabled,
    /// Locked out by too many failed verifications
    Locked,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only users in this state
    #[arg(long, value_enum)]
    pub status: Option<StatusFilterArg>,

    /// Only users not used for this long: enrolled before and never used, or last used before
    /// (90d, 2w, 24h)
    #[arg(long, value_name = "DURATION")]
    pub unused_since: Option<String>,

    /// Only pending users whose enrollment is older than this (7d)
    #[arg(long, value_name = "DURATION")]
    pub pending_older_than: Option<String>,

    /// Only users locked out by failed codes
    #[arg(long)]
    pub locked: bool,

    #[command(flatten)]
    pub table: TableArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    Wide,
}

// How `list` and `log` lay out their table (`--json` aside). (Not a doc comment: clap would
// make it the about of the deferred `list` and `log`, see `Command`.)
#[derive(Debug, Args)]
pub struct TableArgs {
    /// wide: every column, nothing cut short (lines may be wider than the terminal)
    #[arg(short = 'o', long = "output", value_enum, value_name = "FORMAT")]
    pub output: Option<TableFormat>,

    /// Print no header line
    #[arg(long)]
    pub no_headers: bool,
}

impl TableArgs {
    /// `-o wide` was given.
    pub fn wide(&self) -> bool {
        self.output == Some(TableFormat::Wide)
    }
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The user's name
    pub user: String,

    /// How many of the user's latest audit events to show
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub events: u32,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum ConfigCommand {
    /// Print one setting, or all of them
    Get {
        /// issuer, skew, max-failures, algorithm, digits, period, pending-ttl, max-tokens,
        /// lockout, lockout-max or max-drift
        #[arg(value_parser = setting_keys(), hide_possible_values = true)]
        key: Option<String>,
        #[command(flatten)]
        global: GlobalArgs,
    },
    /// Change a setting
    ///
    /// issuer: name shown in apps; skew: accepted steps either side of now (0-10, default 1);
    /// max-failures: failed codes before a lockout (1-100, default 5); algorithm, digits,
    /// period: defaults for new enrollments; pending-ttl: how long a pending enrollment can
    /// still be confirmed (90s, 30m, 24h, 7d, 2w; 0: forever; default 7d); max-tokens: tokens
    /// a user may have that are not disabled (1-100, default 5); lockout: how long a lockout
    /// lasts, manual (until unlock, the default) or a duration, doubled for each further lock
    /// before a success; lockout-max: the longest a timed lockout lasts (default 24h);
    /// max-drift: how many time steps a token's recorded clock drift may move its window
    /// (0-60, default 10).
    Set {
        /// The setting's name: issuer, skew, max-failures, algorithm, digits, period,
        /// pending-ttl, max-tokens, lockout, lockout-max or max-drift
        #[arg(value_parser = setting_keys(), hide_possible_values = true)]
        key: String,
        /// Its new value
        #[arg(allow_hyphen_values = true)]
        value: String,
        #[command(flatten)]
        global: GlobalArgs,
    },
}

/// The names `config get`/`config set` take (completed by the shells).
fn setting_keys() -> Offered {
    Offered(
        mfactl::settings::SettingKey::ALL
            .iter()
            .map(|k| k.as_str())
            .collect(),
    )
}

/// A string argument whose usual values the completion scripts offer, without clap refusing
/// others: the command checks the value itself, with its own error (`invalid_input`).
#[derive(Clone)]
pub struct Offered(Vec<&'static str>);

impl clap::builder::TypedValueParser for Offered {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            self.0.iter().map(|v| clap::builder::PossibleValue::new(*v)),
        ))
    }
}

#[derive(Debug, Args)]
pub struct JanitorArgs {
    /// Disable enabled users not used for this long (enrolled before and never used, or last
    /// used before): 90d
    #[arg(long, value_name = "DURATION")]
    pub disable_unused_since: Option<String>,

    /// Delete the rows of users disabled for longer than this (their audit history stays): 180d
    #[arg(long, value_name = "DURATION")]
    pub remove_disabled_older_than: Option<String>,

    /// Disable pending users whose enrollment is older than the pending-ttl setting (and such
    /// tokens beside a user's live ones)
    #[arg(long)]
    pub expire_pending: bool,

    /// Make the changes (without it, only the plan is printed)
    #[arg(long)]
    pub apply: bool,

    /// With --apply: do not ask for confirmation (required when not on a terminal)
    #[arg(short, long, requires = "apply")]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// Only this user's events
    pub user: Option<String>,

    /// Only events since this time: RFC 3339 (2026-01-31T12:00:00Z), a day (2026-01-31, from
    /// its start, UTC) or a duration ago (30m, 24h, 7d)
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,

    /// Only this event (enroll, verify-rejected, disable, ...)
    #[arg(
        long,
        value_name = "EVENT",
        value_parser = Offered(mfactl::audit::AuditEvent::ALL.iter().map(|e| e.as_str()).collect()),
        hide_possible_values = true
    )]
    pub event: Option<String>,

    /// At most N events
    #[arg(long, value_name = "N", conflicts_with = "follow")]
    pub limit: Option<u32>,

    /// Recompute the hash chain: exit 0 and print the head (ID:HASH) when intact, exit 1
    /// naming the first row that breaks it
    #[arg(long, conflicts_with_all = ["head", "follow", "user", "since", "event", "limit"])]
    pub verify: bool,

    /// With --verify: the head printed earlier (ID:HASH); that row must still be there with
    /// that hash, which detects a truncated or rewritten log
    #[arg(long, value_name = "ID:HASH", requires = "verify")]
    pub anchor: Option<String>,

    /// Print the chain's head (ID:HASH), to keep where the store's writers cannot change it
    #[arg(long, conflicts_with_all = ["follow", "user", "since", "event", "limit"])]
    pub head: bool,

    /// Print matching events oldest first, then new ones as they are committed, until
    /// interrupted (SIGINT, SIGTERM, closed pipe); with --json, one JSON object a line
    #[arg(short = 'f', long)]
    pub follow: bool,

    /// With --follow: how often to look for new events (default 1s)
    #[arg(long, value_name = "DURATION", requires = "follow")]
    pub interval: Option<String>,

    #[command(flatten)]
    pub table: TableArgs,
}

#[derive(Debug, Args)]
pub struct RecoveryCodesArgs {
    /// The user's name
    pub user: String,

    /// How many codes (1-100)
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub count: u32,

    /// Do not ask on a terminal before replacing the user's unused codes
    #[arg(short, long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct RekeyArgs {
    /// New recipient (age1...); repeat for several
    #[arg(short = 'r', long = "recipient", value_name = "AGE_RECIPIENT")]
    pub recipients: Vec<String>,

    /// Generate a new identity file at PATH and encrypt to its key (with any --recipient)
    #[arg(long, value_name = "PATH")]
    pub new_identity: Option<PathBuf>,

    /// An identity file whose key is among the new recipients, to prove the store stays
    /// readable (not needed with --new-identity, or when the current identity's key is kept)
    #[arg(long, value_name = "PATH", conflicts_with = "no_identity_check")]
    pub check_identity: Option<PathBuf>,

    /// Re-encrypt even though no identity at hand holds a new recipient's key (the new keys are
    /// kept elsewhere, e.g. offline)
    #[arg(long)]
    pub no_identity_check: bool,

    /// Do not ask for confirmation (required when not on a terminal)
    #[arg(short, long)]
    pub yes: bool,

    /// Check that every secret decrypts and print what would change; change nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// One otpauth:// URI per token, with its status and label as `status` and `token`
    /// parameters
    Uri,
    /// user,token,status,uri with a header line
    Csv,
    /// A JSON array of objects
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportStatus {
    Pending,
    Enabled,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Only users in this state [default: pending and enabled]
    #[arg(long, value_enum)]
    pub status: Option<ExportStatus>,

    /// Output format [default: uri; json with --json]
    #[arg(long, value_enum)]
    pub format: Option<ExportFormat>,

    /// Write the export to FILE (a new file, mode 0600) instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Replace FILE if it exists (never through a symbolic link)
    #[arg(long, requires = "output")]
    pub overwrite: bool,

    /// Do not ask for confirmation (required when not on a terminal; an export encrypted
    /// with --to asks nothing)
    #[arg(short, long)]
    pub yes: bool,

    /// Encrypt the export to this public key (age1... or an SSH public key line); repeatable.
    /// Binary age goes to -o FILE or a pipe, never to a terminal (use --armor)
    #[arg(long = "to", value_name = "RECIPIENT")]
    pub to: Vec<String>,

    /// Encrypt to the public keys in FILE, one a line, as age -R reads them; repeatable
    #[arg(short = 'R', long = "to-file", value_name = "FILE")]
    pub to_file: Vec<PathBuf>,

    /// With --to: write the encrypted export ASCII-armored
    #[arg(long)]
    pub armor: bool,
}

impl ExportArgs {
    /// Whether the export is encrypted (`--to`, `-R`).
    pub fn encrypted(&self) -> bool {
        !self.to.is_empty() || !self.to_file.is_empty()
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ImportFormat {
    /// One otpauth:// URI per line
    Uri,
    /// CSV with a `uri` column (and `user`, `status`), or Authelia's
    /// issuer,username,algorithm,digits,period,secret
    Csv,
    /// The array `export --format json` writes
    Json,
    /// Authelia's `storage user totp export` YAML (totp_configurations)
    Yaml,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to read, or '-' for stdin
    pub file: String,

    /// Input format
    #[arg(long, value_enum, default_value_t = ImportFormat::Uri)]
    pub format: ImportFormat,

    /// Status of every imported user [default: the status in the input (export writes it),
    /// else enabled: already paired elsewhere]
    #[arg(long, value_enum)]
    pub status: Option<ExportStatus>,

    /// Validate and report, change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Import names that look like existing users' or each other's
    #[arg(long)]
    pub allow_similar: bool,

    /// Accept legacy secrets shorter than 128 bits (at least 80); `list` flags those users
    #[arg(long)]
    pub allow_short_secrets: bool,

    /// Decrypt an age-encrypted input (export --to) with the identity in FILE rather than the
    /// store's (-i, MFACTL_IDENTITY, MFACTL_AGE_KEY); the age header is detected either way
    #[arg(long, value_name = "FILE")]
    pub decrypt_with: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct GenerateDocsArgs {
    /// Directory to write `man/` and `completions/` into
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out_dir: PathBuf,
}

impl Cli {
    /// The command line of a parse, the global options merged from every level they were
    /// given at ([`WithGlobals`]).
    pub fn from_matches(matches: &clap::ArgMatches) -> Result<Cli, clap::Error> {
        let mut cli = Cli::from_arg_matches(matches)?;
        cli.global.merge_subcommand_levels(matches)?;
        Ok(cli)
    }

    /// `--json` promises one JSON document on stdout: with a command or format that prints
    /// something else there (a shell script, CSV, URIs), it is a usage error, not ignored.
    pub fn check_json(&self) -> Result<(), clap::Error> {
        if !self.global.json {
            return Ok(());
        }
        let why = match &self.command {
            Command::Completions(_) => "completions prints a shell script",
            Command::GenerateDocs(_) => "generate-docs writes files and prints no JSON",
            Command::Export(WithGlobals { args: a, .. }) if a.output.is_none() && a.encrypted() => {
                "export --to prints an age file (use -o FILE)"
            }
            Command::Export(WithGlobals { args: a, .. }) if a.output.is_none() => match a.format {
                Some(ExportFormat::Uri) => "export --format uri prints URIs (use -o FILE)",
                Some(ExportFormat::Csv) => "export --format csv prints CSV (use -o FILE)",
                Some(ExportFormat::Json) | None => return Ok(()),
            },
            _ => return Ok(()),
        };
        Err(<Cli as clap::CommandFactory>::command().error(
            clap::error::ErrorKind::ArgumentConflict,
            format!("--json cannot be used here: {why}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        let matches = plain_command()
            .try_get_matches_from(std::iter::once("mfactl").chain(args.iter().copied()))
            .unwrap();
        Cli::from_matches(&matches).unwrap()
    }

    #[test]
    fn every_global_option_is_taken_after_the_subcommand_too() {
        let globals = [
            "--db", "d", "-i", "id", "--json", "--actor", "a", "--color", "never",
        ];
        let before: Vec<&str> = globals.iter().copied().chain(["unlock", "u"]).collect();
        let after: Vec<&str> = ["unlock", "u"].into_iter().chain(globals).collect();
        for args in [before, after] {
            let g = parse(&args).global;
            assert_eq!(g.db.as_deref(), Some("d".as_ref()), "{args:?}");
            assert_eq!(g.identity.as_deref(), Some("id".as_ref()), "{args:?}");
            assert!(g.json, "{args:?}");
            assert_eq!(g.actor.as_deref(), Some("a"), "{args:?}");
            assert_eq!(g.color, ColorWhen::Never, "{args:?}");
        }
        // Given at both levels, the subcommand's (the last) wins.
        let g = parse(&[
            "--actor", "a", "--color", "always", "unlock", "u", "--actor", "b",
        ])
        .global;
        assert_eq!(g.actor.as_deref(), Some("b"));
        assert_eq!(g.color, ColorWhen::Always);
    }
}
