//! PostgreSQL store locations: parsing a libpq-style URL and connecting to the server it names.
//!
//! The URL is parsed here rather than by rust-postgres, which knows neither `sslrootcert` nor
//! `verify-ca`/`verify-full`, nor `PGPASSWORD`. It is not parsed with the `url` crate either: that
//! follows the WHATWG rules, which refuse an empty host after credentials
//! (`postgresql://bob@/db?host=/run/postgresql`, the usual Unix-socket form) and a port without a
//! host (`postgresql://:5433/db`), both valid for libpq. The grammar is libpq's:
//!
//! ```text
//! postgres[ql]://[user[:password]@][host][:port][/dbname][?param=value&...]
//! ```
//!
//! Every error message built here is free of the password: parse errors never echo any part of
//! the URL but parameter names, and connection errors are masked once more before leaving.

// Nothing calls this module yet: the PostgreSQL backend that will is being written alongside.
// Remove once it does.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use zeroize::Zeroizing;

use super::location::strip_scheme;
use crate::error::{Error, Result};

/// What [`crate::Error::InvalidInput`] names for every parse error.
const WHAT: &str = "store URL";
/// Port used when the URL gives none (libpq's default).
const DEFAULT_PORT: u16 = 5432;
/// How long to wait for the server when the URL has no `connect_timeout`.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Shown in `pg_stat_activity` unless the URL says otherwise.
const DEFAULT_APPLICATION_NAME: &str = "mfactl";
/// Replaces the password wherever it would appear.
const MASK: &str = "***";

/// Where the server listens.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Host {
    /// A host name or IP address (IPv6 without brackets).
    Tcp(String),
    /// A directory holding the server's Unix socket.
    Socket(PathBuf),
}

/// The `sslmode` parameter, with libpq's meanings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SslMode {
    /// Plain connection.
    Disable,
    /// TLS if the server offers it, unverified; plain otherwise.
    Prefer,
    /// TLS, certificate not verified.
    Require,
    /// TLS, certificate chain verified, host name not checked.
    VerifyCa,
    /// TLS, certificate chain and host name verified.
    VerifyFull,
}

impl SslMode {
    /// Parses the parameter's value.
    fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }
}

/// How the TLS connector is set up, once `sslmode`, `sslrootcert` and the host kind are combined.
#[derive(Clone, Debug, PartialEq, Eq)]
enum TlsPlan {
    /// No TLS at all (sslmode=disable, or a Unix socket).
    Off,
    /// TLS without any verification; `required` false falls back to plain when the server has
    /// no TLS.
    Unverified {
        /// Whether a server without TLS is refused.
        required: bool,
    },
    /// TLS, verified against `roots` (the system's when `None`); the host name is checked when
    /// `check_hostname`.
    Verified {
        /// A PEM file of trusted CAs replacing the system's, when given.
        roots: Option<PathBuf>,
        /// Whether the certificate must name the host.
        check_hostname: bool,
    },
}

/// A parsed PostgreSQL store URL: everything needed to connect, and a masked form for display.
#[derive(Clone)]
pub(crate) struct PgLocation {
    /// The URL as given, with any password replaced by `***`.
    display: String,
    /// Where the server listens.
    host: Host,
    /// Its port (also names the socket file for [`Host::Socket`]).
    port: u16,
    /// Role to log in as.
    user: String,
    /// Password from the URL, else from `PGPASSWORD`.
    password: Option<Zeroizing<Vec<u8>>>,
    /// Password texts to mask in messages: as typed in the URL and as decoded.
    secrets: Vec<Zeroizing<String>>,
    /// Database name.
    dbname: String,
    /// `sslmode` as given (or `prefer`).
    sslmode: SslMode,
    /// `sslrootcert` as given.
    sslrootcert: Option<PathBuf>,
    /// `None` waits forever (`connect_timeout=0`).
    connect_timeout: Option<Duration>,
    /// Reported to the server.
    application_name: String,
}

/// How a connection attempt on the helper thread failed.
enum Failure {
    /// The host name has no address (the reason, in one line).
    Lookup(String),
    /// rust-postgres's error, told apart by [`PgLocation::describe`].
    Connect(postgres::Error),
}

/// The addresses of a server's host name, looked up by hickory (the hosts file, then the name
/// servers and search domains of `/etc/resolv.conf`), never by glibc's `getaddrinfo`: the
/// binary is linked statically (`.cargo/static-pie-linker`), and a static glibc binary must not
/// load NSS modules, which may not match the glibc it was linked with. An IP address is its
/// own answer; `localhost` is the loopback addresses without a lookup.
fn resolve(host: &str) -> std::result::Result<Vec<std::net::IpAddr>, String> {
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok(vec![ip]);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a lookup: {e}"))?;
    runtime.block_on(async {
        let mut builder = hickory_resolver::Resolver::builder_tokio()
            .map_err(|e| format!("cannot read /etc/resolv.conf: {e}"))?;
        // Every address of both families, to try in turn as libpq does (the default stops at
        // the IPv4 ones).
        builder.options_mut().ip_strategy = hickory_resolver::config::LookupIpStrategy::Ipv4AndIpv6;
        let resolver = builder.build();
        let found = resolver.lookup_ip(host).await.map_err(|e| {
            // NXDOMAIN and a name without an address alike (hickory counts the first among
            // the second).
            if e.is_no_records_found() {
                "not in /etc/hosts, and the name servers of /etc/resolv.conf know no address for it"
                    .to_owned()
            } else {
                e.to_string()
            }
        })?;
        Ok(found.iter().collect())
    })
}

/// Connects to the first of `addrs` (the host name's addresses, in the resolver's order) that
/// accepts a connection, as libpq does: an address that cannot be reached is passed over, but
/// a server that answers ends the attempt, whatever it answers (a refused login is not retried
/// elsewhere). When none can be reached, the first address's error is the one reported.
fn connect_to_each(
    config: &postgres::Config,
    addrs: &[std::net::IpAddr],
    connect: impl Fn(&postgres::Config) -> std::result::Result<postgres::Client, postgres::Error>,
) -> std::result::Result<postgres::Client, Failure> {
    let mut unreachable = None;
    for addr in addrs {
        // The host name stays in the configuration: TLS verifies the certificate against it.
        let mut config = config.clone();
        config.hostaddr(*addr);
        match connect(&config) {
            Ok(client) => return Ok(client),
            // rust-postgres's text for a failure to open the socket (see `describe`).
            Err(e) if e.to_string().starts_with("error connecting to server") => {
                unreachable.get_or_insert(e);
            }
            Err(e) => return Err(Failure::Connect(e)),
        }
    }
    Err(match unreachable {
        Some(e) => Failure::Connect(e),
        None => Failure::Lookup("it has no address".to_owned()),
    })
}

/// What the environment contributes to a URL: passed in so that tests need not touch env vars.
struct Defaults {
    /// The OS user name (`USER`, else `LOGNAME`): libpq's default role.
    os_user: Option<String>,
    /// `PGPASSWORD`.
    pgpassword: Option<Zeroizing<Vec<u8>>>,
    /// Socket directory used when the URL names no host.
    socket_dir: PathBuf,
}

impl Defaults {
    /// Reads the process environment. No NSS lookups (a static binary must not make any): the
    /// user name comes from the environment only.
    fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let pgpassword = std::env::var_os("PGPASSWORD")
            .filter(|v| !v.is_empty())
            .map(|v| Zeroizing::new(os_bytes(v)));
        // libpq's compiled-in socket directory: /run/postgresql on Debian-like systems (also
        // Fedora, Alpine), /tmp for upstream builds.
        let socket_dir = if Path::new("/run/postgresql").is_dir() {
            "/run/postgresql"
        } else {
            "/tmp"
        };
        Defaults {
            os_user: var("USER").or_else(|| var("LOGNAME")),
            pgpassword,
            socket_dir: PathBuf::from(socket_dir),
        }
    }
}

