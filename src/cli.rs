//! The command line, defined once: `--help`, the man pages and the shell completions are all
//! generated from these structs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const ENVIRONMENT: &str = "\
Environment:
  MFACTL_DB          the store, a path or a postgres:// URL (same as --db)
  PGPASSWORD         the PostgreSQL password, when the URL has none
  MFACTL_IDENTITY    the age identity file (same as -i/--identity)
  MFACTL_AGE_KEY     the identity itself (AGE-SECRET-KEY-1...), for CI secret stores; wins over the file
  MFACTL_PASSPHRASE  passphrase of a passphrase-protected identity file, for scripts
  MFACTL_ACTOR       who is acting, for the audit log (same as --actor)
  NO_COLOR           disables colour

Exit status:
  0  success (verify: the code was accepted)
  1  verify: the code was rejected
  2  error: bad arguments or input, unknown user, missing store, identity that cannot decrypt, ...";

/// Administer TOTP multi-factor authentication over an age-encrypted store (SQLite or PostgreSQL).
///
/// mfactl enrolls users (a secret and a pairing QR code), verifies the codes they type, disables
/// MFA when a phone is lost, and lists who has what. Every TOTP secret is encrypted with age;
/// enrolling needs only the store's public keys, anything that reads a secret needs the identity.
#[derive(Debug, Parser)]
#[command(
    name = "mfactl",
    version,
    after_help = ENVIRONMENT,
    arg_required_else_help = true,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Options valid on every subcommand.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// The store: a file, or a postgres:// URL for a shared PostgreSQL database
    /// [default: $XDG_DATA_HOME/mfactl/mfactl.db]
    #[arg(
        long,
        global = true,
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
        global = true,
        env = "MFACTL_IDENTITY",
        hide_env_values = true,
        value_name = "PATH"
    )]
    pub identity: Option<PathBuf>,

    /// Print exactly one JSON document on stdout (errors too, as {"error": {...}})
    #[arg(long, global = true)]
    pub json: bool,

    /// Who is acting, for the audit log [default: the OS user]
    #[arg(
        long,
        global = true,
        env = "MFACTL_ACTOR",
        hide_env_values = true,
        value_name = "NAME"
    )]
    pub actor: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new store
    ///
    /// With no --recipient, the store encrypts to the identity file's key, and a new X25519
    /// identity is generated there (0600) if none exists. Back it up: without it no secret can
    /// be read again.
    Init(InitArgs),

    /// Enroll a user: a fresh secret, its pairing QR code and otpauth URI
    ///
    /// The secret is stored age-encrypted with status pending; the user's first valid code
    /// (`mfactl verify`) enables MFA. On a terminal, mfactl offers to check a code right away.
    /// A missing store is created first, as `mfactl init` would.
    Enroll(EnrollArgs),

    /// Print a user's pairing QR code and otpauth URI again
    ShowQr(ShowQrArgs),

    /// Check a code; exit 0 if accepted, 1 if rejected, 2 on error
    ///
    /// Scripts should pass the code on stdin (`printf '%s\n' "$CODE" | mfactl verify alice`),
    /// where it never shows in `ps` or shell history. A code is accepted for the current time
    /// step or one either side (see `mfactl config`), once: a reused code is rejected as
    /// replayed. Too many wrong codes lock the user until `mfactl unlock`.
    Verify(VerifyArgs),

    /// Disable MFA for a user and erase their secret
    Disable(DisableArgs),

    /// List users and their MFA state (never secrets)
    List(ListArgs),

    /// Clear a user's lockout and failure count
    Unlock(UserArg),

    /// Show or change the store's settings
    #[command(subcommand)]
    Config(ConfigCommand),

    /// Show the audit log, newest first
    Log(LogArgs),

    /// Issue one-time recovery codes for an enabled user (replaces any previous set)
    RecoveryCodes(RecoveryCodesArgs),

    /// Re-encrypt every secret to a new set of recipients
    Rekey(RekeyArgs),

    /// List the public keys the store encrypts secrets to
    Recipients,

    /// Export secrets as otpauth URIs, CSV or JSON (plaintext secrets!)
    Export(ExportArgs),

    /// Import users from otpauth URIs, CSV, export's JSON or Authelia's YAML
    Import(ImportArgs),

    /// Copy the whole store into a new, empty store (a file or a PostgreSQL database)
    ///
    /// Copies users with their ciphertexts as they are (no identity needed), recipients,
    /// settings, recovery-code hashes and the audit log, in one transaction on the target, then
    /// counts the rows again there. This is how a store moves from a file to a shared
    /// PostgreSQL database, or back. A target that already holds a store is refused and left
    /// untouched.
    CopyStore(CopyStoreArgs),

    /// Print a shell completion script
    Completions(CompletionsArgs),

    /// Write man pages and completion scripts into a directory (for packagers)
    #[command(hide = true)]
    GenerateDocs(GenerateDocsArgs),
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

    /// Replace the secret of a user who is already pending or enabled
    #[arg(long)]
    pub force: bool,

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

    #[command(flatten)]
    pub files: QrFileArgs,
}

#[derive(Debug, Args)]
pub struct ShowQrArgs {
    /// The user's name
    pub user: String,

    /// Show the secret of an enabled user (it is live: anyone who scans it gets codes)
    #[arg(long)]
    pub force: bool,

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
pub struct DisableArgs {
    /// The user's name
    pub user: String,

    /// Do not ask for confirmation (required when not on a terminal)
    #[arg(short, long)]
    pub yes: bool,

    /// Why, for the audit log (e.g. a ticket number)
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
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
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print one setting, or all of them
    Get {
        /// issuer, skew, max-failures, algorithm, digits or period
        key: Option<String>,
    },
    /// Change a setting
    ///
    /// issuer: name shown in apps; skew: accepted steps either side of now (0-10, default 1);
    /// max-failures: failed codes before a lockout (1-100, default 5); algorithm, digits,
    /// period: defaults for new enrollments.
    Set {
        /// The setting's name
        key: String,
        /// Its new value
        #[arg(allow_hyphen_values = true)]
        value: String,
    },
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// Only this user's events
    pub user: Option<String>,

    /// Only events since this time: RFC 3339 (2026-01-31T12:00:00Z) or a duration ago (30m, 24h, 7d)
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,

    /// Only this event (enroll, verify-rejected, disable, ...)
    #[arg(long, value_name = "EVENT")]
    pub event: Option<String>,

    /// At most N events
    #[arg(long, value_name = "N")]
    pub limit: Option<u32>,
}

#[derive(Debug, Args)]
pub struct RecoveryCodesArgs {
    /// The user's name
    pub user: String,

    /// How many codes (1-100)
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub count: u32,
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
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// One otpauth:// URI per line, with the user's status as a `status` parameter
    Uri,
    /// user,status,uri with a header line
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

    /// Do not ask for confirmation (required when not on a terminal)
    #[arg(short, long)]
    pub yes: bool,
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
    /// `--json` promises one JSON document on stdout: with a command or format that prints
    /// something else there (a shell script, CSV, URIs), it is a usage error, not ignored.
    pub fn check_json(&self) -> Result<(), clap::Error> {
        if !self.global.json {
            return Ok(());
        }
        let why = match &self.command {
            Command::Completions(_) => "completions prints a shell script",
            Command::GenerateDocs(_) => "generate-docs writes files and prints no JSON",
            Command::Export(a) if a.output.is_none() => match a.format {
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
