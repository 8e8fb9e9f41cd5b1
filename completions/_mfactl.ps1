
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'mfactl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'mfactl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'mfactl' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, for the audit log [default: the OS user]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create a new store')
            [CompletionResult]::new('enroll', 'enroll', [CompletionResultType]::ParameterValue, 'Enroll a user: a new secret, its QR code and otpauth URI')
            [CompletionResult]::new('show-qr', 'show-qr', [CompletionResultType]::ParameterValue, 'Print a user''s pairing QR code and otpauth URI again')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check a code; exit 0 if accepted, 1 if rejected, 2 on error')
            [CompletionResult]::new('resync', 'resync', [CompletionResultType]::ParameterValue, 'Resync a drifting token''s clock from two consecutive codes')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Disable MFA for a user and erase their secret')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List users and their MFA state (never secrets)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one user: status, lockout, parameters, recent events')
            [CompletionResult]::new('unlock', 'unlock', [CompletionResultType]::ParameterValue, 'Clear a user''s lockout and failure count')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show or change the store''s settings')
            [CompletionResult]::new('janitor', 'janitor', [CompletionResultType]::ParameterValue, 'Clean up unused, expired pending and old disabled users')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'Show the audit log, newest first; verify or follow it')
            [CompletionResult]::new('recovery-codes', 'recovery-codes', [CompletionResultType]::ParameterValue, 'Issue one-time recovery codes (replacing any earlier set)')
            [CompletionResult]::new('rekey', 'rekey', [CompletionResultType]::ParameterValue, 'Re-encrypt every secret to a new set of recipients')
            [CompletionResult]::new('recipients', 'recipients', [CompletionResultType]::ParameterValue, 'List the public keys the store encrypts secrets to')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Export secrets as URIs, CSV or JSON, plain or age-encrypted')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Import users from otpauth URIs, CSV, JSON or Authelia YAML')
            [CompletionResult]::new('copy-store', 'copy-store', [CompletionResultType]::ParameterValue, 'Copy the whole store into a new, empty file or database')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mfactl;init' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Encrypt secrets to this age public key (age1...); repeat for several, e.g. an escrow key')
            [CompletionResult]::new('--recipient', '--recipient', [CompletionResultType]::ParameterName, 'Encrypt secrets to this age public key (age1...); repeat for several, e.g. an escrow key')
            [CompletionResult]::new('--issuer', '--issuer', [CompletionResultType]::ParameterName, 'Issuer shown in authenticator apps [default: mfactl]')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, for the audit log [default: the OS user]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mfactl;enroll' {
            [CompletionResult]::new('--issuer', '--issuer', [CompletionResultType]::ParameterName, 'Issuer shown in the app [default: the store''s issuer setting]')
            [CompletionResult]::new('--algorithm', '--algorithm', [CompletionResultType]::ParameterName, 'HMAC algorithm [default: the store''s algorithm setting, sha1]')
            [CompletionResult]::new('--digits', '--digits', [CompletionResultType]::ParameterName, 'Code length, 6-8 [default: the store''s digits setting, 6]')
            [CompletionResult]::new('--period', '--period', [CompletionResultType]::ParameterName, 'Time step in seconds, 10-300 [default: the store''s period setting, 30]')
            [CompletionResult]::new('--label', '--label', [CompletionResultType]::ParameterName, 'The token''s label, for a user with several (a phone, a backup device): 1-32 characters a-z, 0-9 and (not first) ''.'', ''_'', ''-'' [default: default]. Adds a token beside the user''s others (at most the max-tokens setting that are not disabled)')
            [CompletionResult]::new('--png', '--png', [CompletionResultType]::ParameterName, 'Also write the QR code as a PNG image to FILE')
            [CompletionResult]::new('--svg', '--svg', [CompletionResultType]::ParameterName, 'Also write the QR code as an SVG image to FILE')
            [CompletionResult]::new('--seal-to', '--seal-to', [CompletionResultType]::ParameterName, 'Seal the pairing (QR code, URI, secret, how to confirm) to this public key instead of showing it: an age recipient (age1...) or an SSH public key line (ssh-ed25519, ssh-rsa); repeatable. The user opens the file with age -d -i ~/.ssh/id_ed25519 FILE')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'Seal to the public keys in FILE, one a line, as age -R reads them (# comments and empty lines skipped); repeatable')
            [CompletionResult]::new('--seal-to-file', '--seal-to-file', [CompletionResultType]::ParameterName, 'Seal to the public keys in FILE, one a line, as age -R reads them (# comments and empty lines skipped); repeatable')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Where to write the sealed bundle (''-'': stdout, refused on a terminal unless --armor) [default: USER.mfa.age in the current directory]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'What the bundle holds: text for a terminal (QR code, URI, secret) or a PNG of the QR code')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, for the audit log [default: the OS user]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace the secret of a user who is already pending or enabled (on a terminal, replacing an enabled user''s asks you to type their name); with --label, only that token''s')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'With --force: do not ask on a terminal before replacing an enabled user''s secret')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'With --force: do not ask on a terminal before replacing an enabled user''s secret')
            [CompletionResult]::new('--allow-similar', '--allow-similar', [CompletionResultType]::ParameterName, 'Enroll a name that looks like an existing user''s (e.g. `Alice` or a Cyrillic `аlice` next to `alice`): only when they really are different people')
            [CompletionResult]::new('--qr', '--qr', [CompletionResultType]::ParameterName, 'Print the QR code even when stdout is not a terminal')
            [CompletionResult]::new('--no-qr', '--no-qr', [CompletionResultType]::ParameterName, 'Never print the QR code')
            [CompletionResult]::new('--qr-invert', '--qr-invert', [CompletionResultType]::ParameterName, 'Draw the QR code for a light-background terminal (dark modules as blocks)')
            [CompletionResult]::new('--overwrite', '--overwrite', [CompletionResultType]::ParameterName, 'Replace an existing --png/--svg file (a new file is made and renamed over it; a symbolic link is still refused)')
            [CompletionResult]::new('--armor', '--armor', [CompletionResultType]::ParameterName, 'Write the bundle ASCII-armored (-----BEGIN AGE ENCRYPTED FILE-----), for mail or chat')
            [CompletionResult]::new('--overwrite-out', '--overwrite-out', [CompletionResultType]::ParameterName, 'Replace an existing --out file (a new file is made and renamed over it)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mfactl;show-qr' {
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'The token to show, for a user with several live ones [default: the only live one]')
            [CompletionResult]::new('--png', '--png', [CompletionResultType]::ParameterName, 'Also write the QR code as a PNG image to FILE')
            [CompletionResult]::new('--svg', '--svg', [CompletionResultType]::ParameterName, 'Also write the QR code as an SVG image to FILE')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, for the audit log [default: the OS user]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Show the secret of an enabled user (it is live: anyone who scans it gets codes)')
            [CompletionResult]::new('--qr-invert', '--qr-invert', [CompletionResultType]::ParameterName, 'Draw the QR code for a light-background terminal (dark modules as blocks)')
            [CompletionResult]::new('--overwrite', '--overwrite', [CompletionResultType]::ParameterName, 'Replace an existing --png/--svg file (a new file is made and renamed over it; a symbolic link is still refused)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mfactl;verify' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, for the audit log [default: the OS user]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('--recovery', '--recovery', [CompletionResultType]::ParameterName, 'The code is a one-time recovery code, not a TOTP code')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing; the exit status is the answer')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing; the exit status is the answer')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mfactl;resync' {
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'The token to resync, for a user with several live ones [default: the only live one]')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, for the audit log [default: the OS user]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing; the exit status is the answer')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing; the exit status is the answer')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mfactl;disable' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, for the audit log (e.g. a ticket number)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Disable only the token with this label (a lost phone of a user who has others) and erase its secret; the user''s last live token disables the user')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, for the audit log [default: the OS user]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when not on a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when not on a terminal)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would change and change nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mfactl;list' {
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Only users in this state')
            [CompletionResult]::new('--unused-since', '--unused-since', [CompletionResultType]::ParameterName, 'Only users not used for this long: enrolled before and never used, or last used before (90d, 2w, 24h)')
            [CompletionResult]::new('--pending-older-than', '--pending-older-than', [CompletionResultType]::ParameterName, 'Only pending users whose enrollment is older than this (7d)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'wide: every column, nothing cut short (lines may be wider than the terminal)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'wide: every column, nothing cut short (lines may be wider than the terminal)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, for the audit log [default: the OS user]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('--locked', '--locked', [CompletionResultType]::ParameterName, 'Only users locked out by failed codes')
            [CompletionResult]::new('--no-headers', '--no-headers', [CompletionResultType]::ParameterName, 'Print no header line')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mfactl;show' {
            [CompletionResult]::new('--events', '--events', [CompletionResultType]::ParameterName, 'How many of the user''s latest audit events to show')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, for the audit log [default: the OS user]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mfactl;unlock' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, for the audit log [default: the OS user]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mfactl;config' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, for the audit log [default: the OS user]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print one setting, or all of them')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Change a setting')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mfactl;config;get' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, for the audit log [default: the OS user]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mfactl;config;set' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, for the audit log [default: the OS user]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mfactl;config;help' {
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print one setting, or all of them')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Change a setting')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mfactl;config;help;get' {
            break
        }
        'mfactl;config;help;set' {
            break
        }
        'mfactl;config;help;help' {
            break
        }
        'mfactl;janitor' {
            [CompletionResult]::new('--disable-unused-since', '--disable-unused-since', [CompletionResultType]::ParameterName, 'Disable enabled users not used for this long (enrolled before and never used, or last used before): 90d')
            [CompletionResult]::new('--remove-disabled-older-than', '--remove-disabled-older-than', [CompletionResultType]::ParameterName, 'Delete the rows of users disabled for longer than this (their audit history stays): 180d')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, for the audit log [default: the OS user]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('--expire-pending', '--expire-pending', [CompletionResultType]::ParameterName, 'Disable pending users whose enrollment is older than the pending-ttl setting (and such tokens beside a user''s live ones)')
            [CompletionResult]::new('--apply', '--apply', [CompletionResultType]::ParameterName, 'Make the changes (without it, only the plan is printed)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'With --apply: do not ask for confirmation (required when not on a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'With --apply: do not ask for confirmation (required when not on a terminal)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mfactl;log' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only events since this time: RFC 3339 (2026-01-31T12:00:00Z), a day (2026-01-31, from its start, UTC) or a duration ago (30m, 24h, 7d)')
            [CompletionResult]::new('--event', '--event', [CompletionResultType]::ParameterName, 'Only this event (enroll, verify-rejected, disable, ...)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'At most N events')
            [CompletionResult]::new('--anchor', '--anchor', [CompletionResultType]::ParameterName, 'With --verify: the head printed earlier (ID:HASH); that row must still be there with that hash, which detects a truncated or rewritten log')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'With --follow: how often to look for new events (default 1s)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'wide: every column, nothing cut short (lines may be wider than the terminal)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'wide: every column, nothing cut short (lines may be wider than the terminal)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, for the audit log [default: the OS user]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('--verify', '--verify', [CompletionResultType]::ParameterName, 'Recompute the hash chain: exit 0 and print the head (ID:HASH) when intact, exit 1 naming the first row that breaks it')
            [CompletionResult]::new('--head', '--head', [CompletionResultType]::ParameterName, 'Print the chain''s head (ID:HASH), to keep where the store''s writers cannot change it')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Print matching events oldest first, then new ones as they are committed, until interrupted (SIGINT, SIGTERM, closed pipe); with --json, one JSON object a line')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Print matching events oldest first, then new ones as they are committed, until interrupted (SIGINT, SIGTERM, closed pipe); with --json, one JSON object a line')
            [CompletionResult]::new('--no-headers', '--no-headers', [CompletionResultType]::ParameterName, 'Print no header line')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mfactl;recovery-codes' {
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'How many codes (1-100)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, for the audit log [default: the OS user]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask on a terminal before replacing the user''s unused codes')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask on a terminal before replacing the user''s unused codes')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mfactl;rekey' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'New recipient (age1...); repeat for several')
            [CompletionResult]::new('--recipient', '--recipient', [CompletionResultType]::ParameterName, 'New recipient (age1...); repeat for several')
            [CompletionResult]::new('--new-identity', '--new-identity', [CompletionResultType]::ParameterName, 'Generate a new identity file at PATH and encrypt to its key (with any --recipient)')
            [CompletionResult]::new('--check-identity', '--check-identity', [CompletionResultType]::ParameterName, 'An identity file whose key is among the new recipients, to prove the store stays readable (not needed with --new-identity, or when the current identity''s key is kept)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, for the audit log [default: the OS user]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('--no-identity-check', '--no-identity-check', [CompletionResultType]::ParameterName, 'Re-encrypt even though no identity at hand holds a new recipient''s key (the new keys are kept elsewhere, e.g. offline)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when not on a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when not on a terminal)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Check that every secret decrypts and print what would change; change nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mfactl;recipients' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, for the audit log [default: the OS user]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mfactl;export' {
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Only users in this state [default: pending and enabled]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: uri; json with --json]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the export to FILE (a new file, mode 0600) instead of stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the export to FILE (a new file, mode 0600) instead of stdout')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Encrypt the export to this public key (age1... or an SSH public key line); repeatable. Binary age goes to -o FILE or a pipe, never to a terminal (use --armor)')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'Encrypt to the public keys in FILE, one a line, as age -R reads them; repeatable')
            [CompletionResult]::new('--to-file', '--to-file', [CompletionResultType]::ParameterName, 'Encrypt to the public keys in FILE, one a line, as age -R reads them; repeatable')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, for the audit log [default: the OS user]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('--overwrite', '--overwrite', [CompletionResultType]::ParameterName, 'Replace FILE if it exists (never through a symbolic link)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when not on a terminal; an export encrypted with --to asks nothing)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when not on a terminal; an export encrypted with --to asks nothing)')
            [CompletionResult]::new('--armor', '--armor', [CompletionResultType]::ParameterName, 'With --to: write the encrypted export ASCII-armored')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mfactl;import' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Input format')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Status of every imported user [default: the status in the input (export writes it), else enabled: already paired elsewhere]')
            [CompletionResult]::new('--decrypt-with', '--decrypt-with', [CompletionResultType]::ParameterName, 'Decrypt an age-encrypted input (export --to) with the identity in FILE rather than the store''s (-i, MFACTL_IDENTITY, MFACTL_AGE_KEY); the age header is detected either way')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, for the audit log [default: the OS user]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Validate and report, change nothing')
            [CompletionResult]::new('--allow-similar', '--allow-similar', [CompletionResultType]::ParameterName, 'Import names that look like existing users'' or each other''s')
            [CompletionResult]::new('--allow-short-secrets', '--allow-short-secrets', [CompletionResultType]::ParameterName, 'Accept legacy secrets shorter than 128 bits (at least 80); `list` flags those users')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mfactl;copy-store' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The new store: a file path that does not exist yet, or a postgres:// URL of a database without mfactl''s schema')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, for the audit log [default: the OS user]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mfactl;completions' {
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Who is acting, for the audit log [default: the OS user]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mfactl;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create a new store')
            [CompletionResult]::new('enroll', 'enroll', [CompletionResultType]::ParameterValue, 'Enroll a user: a new secret, its QR code and otpauth URI')
            [CompletionResult]::new('show-qr', 'show-qr', [CompletionResultType]::ParameterValue, 'Print a user''s pairing QR code and otpauth URI again')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check a code; exit 0 if accepted, 1 if rejected, 2 on error')
            [CompletionResult]::new('resync', 'resync', [CompletionResultType]::ParameterValue, 'Resync a drifting token''s clock from two consecutive codes')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Disable MFA for a user and erase their secret')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List users and their MFA state (never secrets)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one user: status, lockout, parameters, recent events')
            [CompletionResult]::new('unlock', 'unlock', [CompletionResultType]::ParameterValue, 'Clear a user''s lockout and failure count')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show or change the store''s settings')
            [CompletionResult]::new('janitor', 'janitor', [CompletionResultType]::ParameterValue, 'Clean up unused, expired pending and old disabled users')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'Show the audit log, newest first; verify or follow it')
            [CompletionResult]::new('recovery-codes', 'recovery-codes', [CompletionResultType]::ParameterValue, 'Issue one-time recovery codes (replacing any earlier set)')
            [CompletionResult]::new('rekey', 'rekey', [CompletionResultType]::ParameterValue, 'Re-encrypt every secret to a new set of recipients')
            [CompletionResult]::new('recipients', 'recipients', [CompletionResultType]::ParameterValue, 'List the public keys the store encrypts secrets to')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Export secrets as URIs, CSV or JSON, plain or age-encrypted')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Import users from otpauth URIs, CSV, JSON or Authelia YAML')
            [CompletionResult]::new('copy-store', 'copy-store', [CompletionResultType]::ParameterValue, 'Copy the whole store into a new, empty file or database')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mfactl;help;init' {
            break
        }
        'mfactl;help;enroll' {
            break
        }
        'mfactl;help;show-qr' {
            break
        }
        'mfactl;help;verify' {
            break
        }
        'mfactl;help;resync' {
            break
        }
        'mfactl;help;disable' {
            break
        }
        'mfactl;help;list' {
            break
        }
        'mfactl;help;show' {
            break
        }
        'mfactl;help;unlock' {
            break
        }
        'mfactl;help;config' {
            break
        }
        'mfactl;help;janitor' {
            break
        }
        'mfactl;help;log' {
            break
        }
        'mfactl;help;recovery-codes' {
            break
        }
        'mfactl;help;rekey' {
            break
        }
        'mfactl;help;recipients' {
            break
        }
        'mfactl;help;export' {
            break
        }
        'mfactl;help;import' {
            break
        }
        'mfactl;help;copy-store' {
            break
        }
        'mfactl;help;completions' {
            break
        }
        'mfactl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