/// The bytes of an environment value (a password need not be UTF-8).
fn os_bytes(v: std::ffi::OsString) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        v.into_vec()
    }
    #[cfg(not(unix))]
    {
        v.to_string_lossy().into_owned().into_bytes()
    }
}

/// Shorthand for a parse error.
fn invalid(reason: impl Into<String>) -> Error {
    Error::invalid(WHAT, reason)
}

/// Decodes `%XX` escapes (and nothing else: unlike form encoding, `+` stays `+`, as in libpq).
/// `part` names what is decoded, for the error; the text itself is never echoed.
fn percent_decode(s: &str, part: &str) -> Result<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| invalid(format!("bad percent-encoding in the {part}")))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

/// [`percent_decode`] for parts that must be text.
fn percent_decode_str(s: &str, part: &str) -> Result<String> {
    String::from_utf8(percent_decode(s, part)?)
        .map_err(|_| invalid(format!("the {part} is not valid UTF-8 once decoded")))
}

/// Parses a port number (1..=65535). The text is not echoed: a badly encoded URL can put part
/// of a password where the port is expected.
fn parse_port(s: &str) -> Result<u16> {
    match s.parse::<u16>() {
        Ok(p) if p != 0 && s.bytes().all(|b| b.is_ascii_digit()) => Ok(p),
        _ => Err(invalid("the port must be a number from 1 to 65535")),
    }
}

/// Turns a decoded host text into a [`Host`]: a leading `/` means a socket directory.
fn parse_host(text: String) -> Result<Option<Host>> {
    if text.is_empty() {
        Ok(None)
    } else if text.starts_with('/') {
        Ok(Some(Host::Socket(PathBuf::from(text))))
    } else if text.contains(',') {
        Err(invalid("multiple hosts are not supported"))
    } else {
        Ok(Some(Host::Tcp(text)))
    }
}

impl PgLocation {
    /// Parses the URL. Errors: crate::Error::InvalidInput { what: "store URL", reason } — the
    /// reason never contains the password, nor any part of the URL but parameter names.
    ///
    /// Reads the environment as libpq would, for what the URL leaves out: the role defaults to
    /// `USER` (else `LOGNAME`), the password to `PGPASSWORD`. No other `PG*` variable is used.
    /// Touches no file: `sslrootcert` is read by [`PgLocation::connect`].
    pub(crate) fn parse(url: &str) -> Result<Self> {
        Self::parse_with(url, Defaults::from_env())
    }

