
use builtin;
use str;

set edit:completion:arg-completer[mfactl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'mfactl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'mfactl'= {
            cand --db 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]'
            cand -i 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --identity 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --actor 'Who is acting, for the audit log [default: the OS user]'
            cand --color 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand --json 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand init 'Create a new store'
            cand enroll 'Enroll a user: a new secret, its QR code and otpauth URI'
            cand show-qr 'Print a user''s pairing QR code and otpauth URI again'
            cand verify 'Check a code; exit 0 if accepted, 1 if rejected, 2 on error'
            cand resync 'Resync a drifting token''s clock from two consecutive codes'
            cand disable 'Disable MFA for a user and erase their secret'
            cand list 'List users and their MFA state (never secrets)'
            cand show 'Show one user: status, lockout, parameters, recent events'
            cand unlock 'Clear a user''s lockout and failure count'
            cand config 'Show or change the store''s settings'
            cand janitor 'Clean up unused, expired pending and old disabled users'
            cand log 'Show the audit log, newest first; verify or follow it'
            cand recovery-codes 'Issue one-time recovery codes (replacing any earlier set)'
            cand rekey 'Re-encrypt every secret to a new set of recipients'
            cand recipients 'List the public keys the store encrypts secrets to'
            cand export 'Export secrets as URIs, CSV or JSON, plain or age-encrypted'
            cand import 'Import users from otpauth URIs, CSV, JSON or Authelia YAML'
            cand copy-store 'Copy the whole store into a new, empty file or database'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mfactl;init'= {
            cand -r 'Encrypt secrets to this age public key (age1...); repeat for several, e.g. an escrow key'
            cand --recipient 'Encrypt secrets to this age public key (age1...); repeat for several, e.g. an escrow key'
            cand --issuer 'Issuer shown in authenticator apps [default: mfactl]'
            cand --db 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]'
            cand -i 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --identity 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --actor 'Who is acting, for the audit log [default: the OS user]'
            cand --color 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand --json 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mfactl;enroll'= {
            cand --issuer 'Issuer shown in the app [default: the store''s issuer setting]'
            cand --algorithm 'HMAC algorithm [default: the store''s algorithm setting, sha1]'
            cand --digits 'Code length, 6-8 [default: the store''s digits setting, 6]'
            cand --period 'Time step in seconds, 10-300 [default: the store''s period setting, 30]'
            cand --label 'The token''s label, for a user with several (a phone, a backup device): 1-32 characters a-z, 0-9 and (not first) ''.'', ''_'', ''-'' [default: default]. Adds a token beside the user''s others (at most the max-tokens setting that are not disabled)'
            cand --png 'Also write the QR code as a PNG image to FILE'
            cand --svg 'Also write the QR code as an SVG image to FILE'
            cand --seal-to 'Seal the pairing (QR code, URI, secret, how to confirm) to this public key instead of showing it: an age recipient (age1...) or an SSH public key line (ssh-ed25519, ssh-rsa); repeatable. The user opens the file with age -d -i ~/.ssh/id_ed25519 FILE'
            cand -R 'Seal to the public keys in FILE, one a line, as age -R reads them (# comments and empty lines skipped); repeatable'
            cand --seal-to-file 'Seal to the public keys in FILE, one a line, as age -R reads them (# comments and empty lines skipped); repeatable'
            cand --out 'Where to write the sealed bundle (''-'': stdout, refused on a terminal unless --armor) [default: USER.mfa.age in the current directory]'
            cand --format 'What the bundle holds: text for a terminal (QR code, URI, secret) or a PNG of the QR code'
            cand --db 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]'
            cand -i 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --identity 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --actor 'Who is acting, for the audit log [default: the OS user]'
            cand --color 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand --force 'Replace the secret of a user who is already pending or enabled (on a terminal, replacing an enabled user''s asks you to type their name); with --label, only that token''s'
            cand -y 'With --force: do not ask on a terminal before replacing an enabled user''s secret'
            cand --yes 'With --force: do not ask on a terminal before replacing an enabled user''s secret'
            cand --allow-similar 'Enroll a name that looks like an existing user''s (e.g. `Alice` or a Cyrillic `аlice` next to `alice`): only when they really are different people'
            cand --qr 'Print the QR code even when stdout is not a terminal'
            cand --no-qr 'Never print the QR code'
            cand --qr-invert 'Draw the QR code for a light-background terminal (dark modules as blocks)'
            cand --overwrite 'Replace an existing --png/--svg file (a new file is made and renamed over it; a symbolic link is still refused)'
            cand --armor 'Write the bundle ASCII-armored (-----BEGIN AGE ENCRYPTED FILE-----), for mail or chat'
            cand --overwrite-out 'Replace an existing --out file (a new file is made and renamed over it)'
            cand --json 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mfactl;show-qr'= {
            cand --token 'The token to show, for a user with several live ones [default: the only live one]'
            cand --png 'Also write the QR code as a PNG image to FILE'
            cand --svg 'Also write the QR code as an SVG image to FILE'
            cand --db 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]'
            cand -i 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --identity 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --actor 'Who is acting, for the audit log [default: the OS user]'
            cand --color 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand --force 'Show the secret of an enabled user (it is live: anyone who scans it gets codes)'
            cand --qr-invert 'Draw the QR code for a light-background terminal (dark modules as blocks)'
            cand --overwrite 'Replace an existing --png/--svg file (a new file is made and renamed over it; a symbolic link is still refused)'
            cand --json 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mfactl;verify'= {
            cand --db 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]'
            cand -i 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --identity 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --actor 'Who is acting, for the audit log [default: the OS user]'
            cand --color 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand --recovery 'The code is a one-time recovery code, not a TOTP code'
            cand -q 'Print nothing; the exit status is the answer'
            cand --quiet 'Print nothing; the exit status is the answer'
            cand --json 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mfactl;resync'= {
            cand --token 'The token to resync, for a user with several live ones [default: the only live one]'
            cand --db 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]'
            cand -i 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --identity 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --actor 'Who is acting, for the audit log [default: the OS user]'
            cand --color 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand -q 'Print nothing; the exit status is the answer'
            cand --quiet 'Print nothing; the exit status is the answer'
            cand --json 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mfactl;disable'= {
            cand --reason 'Why, for the audit log (e.g. a ticket number)'
            cand --token 'Disable only the token with this label (a lost phone of a user who has others) and erase its secret; the user''s last live token disables the user'
            cand --db 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]'
            cand -i 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --identity 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --actor 'Who is acting, for the audit log [default: the OS user]'
            cand --color 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand -y 'Do not ask for confirmation (required when not on a terminal)'
            cand --yes 'Do not ask for confirmation (required when not on a terminal)'
            cand --dry-run 'Print what would change and change nothing'
            cand --json 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mfactl;list'= {
            cand --status 'Only users in this state'
            cand --unused-since 'Only users not used for this long: enrolled before and never used, or last used before (90d, 2w, 24h)'
            cand --pending-older-than 'Only pending users whose enrollment is older than this (7d)'
            cand -o 'wide: every column, nothing cut short (lines may be wider than the terminal)'
            cand --output 'wide: every column, nothing cut short (lines may be wider than the terminal)'
            cand --db 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]'
            cand -i 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --identity 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --actor 'Who is acting, for the audit log [default: the OS user]'
            cand --color 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand --locked 'Only users locked out by failed codes'
            cand --no-headers 'Print no header line'
            cand --json 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mfactl;show'= {
            cand --events 'How many of the user''s latest audit events to show'
            cand --db 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]'
            cand -i 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --identity 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --actor 'Who is acting, for the audit log [default: the OS user]'
            cand --color 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand --json 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mfactl;unlock'= {
            cand --db 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]'
            cand -i 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --identity 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --actor 'Who is acting, for the audit log [default: the OS user]'
            cand --color 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand --json 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mfactl;config'= {
            cand --db 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]'
            cand -i 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --identity 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --actor 'Who is acting, for the audit log [default: the OS user]'
            cand --color 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand --json 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
            cand -h 'Print help'
            cand --help 'Print help'
            cand get 'Print one setting, or all of them'
            cand set 'Change a setting'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mfactl;config;get'= {
            cand --db 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]'
            cand -i 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --identity 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --actor 'Who is acting, for the audit log [default: the OS user]'
            cand --color 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand --json 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mfactl;config;set'= {
            cand --db 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]'
            cand -i 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --identity 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --actor 'Who is acting, for the audit log [default: the OS user]'
            cand --color 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand --json 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mfactl;config;help'= {
            cand get 'Print one setting, or all of them'
            cand set 'Change a setting'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mfactl;config;help;get'= {
        }
        &'mfactl;config;help;set'= {
        }
        &'mfactl;config;help;help'= {
        }
        &'mfactl;janitor'= {
            cand --disable-unused-since 'Disable enabled users not used for this long (enrolled before and never used, or last used before): 90d'
            cand --remove-disabled-older-than 'Delete the rows of users disabled for longer than this (their audit history stays): 180d'
            cand --db 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]'
            cand -i 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --identity 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --actor 'Who is acting, for the audit log [default: the OS user]'
            cand --color 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand --expire-pending 'Disable pending users whose enrollment is older than the pending-ttl setting (and such tokens beside a user''s live ones)'
            cand --apply 'Make the changes (without it, only the plan is printed)'
            cand -y 'With --apply: do not ask for confirmation (required when not on a terminal)'
            cand --yes 'With --apply: do not ask for confirmation (required when not on a terminal)'
            cand --json 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mfactl;log'= {
            cand --since 'Only events since this time: RFC 3339 (2026-01-31T12:00:00Z), a day (2026-01-31, from its start, UTC) or a duration ago (30m, 24h, 7d)'
            cand --event 'Only this event (enroll, verify-rejected, disable, ...)'
            cand --limit 'At most N events'
            cand --anchor 'With --verify: the head printed earlier (ID:HASH); that row must still be there with that hash, which detects a truncated or rewritten log'
            cand --interval 'With --follow: how often to look for new events (default 1s)'
            cand -o 'wide: every column, nothing cut short (lines may be wider than the terminal)'
            cand --output 'wide: every column, nothing cut short (lines may be wider than the terminal)'
            cand --db 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]'
            cand -i 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --identity 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --actor 'Who is acting, for the audit log [default: the OS user]'
            cand --color 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand --verify 'Recompute the hash chain: exit 0 and print the head (ID:HASH) when intact, exit 1 naming the first row that breaks it'
            cand --head 'Print the chain''s head (ID:HASH), to keep where the store''s writers cannot change it'
            cand -f 'Print matching events oldest first, then new ones as they are committed, until interrupted (SIGINT, SIGTERM, closed pipe); with --json, one JSON object a line'
            cand --follow 'Print matching events oldest first, then new ones as they are committed, until interrupted (SIGINT, SIGTERM, closed pipe); with --json, one JSON object a line'
            cand --no-headers 'Print no header line'
            cand --json 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mfactl;recovery-codes'= {
            cand --count 'How many codes (1-100)'
            cand --db 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]'
            cand -i 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --identity 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --actor 'Who is acting, for the audit log [default: the OS user]'
            cand --color 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand -y 'Do not ask on a terminal before replacing the user''s unused codes'
            cand --yes 'Do not ask on a terminal before replacing the user''s unused codes'
            cand --json 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mfactl;rekey'= {
            cand -r 'New recipient (age1...); repeat for several'
            cand --recipient 'New recipient (age1...); repeat for several'
            cand --new-identity 'Generate a new identity file at PATH and encrypt to its key (with any --recipient)'
            cand --check-identity 'An identity file whose key is among the new recipients, to prove the store stays readable (not needed with --new-identity, or when the current identity''s key is kept)'
            cand --db 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]'
            cand -i 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --identity 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --actor 'Who is acting, for the audit log [default: the OS user]'
            cand --color 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand --no-identity-check 'Re-encrypt even though no identity at hand holds a new recipient''s key (the new keys are kept elsewhere, e.g. offline)'
            cand -y 'Do not ask for confirmation (required when not on a terminal)'
            cand --yes 'Do not ask for confirmation (required when not on a terminal)'
            cand --dry-run 'Check that every secret decrypts and print what would change; change nothing'
            cand --json 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mfactl;recipients'= {
            cand --db 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]'
            cand -i 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --identity 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --actor 'Who is acting, for the audit log [default: the OS user]'
            cand --color 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand --json 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mfactl;export'= {
            cand --status 'Only users in this state [default: pending and enabled]'
            cand --format 'Output format [default: uri; json with --json]'
            cand -o 'Write the export to FILE (a new file, mode 0600) instead of stdout'
            cand --output 'Write the export to FILE (a new file, mode 0600) instead of stdout'
            cand --to 'Encrypt the export to this public key (age1... or an SSH public key line); repeatable. Binary age goes to -o FILE or a pipe, never to a terminal (use --armor)'
            cand -R 'Encrypt to the public keys in FILE, one a line, as age -R reads them; repeatable'
            cand --to-file 'Encrypt to the public keys in FILE, one a line, as age -R reads them; repeatable'
            cand --db 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]'
            cand -i 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --identity 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --actor 'Who is acting, for the audit log [default: the OS user]'
            cand --color 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand --overwrite 'Replace FILE if it exists (never through a symbolic link)'
            cand -y 'Do not ask for confirmation (required when not on a terminal; an export encrypted with --to asks nothing)'
            cand --yes 'Do not ask for confirmation (required when not on a terminal; an export encrypted with --to asks nothing)'
            cand --armor 'With --to: write the encrypted export ASCII-armored'
            cand --json 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mfactl;import'= {
            cand --format 'Input format'
            cand --status 'Status of every imported user [default: the status in the input (export writes it), else enabled: already paired elsewhere]'
            cand --decrypt-with 'Decrypt an age-encrypted input (export --to) with the identity in FILE rather than the store''s (-i, MFACTL_IDENTITY, MFACTL_AGE_KEY); the age header is detected either way'
            cand --db 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]'
            cand -i 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --identity 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --actor 'Who is acting, for the audit log [default: the OS user]'
            cand --color 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand --dry-run 'Validate and report, change nothing'
            cand --allow-similar 'Import names that look like existing users'' or each other''s'
            cand --allow-short-secrets 'Accept legacy secrets shorter than 128 bits (at least 80); `list` flags those users'
            cand --json 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mfactl;copy-store'= {
            cand --to 'The new store: a file path that does not exist yet, or a postgres:// URL of a database without mfactl''s schema'
            cand --db 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]'
            cand -i 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --identity 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --actor 'Who is acting, for the audit log [default: the OS user]'
            cand --color 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand --json 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'mfactl;completions'= {
            cand --db 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]'
            cand -i 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --identity 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]'
            cand --actor 'Who is acting, for the audit log [default: the OS user]'
            cand --color 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never'
            cand --json 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'mfactl;help'= {
            cand init 'Create a new store'
            cand enroll 'Enroll a user: a new secret, its QR code and otpauth URI'
            cand show-qr 'Print a user''s pairing QR code and otpauth URI again'
            cand verify 'Check a code; exit 0 if accepted, 1 if rejected, 2 on error'
            cand resync 'Resync a drifting token''s clock from two consecutive codes'
            cand disable 'Disable MFA for a user and erase their secret'
            cand list 'List users and their MFA state (never secrets)'
            cand show 'Show one user: status, lockout, parameters, recent events'
            cand unlock 'Clear a user''s lockout and failure count'
            cand config 'Show or change the store''s settings'
            cand janitor 'Clean up unused, expired pending and old disabled users'
            cand log 'Show the audit log, newest first; verify or follow it'
            cand recovery-codes 'Issue one-time recovery codes (replacing any earlier set)'
            cand rekey 'Re-encrypt every secret to a new set of recipients'
            cand recipients 'List the public keys the store encrypts secrets to'
            cand export 'Export secrets as URIs, CSV or JSON, plain or age-encrypted'
            cand import 'Import users from otpauth URIs, CSV, JSON or Authelia YAML'
            cand copy-store 'Copy the whole store into a new, empty file or database'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mfactl;help;init'= {
        }
        &'mfactl;help;enroll'= {
        }
        &'mfactl;help;show-qr'= {
        }
        &'mfactl;help;verify'= {
        }
        &'mfactl;help;resync'= {
        }
        &'mfactl;help;disable'= {
        }
        &'mfactl;help;list'= {
        }
        &'mfactl;help;show'= {
        }
        &'mfactl;help;unlock'= {
        }
        &'mfactl;help;config'= {
        }
        &'mfactl;help;janitor'= {
        }
        &'mfactl;help;log'= {
        }
        &'mfactl;help;recovery-codes'= {
        }
        &'mfactl;help;rekey'= {
        }
        &'mfactl;help;recipients'= {
        }
        &'mfactl;help;export'= {
        }
        &'mfactl;help;import'= {
        }
        &'mfactl;help;copy-store'= {
        }
        &'mfactl;help;completions'= {
        }
        &'mfactl;help;help'= {
        }
    ]
    $completions[$command]
}