    /// [`PgLocation::parse`] with the environment's contribution given explicitly.
    fn parse_with(url: &str, defaults: Defaults) -> Result<Self> {
        let rest = strip_scheme(url)
            .ok_or_else(|| invalid("a PostgreSQL URL starts with postgresql:// or postgres://"))?;
        // Control characters would end up in messages and audit rows; libpq refuses most too.
        if url.chars().any(char::is_control) {
            return Err(invalid("the URL contains control characters"));
        }
        let scheme_len = url.len() - rest.len();

        // Byte ranges of password texts in `url`, masked in the display form.
        let mut masked: Vec<std::ops::Range<usize>> = Vec::new();
        let mut secrets: Vec<Zeroizing<String>> = Vec::new();
        let mut user = String::new();
        let mut password: Option<Zeroizing<Vec<u8>>> = None;

        // Credentials end at the first '@' before any '/', as in libpq.
        let mut authority_start = 0;
        if let Some(at) = rest
            .find(['@', '/'])
            .filter(|&i| rest.as_bytes()[i] == b'@')
        {
            let userinfo = &rest[..at];
            let (user_text, pw_text) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            user = percent_decode_str(user_text, "user name")?;
            if let Some(p) = pw_text.filter(|p| !p.is_empty()) {
                let start = scheme_len + user_text.len() + 1;
                masked.push(start..start + p.len());
                secrets.push(Zeroizing::new(p.to_owned()));
                password = Some(Zeroizing::new(percent_decode(p, "password")?));
            }
            authority_start = at + 1;
        }

        let after_userinfo = &rest[authority_start..];
        let host_end = after_userinfo
            .find(['/', '?'])
            .unwrap_or(after_userinfo.len());
        let hostport = &after_userinfo[..host_end];
        let tail = &after_userinfo[host_end..];

        let (host_text, port_text) = if let Some(inner) = hostport.strip_prefix('[') {
            let (addr, after) = inner
                .split_once(']')
                .ok_or_else(|| invalid("an IPv6 address in brackets has no closing ']'"))?;
            if addr.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(invalid("bad IPv6 address in brackets"));
            }
            let port = match after {
                "" => None,
                p => Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| invalid("unexpected text after the IPv6 address"))?,
                ),
            };
            (addr.to_owned(), port)
        } else {
            match hostport.split_once(':') {
                Some((h, p)) => (percent_decode_str(h, "host")?, Some(p)),
                None => (percent_decode_str(hostport, "host")?, None),
            }
        };
        let mut host = parse_host(host_text)?;
        let mut port = match port_text {
            Some("") | None => None,
            Some(p) => Some(parse_port(p)?),
        };

        let (path, query) = match tail.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (tail, None),
        };
        let mut dbname =
            percent_decode_str(path.strip_prefix('/').unwrap_or(path), "database name")?;

        let mut sslmode = SslMode::Prefer;
        let mut sslrootcert = None;
        let mut connect_timeout = Some(DEFAULT_CONNECT_TIMEOUT);
        let mut application_name = DEFAULT_APPLICATION_NAME.to_owned();
        if let Some(query) = query {
            let mut offset = url.len() - query.len();
            for pair in query.split('&') {
                let pair_start = offset;
                offset += pair.len() + 1;
                if pair.is_empty() {
                    continue;
                }
                let (key_text, value_text) = pair
                    .split_once('=')
                    .ok_or_else(|| invalid("a parameter has no '=value'"))?;
                let key = percent_decode_str(key_text, "parameter name")?;
                if key == "password" {
                    // Not decoded as text: a password may be any bytes.
                    if !value_text.is_empty() {
                        let start = pair_start + key_text.len() + 1;
                        masked.push(start..start + value_text.len());
                        secrets.push(Zeroizing::new(value_text.to_owned()));
                        password = Some(Zeroizing::new(percent_decode(value_text, "password")?));
                    }
                    continue;
                }
                let part = format!("value of {key}");
                let value = percent_decode_str(value_text, &part)?;
                // A parameter given in the query overrides the authority, and a repeated one the
                // earlier, as in libpq.
                match key.as_str() {
                    "host" => host = parse_host(value)?,
                    "port" => port = Some(parse_port(&value)?),
                    "user" => user = value,
                    "dbname" => dbname = value,
                    "sslmode" => {
                        sslmode = SslMode::parse(&value).ok_or_else(|| {
                            invalid(
                            "sslmode must be disable, prefer, require, verify-ca or verify-full",
                        )
                        })?
                    }
                    "sslrootcert" => {
                        sslrootcert = (!value.is_empty()).then(|| PathBuf::from(value));
                    }
                    "connect_timeout" => connect_timeout = parse_connect_timeout(&value)?,
                    "application_name" => application_name = value,
                    _ => return Err(invalid(format!("unknown parameter {key:?}"))),
                }
            }
        }

        if user.is_empty() {
            user = defaults.os_user.ok_or_else(|| {
                invalid("the URL names no user, and neither USER nor LOGNAME is set")
            })?;
        }
        if dbname.is_empty() {
            dbname = user.clone();
        }
        if password.is_none() {
            password = defaults.pgpassword;
        }
        if let Some(text) = password
            .as_ref()
            .and_then(|p| std::str::from_utf8(p).ok())
            .filter(|t| !t.is_empty())
        {
            secrets.push(Zeroizing::new(text.to_owned()));
        }

        Ok(PgLocation {
            display: mask_ranges(url, masked),
            host: host.unwrap_or(Host::Socket(defaults.socket_dir)),
            port: port.unwrap_or(DEFAULT_PORT),
            user,
            password,
            secrets,
            dbname,
            sslmode,
            sslrootcert,
            connect_timeout,
            application_name,
        })
    }

    /// The URL for display: as given, with the password (in the credentials or a `password`
    /// parameter) replaced by `***`. Stable for a given input: used in messages, `--json` output
    /// and audit rows.
    pub(crate) fn display(&self) -> &str {
        &self.display
    }

    /// "host:port" (`[addr]:port` for IPv6, "/socket/dir:port" for Unix sockets) for error
    /// messages.
    pub(crate) fn endpoint(&self) -> String {
        match &self.host {
            Host::Tcp(h) if h.contains(':') => format!("[{h}]:{}", self.port),
            Host::Tcp(h) => format!("{h}:{}", self.port),
            Host::Socket(dir) => format!("{}:{}", dir.display(), self.port),
        }
    }

    /// The database name (for messages).
    pub(crate) fn dbname(&self) -> &str {
        &self.dbname
    }

    /// How TLS is to be set up.
    fn tls_plan(&self) -> TlsPlan {
        // TLS does not apply to Unix sockets (libpq ignores sslmode there); left on, the
        // postgres crate would ask the server anyway and fail under `require`.
        if self.sslmode == SslMode::Disable || matches!(self.host, Host::Socket(_)) {
            return TlsPlan::Off;
        }
        if let Some(roots) = &self.sslrootcert {
            // A private CA given explicitly: whoever wrote it wants the server verified, so
            // verify fully whatever the mode.
            return TlsPlan::Verified {
                roots: Some(roots.clone()),
                check_hostname: true,
            };
        }
        match self.sslmode {
            SslMode::Disable => TlsPlan::Off,
            SslMode::Prefer => TlsPlan::Unverified { required: false },
            SslMode::Require => TlsPlan::Unverified { required: true },
            SslMode::VerifyCa => TlsPlan::Verified {
                roots: None,
                check_hostname: false,
            },
            SslMode::VerifyFull => TlsPlan::Verified {
                roots: None,
                check_hostname: true,
            },
        }
    }

    /// The TLS connector for `plan` (`None` for no TLS). Reads the `sslrootcert` file, or the
    /// system's CA certificates.
    fn tls_connector(
        &self,
        plan: &TlsPlan,
    ) -> Result<Option<tokio_postgres_rustls::MakeRustlsConnect>> {
        use rustls::client::WebPkiServerVerifier;

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let setup_failed = |e: &dyn std::fmt::Display| {
            self.unavailable(format!("cannot set up TLS for {}: {e}", self.endpoint()))
        };
        let verifier: Arc<dyn ServerCertVerifier> = match plan {
            TlsPlan::Off => return Ok(None),
            // libpq's require: encrypted against eavesdropping, not against impersonation.
            TlsPlan::Unverified { .. } => Arc::new(LaxCertificate {
                provider: provider.clone(),
                chain: None,
            }),
            TlsPlan::Verified {
                roots,
                check_hostname,
            } => {
                let mut store = rustls::RootCertStore::empty();
                match roots {
                    // As in libpq, the file replaces the system's CAs rather than adding to them.
                    Some(path) => {
                        for cert in read_roots(path)? {
                            store.add(cert).map_err(|e| {
                                invalid(format!(
                                    "sslrootcert file {} holds a certificate that cannot be used: {e}",
                                    path.display()
                                ))
                            })?;
                        }
                    }
                    None => {
                        let found = rustls_native_certs::load_native_certs();
                        let (added, _) = store.add_parsable_certificates(found.certs);
                        if added == 0 {
                            return Err(setup_failed(
                                &"no CA certificates found on this system (give sslrootcert=FILE)",
                            ));
                        }
                    }
                }
                let webpki =
                    WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
                        .build()
                        .map_err(|e| setup_failed(&e))?;
                if *check_hostname {
                    webpki
                } else {
                    Arc::new(LaxCertificate {
                        provider: provider.clone(),
                        chain: Some(webpki),
                    })
                }
            }
        };
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| setup_failed(&e))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(Some(tokio_postgres_rustls::MakeRustlsConnect::new(config)))
    }

    /// The rust-postgres configuration (without TLS, which goes with the connector).
    fn config(&self, plan: &TlsPlan) -> postgres::Config {
        let mut config = postgres::Config::new();
        match &self.host {
            Host::Tcp(h) => config.host(h),
            Host::Socket(dir) => config.host_path(dir),
        };
        config
            .port(self.port)
            .user(&self.user)
            .dbname(&self.dbname)
            .application_name(&self.application_name)
            .ssl_mode(match plan {
                TlsPlan::Off => postgres::config::SslMode::Disable,
                TlsPlan::Unverified { required: false } => postgres::config::SslMode::Prefer,
                _ => postgres::config::SslMode::Require,
            });
        if let Some(password) = &self.password {
            config.password(&password[..]);
        }
        if let Some(timeout) = self.connect_timeout {
            config.connect_timeout(timeout);
        }
        config
    }

    /// Connects. Any failure to reach the server, TLS failure, refused login (bad password, no
    /// such role, no such database, pg_hba reject), or timeout is
    /// [`Error::StoreUnavailable`] whose reason names the endpoint and says what happened in one
    /// line, never the password. An unreadable or invalid `sslrootcert` file is
    /// [`Error::InvalidInput`] naming the file.
    ///
    /// `connect_timeout` bounds the whole attempt, as in libpq: rust-postgres applies it to the
    /// socket connection only, so a server that accepts and never answers would hang forever.
    /// The attempt runs on a helper thread, abandoned when the time is up: it ends when the server
    /// answers or drops the connection (PostgreSQL's own `authentication_timeout` is 1 min).
    pub(crate) fn connect(&self) -> Result<postgres::Client> {
        let plan = self.tls_plan();
        let tls = self.tls_connector(&plan)?;
        let config = self.config(&plan);
        let name = match &self.host {
            Host::Tcp(h) => Some(h.clone()),
            Host::Socket(_) => None,
        };

        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("mfactl-pg-connect".into())
            .spawn(move || {
                let connect = |config: &postgres::Config| match &tls {
                    Some(tls) => config.connect(tls.clone()),
                    None => config.connect(postgres::NoTls),
                };
                // The name is looked up here, so that connect_timeout bounds the lookup too.
                let result = match name.as_deref().map(resolve).transpose() {
                    Err(e) => Err(Failure::Lookup(e)),
                    Ok(None) => connect(&config).map_err(Failure::Connect),
                    Ok(Some(addrs)) => connect_to_each(&config, &addrs, connect),
                };
                // The receiver is gone after a timeout: the client is then dropped here.
                let _ = tx.send(result);
            })
            .map_err(|e| {
                self.unavailable(format!(
                    "cannot start connecting to {}: {e}",
                    self.endpoint()
                ))
            })?;

        let received = match self.connect_timeout {
            Some(timeout) => rx.recv_timeout(timeout).map_err(|e| match e {
                mpsc::RecvTimeoutError::Timeout => self.timed_out(),
                mpsc::RecvTimeoutError::Disconnected => self.attempt_died(),
            }),
            None => rx.recv().map_err(|_| self.attempt_died()),
        }?;
        received.map_err(|e| match e {
            Failure::Connect(e) => self.unavailable(self.describe(&e)),
            Failure::Lookup(e) => self.unavailable(format!(
                "cannot connect to {}: cannot resolve the host name ({e})",
                self.endpoint()
            )),
        })
    }

    /// The error for an attempt that ran out of time.
    fn timed_out(&self) -> Error {
        self.unavailable(self.timed_out_text())
    }

    /// [`PgLocation::timed_out`]'s reason.
    fn timed_out_text(&self) -> String {
        let secs = self.connect_timeout.unwrap_or_default().as_secs();
        format!("timed out after {secs} s connecting to {}", self.endpoint())
    }

    /// The error for a connection thread that ended without an answer (it panicked: the
    /// postgres crate unwraps its runtime's creation).
    fn attempt_died(&self) -> Error {
        self.unavailable(format!(
            "the attempt to connect to {} failed unexpectedly",
            self.endpoint()
        ))
    }

    /// Builds [`Error::StoreUnavailable`], masking the password once more in case a message
    /// from a lower layer echoed it.
    fn unavailable(&self, reason: String) -> Error {
        let mut reason = reason;
        for secret in &self.secrets {
            if !secret.is_empty() {
                reason = reason.replace(secret.as_str(), MASK);
            }
        }
        Error::StoreUnavailable {
            location: self.display.clone(),
            reason,
        }
    }

    /// One line saying what went wrong with a connection attempt.
    ///
    /// rust-postgres does not expose its error kinds: server errors are told apart by SQLSTATE,
    /// the others by the fixed text each kind displays first.
    fn describe(&self, e: &postgres::Error) -> String {
        let endpoint = self.endpoint();
        let user = &self.user;
        if let Some(db) = e.as_db_error() {
            let message = db.message();
            return match db.code().code() {
                "28P01" => format!(
                    "login refused for user {user:?} at {endpoint}: password authentication failed"
                ),
                // Invalid authorization: no such role, or a pg_hba.conf reject / no entry.
                "28000" | "42501" => {
                    format!("login refused for user {user:?} at {endpoint}: {message}")
                }
                "3D000" => format!("database {:?} does not exist on {endpoint}", self.dbname),
                // Starting up, shutting down, in recovery, too many connections.
                "57P03" | "57P01" | "53300" => {
                    format!("server at {endpoint} is not accepting connections: {message}")
                }
                code => format!(
                    "server at {endpoint} refused the connection: {message} (SQLSTATE {code})"
                ),
            };
        }
        let text = e.to_string();
        let source = std::error::Error::source(e);
        let io = source.and_then(|s| s.downcast_ref::<io::Error>());
        let cause = source.map(ToString::to_string).unwrap_or_default();
        if text.starts_with("error connecting to server") {
            match io.map(io::Error::kind) {
                Some(io::ErrorKind::TimedOut) => self.timed_out_text(),
                Some(io::ErrorKind::ConnectionRefused) => {
                    format!("cannot connect to {endpoint}: connection refused")
                }
                Some(io::ErrorKind::NotFound) if matches!(self.host, Host::Socket(_)) => format!(
                    "cannot connect to {endpoint}: no server socket there (is the server running?)"
                ),
                _ => format!("cannot connect to {endpoint}: {}", strip_os_error(&cause)),
            }
        } else if text.starts_with("error performing TLS handshake") {
            if cause == "server does not support TLS" {
                format!("TLS handshake with {endpoint} failed: the server does not support TLS")
            } else {
                let rustls_error = io
                    .and_then(|e| e.get_ref())
                    .and_then(|e| e.downcast_ref::<rustls::Error>());
                let reason = match rustls_error {
                    Some(e) => tls_cause(e),
                    None => strip_os_error(&cause),
                };
                format!("TLS handshake with {endpoint} failed: {reason}")
            }
        } else if cause == "password missing" {
            format!(
                "login refused for user {user:?} at {endpoint}: the server asks for a password and none was given (put it in the URL or set PGPASSWORD)"
            )
        } else if text.starts_with("authentication error") {
            format!("login failed for user {user:?} at {endpoint}: {cause}")
        } else if matches!(io.map(io::Error::kind), Some(io::ErrorKind::UnexpectedEof))
            || e.is_closed()
        {
            format!(
                "connection to {endpoint} failed: the server closed the connection (is it a PostgreSQL server?)"
            )
        } else {
            format!(
                "connection to {endpoint} failed: {}",
                strip_os_error(&text_with_cause(&text, &cause))
            )
        }
    }
}

/// "kind: cause", or the kind alone.
fn text_with_cause(text: &str, cause: &str) -> String {
    if cause.is_empty() || text.contains(cause) {
        text.to_owned()
    } else {
        format!("{text}: {cause}")
    }
}

/// Drops the " (os error N)" that std appends to OS errors, and lower-cases the first letter so
/// that the text reads as the end of a sentence.
fn strip_os_error(s: &str) -> String {
    let s = match s.rfind(" (os error ") {
        Some(i) if s.ends_with(')') => &s[..i],
        _ => s,
    };
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// What a failed TLS handshake means for the person who configured the connection.
fn tls_cause(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    let why = match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => "the server's certificate is not signed by a trusted CA".into(),
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "the server's certificate does not name this host".into()
            }
            C::Expired | C::ExpiredContext { .. } => "the server's certificate has expired".into(),
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "the server's certificate is not valid yet".into()
            }
            C::Revoked => "the server's certificate is revoked".into(),
            other => format!("{other:?}"),
        },
        other => return other.to_string(),
    };
    format!("certificate verify failed ({why})")
}

/// Reads the CA certificates of an `sslrootcert` file.
fn read_roots(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    use rustls::pki_types::pem::PemObject;

    let name = path.display();
    let pem = std::fs::read(path).map_err(|e| {
        invalid(format!(
            "cannot read sslrootcert file {name}: {}",
            strip_os_error(&e.to_string())
        ))
    })?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| {
            invalid(format!(
                "sslrootcert file {name} is not a PEM certificate file: {e}"
            ))
        })?;
    if certs.is_empty() {
        return Err(invalid(format!(
            "sslrootcert file {name} holds no PEM certificate"
        )));
    }
    Ok(certs)
}

/// The server certificate check of the modes that do not verify fully: with no CA verifier
/// (`sslmode=require` and `prefer`) any certificate is accepted, encryption without
/// authentication as in libpq; with one (`sslmode=verify-ca`) the certificate must chain to a
/// trusted CA, whatever host it names. Either way the server must prove it holds the key of the
/// certificate it sent.
#[derive(Debug)]
struct LaxCertificate {
    provider: Arc<rustls::crypto::CryptoProvider>,
    chain: Option<Arc<rustls::client::WebPkiServerVerifier>>,
}

impl ServerCertVerifier for LaxCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The URL with each range replaced by `***`.
fn mask_ranges(url: &str, mut ranges: Vec<std::ops::Range<usize>>) -> String {
    ranges.sort_by_key(|r| r.start);
    let mut out = String::with_capacity(url.len());
    let mut at = 0;
    for r in ranges {
        if r.start < at || r.end > url.len() {
            continue;
        }
        out.push_str(&url[at..r.start]);
        out.push_str(MASK);
        at = r.end;
    }
    out.push_str(&url[at..]);
    out
}

/// Parses `connect_timeout`: whole seconds; 0 waits forever and 1 means 2, as in libpq.
fn parse_connect_timeout(value: &str) -> Result<Option<Duration>> {
    let secs: u64 = value
        .trim()
        .parse()
        .map_err(|_| invalid("connect_timeout must be a whole number of seconds"))?;
    Ok(match secs {
        0 => None,
        s => Some(Duration::from_secs(s.max(2))),
    })
}

impl fmt::Debug for PgLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PgLocation").field(&self.display).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::time::Instant;

    /// A fixed environment: user alice, no PGPASSWORD.
    fn env() -> Defaults {
        Defaults {
            os_user: Some("alice".into()),
            pgpassword: None,
            socket_dir: PathBuf::from("/run/postgresql"),
        }
    }

    fn parse(url: &str) -> PgLocation {
        match PgLocation::parse_with(url, env()) {
            Ok(loc) => loc,
            Err(e) => panic!("{url}: {e}"),
        }
    }

    #[test]
    fn an_ip_address_is_its_own_address() {
        assert_eq!(resolve("127.0.0.1"), Ok(vec![[127, 0, 0, 1].into()]));
        assert_eq!(
            resolve("::1"),
            Ok(vec![std::net::Ipv6Addr::LOCALHOST.into()])
        );
    }

    #[test]
    fn localhost_resolves_to_the_loopback_without_glibc() {
        let addrs = resolve("localhost").expect("localhost resolves");
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(|a| a.is_loopback()), "{addrs:?}");
    }

    #[test]
    fn a_name_that_cannot_exist_is_a_one_line_lookup_error() {
        // .invalid never resolves (RFC 6761): answered without asking a name server.
        let e = resolve("db.example.invalid").unwrap_err();
        assert!(e.contains("not in /etc/hosts"), "{e}");
        assert!(!e.contains('\n'), "{e}");
        let loc = parse("postgresql://alice@db.example.invalid:1/mfactl?connect_timeout=10");
        let e = loc.connect().err().expect("no address").to_string();
        assert!(
            e.contains("cannot connect to db.example.invalid:1: cannot resolve the host name"),
            "{e}"
        );
    }

    /// The reason of a parse error, checking its kind.
    fn parse_err(url: &str) -> String {
        match PgLocation::parse_with(url, env()) {
            Ok(loc) => panic!("{url} parsed: {loc:?}"),
            Err(Error::InvalidInput { what, reason }) => {
                assert_eq!(what, "store URL");
                reason
            }
            Err(e) => panic!("{url}: unexpected error {e:?}"),
        }
    }

    fn password(loc: &PgLocation) -> Option<&[u8]> {
        loc.password.as_ref().map(|p| &p[..])
    }

    #[test]
    fn recognises_urls_by_scheme_in_any_case() {
        for s in [
            "postgres://h/db",
            "postgresql://h/db",
            "PostgreSQL://h",
            "POSTGRES://",
        ] {
            assert!(super::super::location::is_url(s), "{s}");
        }
        for s in [
            "",
            "postgres:/h",
            "postgresql:h",
            "postgre://h",
            "/var/lib/mfactl/store.db",
            "./postgres://x",
            "ééééééééééééééé",
        ] {
            assert!(!super::super::location::is_url(s), "{s}");
        }
    }

    #[test]
    fn parses_a_full_url_and_decodes_credentials() {
        let loc = parse(
            "postgresql://bob:S3cr%3At%40pw%2F%25x@db.example.com:6543/mfa%20prod?sslmode=require&application_name=ops",
        );
        assert_eq!(loc.host, Host::Tcp("db.example.com".into()));
        assert_eq!(loc.port, 6543);
        assert_eq!(loc.user, "bob");
        assert_eq!(password(&loc), Some(&b"S3cr:t@pw/%x"[..]));
        assert_eq!(loc.dbname(), "mfa prod");
        assert_eq!(loc.sslmode, SslMode::Require);
        assert_eq!(loc.application_name, "ops");
        assert_eq!(loc.endpoint(), "db.example.com:6543");
        assert_eq!(
            loc.display(),
            "postgresql://bob:***@db.example.com:6543/mfa%20prod?sslmode=require&application_name=ops"
        );
    }

    #[test]
    fn applies_libpq_defaults() {
        let loc = parse("postgres://db.example.com");
        assert_eq!(loc.host, Host::Tcp("db.example.com".into()));
        assert_eq!(loc.port, 5432);
        assert_eq!(loc.user, "alice");
        assert_eq!(loc.dbname(), "alice");
        assert_eq!(password(&loc), None);
        assert_eq!(loc.sslmode, SslMode::Prefer);
        assert_eq!(loc.sslrootcert, None);
        assert_eq!(loc.connect_timeout, Some(Duration::from_secs(10)));
        assert_eq!(loc.application_name, "mfactl");
        assert_eq!(loc.display(), "postgres://db.example.com");
        assert_eq!(loc.endpoint(), "db.example.com:5432");
        // A URL without any password is shown as given.
        let loc = parse("postgresql://bob@h/db?sslmode=verify-full");
        assert_eq!(loc.display(), "postgresql://bob@h/db?sslmode=verify-full");
    }

    #[test]
    fn no_user_anywhere_is_an_error() {
        let env = Defaults {
            os_user: None,
            ..env()
        };
        let e = PgLocation::parse_with("postgresql://h/db", env).unwrap_err();
        assert!(e.to_string().contains("USER"), "{e}");
        let env = Defaults {
            os_user: None,
            ..self::env()
        };
        assert!(PgLocation::parse_with("postgresql://bob@h", env).is_ok());
    }

    #[test]
    fn parses_unix_socket_forms() {
        let loc = parse("postgresql:///mfa?host=/var/run/postgresql&port=5433");
        assert_eq!(loc.host, Host::Socket("/var/run/postgresql".into()));
        assert_eq!(loc.port, 5433);
        assert_eq!(loc.endpoint(), "/var/run/postgresql:5433");
        assert_eq!(loc.dbname(), "mfa");

        let loc = parse("postgresql://%2Fvar%2Frun%2Fpostgresql/mfa");
        assert_eq!(loc.host, Host::Socket("/var/run/postgresql".into()));
        assert_eq!(loc.endpoint(), "/var/run/postgresql:5432");

        // The url crate refuses this one (empty host after credentials); libpq takes it.
        let loc = parse("postgresql://postgres@/mfa?host=/tmp/sock&port=5499");
        assert_eq!(loc.host, Host::Socket("/tmp/sock".into()));
        assert_eq!(loc.user, "postgres");
        assert_eq!(loc.endpoint(), "/tmp/sock:5499");

        // No host at all: the default socket directory; a port alone is allowed.
        let loc = parse("postgresql://:5433/mfa");
        assert_eq!(loc.host, Host::Socket("/run/postgresql".into()));
        assert_eq!(loc.port, 5433);
        let loc = parse("postgresql://");
        assert_eq!(loc.host, Host::Socket("/run/postgresql".into()));
        assert_eq!(loc.dbname(), "alice");
    }

    #[test]
    fn the_real_default_socket_dir_is_a_libpq_one() {
        let dir = Defaults::from_env().socket_dir;
        assert!(dir == Path::new("/run/postgresql") || dir == Path::new("/tmp"));
    }

    #[test]
    fn parses_ipv6_hosts() {
        let loc = parse("postgresql://bob@[::1]:5433/db");
        assert_eq!(loc.host, Host::Tcp("::1".into()));
        assert_eq!(loc.endpoint(), "[::1]:5433");
        let loc = parse("postgresql://[2001:db8::7]/db");
        assert_eq!(loc.endpoint(), "[2001:db8::7]:5432");
        let loc = parse("postgresql:///db?host=::1");
        assert_eq!(loc.endpoint(), "[::1]:5432");
        assert!(parse_err("postgresql://[::1/db").contains("']'"));
        assert!(parse_err("postgresql://[nope]/db").contains("IPv6"));
        parse_err("postgresql://[::1]x/db");
    }

    #[test]
    fn query_parameters_override_the_authority() {
        let loc = parse("postgresql://bob@h1:1111/db1?host=h2&port=2222&user=carol&dbname=db2");
        assert_eq!(loc.host, Host::Tcp("h2".into()));
        assert_eq!(loc.port, 2222);
        assert_eq!(loc.user, "carol");
        assert_eq!(loc.dbname(), "db2");
        // Repeated: the last wins, as in libpq. Empty pairs are skipped.
        let loc = parse("postgresql://h/db?sslmode=disable&&sslmode=verify-ca&");
        assert_eq!(loc.sslmode, SslMode::VerifyCa);
        // '+' is not a space (percent-encoding, not form encoding).
        let loc = parse("postgresql://h/db?application_name=a+b%20c");
        assert_eq!(loc.application_name, "a+b c");
    }

    #[test]
    fn all_sslmodes_and_sslrootcert_parse() {
        for (text, mode) in [
            ("disable", SslMode::Disable),
            ("prefer", SslMode::Prefer),
            ("require", SslMode::Require),
            ("verify-ca", SslMode::VerifyCa),
            ("verify-full", SslMode::VerifyFull),
        ] {
            assert_eq!(
                parse(&format!("postgresql://h?sslmode={text}")).sslmode,
                mode
            );
        }
        let loc = parse("postgresql://h/db?sslrootcert=%2Fetc%2Fmfactl%2Fca.pem");
        assert_eq!(loc.sslrootcert, Some(PathBuf::from("/etc/mfactl/ca.pem")));
        let reason = parse_err("postgresql://h/db?sslmode=allow");
        assert!(reason.contains("sslmode must be"), "{reason}");
        assert!(!reason.contains("allow"), "{reason}");
    }

    #[test]
    fn connect_timeout_follows_libpq() {
        let timeout =
            |v: &str| parse(&format!("postgresql://h?connect_timeout={v}")).connect_timeout;
        assert_eq!(timeout("0"), None);
        assert_eq!(timeout("1"), Some(Duration::from_secs(2)));
        assert_eq!(timeout("30"), Some(Duration::from_secs(30)));
        for bad in ["-1", "1.5", "ten", ""] {
            let reason = parse_err(&format!("postgresql://h?connect_timeout={bad}"));
            assert!(reason.contains("connect_timeout"), "{reason}");
        }
    }

    #[test]
    fn url_password_wins_over_pgpassword() {
        let with_env = || Defaults {
            pgpassword: Some(Zeroizing::new(b"from-env".to_vec())),
            ..env()
        };
        let loc = PgLocation::parse_with("postgresql://bob@h/db", with_env()).unwrap();
        assert_eq!(password(&loc), Some(&b"from-env"[..]));
        // A password from the environment is not part of the URL: nothing to mask there.
        assert_eq!(loc.display(), "postgresql://bob@h/db");
        assert!(loc.secrets.iter().any(|s| s.as_str() == "from-env"));

        let loc = PgLocation::parse_with("postgresql://bob:from-url@h/db", with_env()).unwrap();
        assert_eq!(password(&loc), Some(&b"from-url"[..]));
        let loc = PgLocation::parse_with("postgresql://bob@h/db?password=from-query", with_env())
            .unwrap();
        assert_eq!(password(&loc), Some(&b"from-query"[..]));
        // An empty password counts as none.
        let loc = PgLocation::parse_with("postgresql://bob:@h/db", with_env()).unwrap();
        assert_eq!(password(&loc), Some(&b"from-env"[..]));
        assert_eq!(loc.display(), "postgresql://bob:@h/db");
    }

    #[test]
    fn masks_passwords_in_credentials_and_query() {
        let loc = parse("postgresql://bob@h/db?password=p%26w&sslmode=disable");
        assert_eq!(password(&loc), Some(&b"p&w"[..]));
        assert_eq!(
            loc.display(),
            "postgresql://bob@h/db?password=***&sslmode=disable"
        );

        let loc = parse("postgresql://bob:first@h/db?password=second");
        assert_eq!(password(&loc), Some(&b"second"[..]));
        assert_eq!(loc.display(), "postgresql://bob:***@h/db?password=***");

        // Not UTF-8 once decoded: still a valid password.
        let loc = parse("postgresql://bob:%FF%FE@h/db");
        assert_eq!(password(&loc), Some(&[0xff, 0xfe][..]));
        assert_eq!(loc.display(), "postgresql://bob:***@h/db");

        let debug = format!("{loc:?}");
        assert_eq!(debug, "PgLocation(\"postgresql://bob:***@h/db\")");
        let debug = format!("{:?}", parse("postgresql://bob:hunter2@h/db"));
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn unknown_parameters_are_named_without_their_value() {
        for url in [
            "postgresql://h/db?sslrootcrt=hunter2",
            "postgresql://bob:hunter2@h/db?sslrootcrt=hunter2",
        ] {
            let reason = parse_err(url);
            assert!(
                reason.contains("unknown parameter \"sslrootcrt\""),
                "{reason}"
            );
            assert!(!reason.contains("hunter2"), "{reason}");
        }
        parse_err("postgresql://h/db?options=-csearch_path%3Dx");
    }

    #[test]
    fn refuses_malformed_urls_without_echoing_them() {
        let cases = [
            ("postgresql://bob:hunter2@h:hunter2/db", "port"),
            ("postgresql://bob:hunter2@h:0/db", "port"),
            ("postgresql://bob:hunter2@h:65536/db", "port"),
            ("postgresql://bob:hunter2@h:+5432/db", "port"),
            ("postgresql://bob:hunter2@h/db?port=x", "port"),
            ("postgresql://bob:hunter2@h1,h2/db", "multiple hosts"),
            ("postgresql://bob:hunter2@h/db?host=h1,h2", "multiple hosts"),
            (
                "postgresql://bob:hunter2%zz@h/db",
                "percent-encoding in the password",
            ),
            (
                "postgresql://bob:hunter2%+f@h/db",
                "percent-encoding in the password",
            ),
            (
                "postgresql://bob:hunter2%4@h/db",
                "percent-encoding in the password",
            ),
            ("postgresql://bob%ff:hunter2@h/db", "UTF-8"),
            (
                "postgresql://bob:hunter2@h/db%",
                "percent-encoding in the database name",
            ),
            ("postgresql://bob:hunter2@h/db?sslmode", "'=value'"),
            (
                "postgresql://bob:hunter2@h/db?password=hunter2%",
                "percent-encoding",
            ),
            ("postgresql://bob:hunter2@h/db\n", "control"),
            ("mysql://bob:hunter2@h/db", "postgresql://"),
            ("postgresql://bob:hunter2@h/db?sslmode=hunter2", "sslmode"),
            (
                "postgresql://bob:hunter2@h/db?connect_timeout=hunter2",
                "connect_timeout",
            ),
        ];
        for (url, expected) in cases {
            let reason = parse_err(url);
            assert!(reason.contains(expected), "{url}: {reason}");
            assert!(!reason.contains("hunter2"), "{url}: {reason}");
            assert!(!reason.contains("bob"), "{url}: {reason}");
        }
    }

    #[test]
    fn tls_plan_combines_sslmode_sslrootcert_and_host_kind() {
        let plan = |url: &str| parse(url).tls_plan();
        assert_eq!(
            plan("postgresql://h"),
            TlsPlan::Unverified { required: false }
        );
        assert_eq!(
            plan("postgresql://h?sslmode=require"),
            TlsPlan::Unverified { required: true }
        );
        assert_eq!(plan("postgresql://h?sslmode=disable"), TlsPlan::Off);
        assert_eq!(
            plan("postgresql://h?sslmode=verify-ca"),
            TlsPlan::Verified {
                roots: None,
                check_hostname: false
            }
        );
        assert_eq!(
            plan("postgresql://h?sslmode=verify-full"),
            TlsPlan::Verified {
                roots: None,
                check_hostname: true
            }
        );
        let full_with_ca = TlsPlan::Verified {
            roots: Some(PathBuf::from("/ca.pem")),
            check_hostname: true,
        };
        for mode in ["prefer", "require", "verify-ca", "verify-full"] {
            assert_eq!(
                plan(&format!(
                    "postgresql://h?sslmode={mode}&sslrootcert=/ca.pem"
                )),
                full_with_ca
            );
        }
        assert_eq!(
            plan("postgresql://h?sslmode=disable&sslrootcert=/ca.pem"),
            TlsPlan::Off
        );
        // TLS does not apply to Unix sockets.
        assert_eq!(
            plan("postgresql:///db?host=/tmp&sslmode=verify-full&sslrootcert=/ca.pem"),
            TlsPlan::Off
        );
    }

    #[test]
    fn config_carries_every_setting() {
        let loc = parse(
            "postgresql://bob:pw@h:6543/db?sslmode=require&connect_timeout=7&application_name=x",
        );
        let config = loc.config(&loc.tls_plan());
        assert_eq!(
            config.get_hosts(),
            &[postgres::config::Host::Tcp("h".into())]
        );
        assert_eq!(config.get_ports(), &[6543]);
        assert_eq!(config.get_user(), Some("bob"));
        assert_eq!(config.get_password(), Some(&b"pw"[..]));
        assert_eq!(config.get_dbname(), Some("db"));
        assert_eq!(config.get_application_name(), Some("x"));
        assert_eq!(config.get_connect_timeout(), Some(&Duration::from_secs(7)));
        assert_eq!(config.get_ssl_mode(), postgres::config::SslMode::Require);

        let loc = parse("postgresql:///db?host=/tmp&sslmode=require&connect_timeout=0");
        let config = loc.config(&loc.tls_plan());
        assert_eq!(
            config.get_hosts(),
            &[postgres::config::Host::Unix("/tmp".into())]
        );
        assert_eq!(config.get_ssl_mode(), postgres::config::SslMode::Disable);
        assert_eq!(config.get_connect_timeout(), None);
        assert_eq!(config.get_password(), None);
    }

    #[test]
    fn unavailable_masks_every_form_of_the_password() {
        let loc = parse("postgresql://bob:p%40ss@h/db");
        match loc.unavailable("echo p%40ss and p@ss".into()) {
            Error::StoreUnavailable { location, reason } => {
                assert_eq!(location, "postgresql://bob:***@h/db");
                assert_eq!(reason, "echo *** and ***");
            }
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn shortens_os_errors() {
        assert_eq!(
            strip_os_error("Connection refused (os error 111)"),
            "connection refused"
        );
        assert_eq!(strip_os_error(""), "");
    }

    /// The reason of a connection error, checking its kind and that it names `location`.
    fn unavailable_reason(loc: &PgLocation) -> String {
        match loc.connect() {
            Ok(_) => panic!("{loc:?} connected"),
            Err(Error::StoreUnavailable { location, reason }) => {
                assert_eq!(location, loc.display());
                assert!(!reason.contains('\n'), "{reason}");
                reason
            }
            Err(e) => panic!("{loc:?}: unexpected error {e:?}"),
        }
    }

    /// A local port with nothing listening (bound, then released).
    fn free_port() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }

    #[test]
    fn nothing_listening_names_host_and_port() {
        let port = free_port();
        let loc = parse(&format!("postgresql://bob:hunter2@127.0.0.1:{port}/db"));
        let reason = unavailable_reason(&loc);
        assert_eq!(
            reason,
            format!("cannot connect to 127.0.0.1:{port}: connection refused")
        );
    }

    #[test]
    fn missing_socket_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("postgresql:///db?host={}&port=5999", dir.path().display());
        let reason = unavailable_reason(&parse(&url));
        assert_eq!(
            reason,
            format!(
                "cannot connect to {}:5999: no server socket there (is the server running?)",
                dir.path().display()
            )
        );
    }

    #[test]
    fn connect_timeout_bounds_a_server_that_never_answers() {
        // The kernel completes the TCP handshake for the backlog: the client connects, sends its
        // request and waits for an answer that never comes.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        for mode in ["disable", "require"] {
            let loc = parse(&format!(
                "postgresql://bob:hunter2@127.0.0.1:{port}/db?connect_timeout=2&sslmode={mode}"
            ));
            let start = Instant::now();
            let reason = unavailable_reason(&loc);
            let elapsed = start.elapsed();
            assert_eq!(
                reason,
                format!("timed out after 2 s connecting to 127.0.0.1:{port}")
            );
            assert!(elapsed >= Duration::from_secs(2), "{elapsed:?}");
            assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
        }
        drop(listener);
    }

    #[test]
    fn a_server_that_hangs_up_is_unavailable() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            for _ in 0..2 {
                if let Ok((stream, _)) = listener.accept() {
                    drop(stream);
                }
            }
        });
        for mode in ["disable", "require"] {
            let loc = parse(&format!(
                "postgresql://bob:hunter2@127.0.0.1:{port}/db?sslmode={mode}"
            ));
            let reason = unavailable_reason(&loc);
            assert!(reason.contains(&format!("127.0.0.1:{port}")), "{reason}");
            assert!(!reason.contains("hunter2"), "{reason}");
            eprintln!("{mode}: {reason}");
        }
        server.join().unwrap();
    }

    #[test]
    fn bad_sslrootcert_files_are_named() {
        let port = free_port();
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "not a certificate\n").unwrap();
        for file in [&missing, &garbage] {
            let url = format!(
                "postgresql://bob:hunter2@127.0.0.1:{port}/db?sslrootcert={}",
                file.display()
            );
            match parse(&url).connect() {
                Err(Error::InvalidInput { reason, .. }) => {
                    assert!(reason.contains(&file.display().to_string()), "{reason}");
                    eprintln!("{reason}");
                }
                Err(e) => panic!("{e:?}"),
                Ok(_) => panic!("connected"),
            }
        }
    }

    // Against the throwaway server `.ci/pg-cluster` starts (its exports: MFACTL_TEST_PG_TCP =
    // host:port with TLS on, MFACTL_TEST_PG_PASSWORD for the role `mfactl_pw`, MFACTL_TEST_PG_CA
    // the CA that signed its certificate for localhost, MFACTL_TEST_PG the superuser's socket
    // URL). Each test skips, saying so, when the cluster is not there.

    /// The server's TCP URL for the password role, or `None` to skip.
    fn server_url() -> Option<String> {
        let (Ok(tcp), Ok(pw)) = (
            std::env::var("MFACTL_TEST_PG_TCP"),
            std::env::var("MFACTL_TEST_PG_PASSWORD"),
        ) else {
            eprintln!("MFACTL_TEST_PG_TCP / MFACTL_TEST_PG_PASSWORD are not set: skipped");
            return None;
        };
        let port = tcp.rsplit(':').next().unwrap_or("5432");
        Some(format!(
            "postgresql://mfactl_pw:{pw}@localhost:{port}/postgres"
        ))
    }

    /// The server's Unix-socket directory, from the superuser's URL.
    fn socket_dir() -> Option<String> {
        let admin = std::env::var("MFACTL_TEST_PG").ok()?;
        let loc = PgLocation::parse(&admin).ok()?;
        match loc.host {
            Host::Socket(dir) => Some(dir.display().to_string()),
            _ => None,
        }
    }

    /// `url` with `param` appended to its query.
    fn with_param(url: &str, param: &str) -> String {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}{param}")
    }

    /// Whether the session is encrypted.
    fn uses_tls(client: &mut postgres::Client) -> bool {
        client
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .unwrap()
            .get(0)
    }

    /// A CA certificate that signed nothing the test server uses.
    const UNRELATED_CA: &str = "-----BEGIN CERTIFICATE-----
MIIBrTCCAVOgAwIBAgIURzCDjE5oEKOhl6cttX3Je3jezaowCgYIKoZIzj0EAwIw
IzEhMB8GA1UEAwwYbWZhY3RsIHVucmVsYXRlZCB0ZXN0IENBMCAXDTI2MTEyNTE4
MDYwNloYDzIxMjYxMTAxMTgwNjA2WjAjMSEwHwYDVQQDDBhtZmFjdGwgdW5yZWxh
dGVkIHRlc3QgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARIKQZFJ1ejORpp
lsqzGHoxJ7VuRBoaXByUhMSfXhMgYRhYVVBuVZfl5+vJ6zyg2pFABdsEYLcFIhMu
IVDJ6mN1o2MwYTAdBgNVHQ4EFgQUi9g1xzCdUzkQquVpfTAtbLTQfAcwHwYDVR0j
BBgwFoAUi9g1xzCdUzkQquVpfTAtbLTQfAcwDwYDVR0TAQH/BAUwAwEB/zAOBgNV
HQ8BAf8EBAMCAQYwCgYIKoZIzj0EAwIDSAAwRQIgCdPI1uX7zHDXv4FFgiwNtoyY
zhDK6IfBXwzYS36uAaoCIQCjgmdohZQbSSpWiT9p8v086tRXgVNujlCmlQRC6yPI
4Q==
-----END CERTIFICATE-----
";

    #[test]
    fn server_addresses_are_tried_in_turn_until_one_answers() {
        let Some(url) = server_url() else { return };
        let loc = PgLocation::parse(&with_param(&url, "sslmode=disable")).unwrap();
        let config = loc.config(&TlsPlan::Off);
        let connect = |c: &postgres::Config| c.connect(postgres::NoTls);
        // Nothing listens on 127.0.0.2 (the cluster listens on 127.0.0.1): passed over.
        let unreachable: std::net::IpAddr = [127, 0, 0, 2].into();
        let server: std::net::IpAddr = [127, 0, 0, 1].into();
        let mut client = connect_to_each(&config, &[unreachable, server], connect)
            .unwrap_or_else(|_| panic!("the second address answers"));
        let addr: Option<std::net::IpAddr> = client
            .query_one("SELECT inet_client_addr()", &[])
            .unwrap()
            .get(0);
        assert_eq!(addr, Some(server));
        // None answers: the first address's failure is reported.
        match connect_to_each(&config, &[unreachable, unreachable], connect) {
            Err(Failure::Connect(e)) => {
                assert!(
                    e.to_string().starts_with("error connecting to server"),
                    "{e}"
                )
            }
            _ => panic!("no address answers"),
        }
        // A refused login on the first address ends the attempt: the second is not tried.
        let wrong = PgLocation::parse(&with_param(
            &url.replace("mfactl_pw:", "no_such_role_y:"),
            "sslmode=disable",
        ))
        .unwrap()
        .config(&TlsPlan::Off);
        let tried = std::cell::Cell::new(0);
        let counting = |c: &postgres::Config| {
            tried.set(tried.get() + 1);
            c.connect(postgres::NoTls)
        };
        assert!(matches!(
            connect_to_each(&wrong, &[server, server], counting),
            Err(Failure::Connect(e)) if e.as_db_error().is_some()
        ));
        assert_eq!(tried.get(), 1);
    }

    #[test]
    fn server_tcp_login_in_each_sslmode() {
        let Some(url) = server_url() else { return };
        let mut client = PgLocation::parse(&url).unwrap().connect().unwrap();
        let name: String = client
            .query_one("SELECT current_setting('application_name')", &[])
            .unwrap()
            .get(0);
        assert_eq!(name, "mfactl");
        assert!(uses_tls(&mut client), "prefer uses TLS when offered");
        for (mode, tls) in [("disable", false), ("prefer", true), ("require", true)] {
            let loc = PgLocation::parse(&with_param(&url, &format!("sslmode={mode}"))).unwrap();
            let mut client = loc.connect().unwrap();
            assert_eq!(uses_tls(&mut client), tls, "{mode}");
        }
    }

    #[test]
    fn server_refusals_are_explained_without_the_password() {
        let Some(url) = server_url() else { return };
        let good = PgLocation::parse(&url).unwrap();
        let endpoint = good.endpoint();
        let at = |user: &str, pw: &str, db: &str| {
            PgLocation::parse(&format!("postgresql://{user}:{pw}@{endpoint}/{db}")).unwrap()
        };

        let reason = unavailable_reason(&at(&good.user, "wrong-hunter2", &good.dbname));
        assert_eq!(
            reason,
            format!(
                "login refused for user {:?} at {endpoint}: password authentication failed",
                good.user
            )
        );
        let reason = unavailable_reason(&at("no_such_role_x", "wrong-hunter2", "db"));
        assert!(
            reason.starts_with("login refused for user \"no_such_role_x\""),
            "{reason}"
        );

        let mut wrong_db = PgLocation::parse(&url).unwrap();
        wrong_db.dbname = "no_such_db_x".into();
        let reason = unavailable_reason(&wrong_db);
        assert_eq!(
            reason,
            format!("database \"no_such_db_x\" does not exist on {endpoint}")
        );
    }

    #[test]
    fn server_certificate_verification() {
        let Some(url) = server_url() else { return };
        let Ok(ca) = std::env::var("MFACTL_TEST_PG_CA") else {
            eprintln!("MFACTL_TEST_PG_CA is not set: skipped");
            return;
        };
        let endpoint = PgLocation::parse(&url).unwrap().endpoint();

        // The right CA: verified, host name included, whatever the mode.
        for mode in ["prefer", "require", "verify-full"] {
            let loc = PgLocation::parse(&with_param(
                &url,
                &format!("sslmode={mode}&sslrootcert={ca}"),
            ))
            .unwrap();
            let mut client = loc.connect().unwrap();
            assert!(uses_tls(&mut client), "{mode}");
        }

        // An unrelated CA, or the system's roots: the server's certificate is refused.
        let dir = tempfile::tempdir().unwrap();
        let wrong = dir.path().join("unrelated-ca.pem");
        std::fs::write(&wrong, UNRELATED_CA).unwrap();
        for param in [
            format!("sslmode=require&sslrootcert={}", wrong.display()),
            "sslmode=verify-full".to_owned(),
            "sslmode=verify-ca".to_owned(),
        ] {
            let reason = unavailable_reason(&PgLocation::parse(&with_param(&url, &param)).unwrap());
            assert_eq!(
                reason,
                format!(
                    "TLS handshake with {endpoint} failed: certificate verify failed \
                     (the server's certificate is not signed by a trusted CA)"
                ),
                "{param}"
            );
        }
    }

    #[test]
    fn server_unix_socket_ignores_sslmode() {
        let Some(url) = server_url() else { return };
        let Some(dir) = socket_dir() else {
            eprintln!("MFACTL_TEST_PG is not a socket URL: skipped");
            return;
        };
        let tcp = PgLocation::parse(&url).unwrap();
        for mode in ["prefer", "require", "verify-full"] {
            let socket = format!(
                "postgresql://{}@/{}?host={dir}&port={}&sslmode={mode}",
                tcp.user, tcp.dbname, tcp.port
            );
            let mut client = PgLocation::parse(&socket).unwrap().connect().unwrap();
            let one: i32 = client.query_one("SELECT 1", &[]).unwrap().get(0);
            assert_eq!(one, 1);
        }
    }
}
