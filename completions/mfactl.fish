# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mfactl_global_optspecs
    string join \n db= i/identity= json actor= color= h/help V/version
end

function __fish_mfactl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mfactl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mfactl_using_subcommand
    set -l cmd (__fish_mfactl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mfactl -n "__fish_mfactl_needs_command" -l db -d 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]' -r
complete -c mfactl -n "__fish_mfactl_needs_command" -s i -l identity -d 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]' -r -F
complete -c mfactl -n "__fish_mfactl_needs_command" -l actor -d 'Who is acting, for the audit log [default: the OS user]' -r
complete -c mfactl -n "__fish_mfactl_needs_command" -l color -d 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mfactl -n "__fish_mfactl_needs_command" -l json -d 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
complete -c mfactl -n "__fish_mfactl_needs_command" -s h -l help -d 'Print help'
complete -c mfactl -n "__fish_mfactl_needs_command" -s V -l version -d 'Print version'
complete -c mfactl -n "__fish_mfactl_needs_command" -f -a "init" -d 'Create a new store'
complete -c mfactl -n "__fish_mfactl_needs_command" -f -a "enroll" -d 'Enroll a user: a new secret, its QR code and otpauth URI'
complete -c mfactl -n "__fish_mfactl_needs_command" -f -a "show-qr" -d 'Print a user\'s pairing QR code and otpauth URI again'
complete -c mfactl -n "__fish_mfactl_needs_command" -f -a "verify" -d 'Check a code; exit 0 if accepted, 1 if rejected, 2 on error'
complete -c mfactl -n "__fish_mfactl_needs_command" -f -a "resync" -d 'Resync a drifting token\'s clock from two consecutive codes'
complete -c mfactl -n "__fish_mfactl_needs_command" -f -a "disable" -d 'Disable MFA for a user and erase their secret'
complete -c mfactl -n "__fish_mfactl_needs_command" -f -a "list" -d 'List users and their MFA state (never secrets)'
complete -c mfactl -n "__fish_mfactl_needs_command" -f -a "show" -d 'Show one user: status, lockout, parameters, recent events'
complete -c mfactl -n "__fish_mfactl_needs_command" -f -a "unlock" -d 'Clear a user\'s lockout and failure count'
complete -c mfactl -n "__fish_mfactl_needs_command" -f -a "config" -d 'Show or change the store\'s settings'
complete -c mfactl -n "__fish_mfactl_needs_command" -f -a "janitor" -d 'Clean up unused, expired pending and old disabled users'
complete -c mfactl -n "__fish_mfactl_needs_command" -f -a "log" -d 'Show the audit log, newest first; verify or follow it'
complete -c mfactl -n "__fish_mfactl_needs_command" -f -a "recovery-codes" -d 'Issue one-time recovery codes (replacing any earlier set)'
complete -c mfactl -n "__fish_mfactl_needs_command" -f -a "rekey" -d 'Re-encrypt every secret to a new set of recipients'
complete -c mfactl -n "__fish_mfactl_needs_command" -f -a "recipients" -d 'List the public keys the store encrypts secrets to'
complete -c mfactl -n "__fish_mfactl_needs_command" -f -a "export" -d 'Export secrets as URIs, CSV or JSON, plain or age-encrypted'
complete -c mfactl -n "__fish_mfactl_needs_command" -f -a "import" -d 'Import users from otpauth URIs, CSV, JSON or Authelia YAML'
complete -c mfactl -n "__fish_mfactl_needs_command" -f -a "copy-store" -d 'Copy the whole store into a new, empty file or database'
complete -c mfactl -n "__fish_mfactl_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c mfactl -n "__fish_mfactl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mfactl -n "__fish_mfactl_using_subcommand init" -s r -l recipient -d 'Encrypt secrets to this age public key (age1...); repeat for several, e.g. an escrow key' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand init" -l issuer -d 'Issuer shown in authenticator apps [default: mfactl]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand init" -l db -d 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand init" -s i -l identity -d 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand init" -l actor -d 'Who is acting, for the audit log [default: the OS user]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand init" -l color -d 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand init" -l json -d 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
complete -c mfactl -n "__fish_mfactl_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -l issuer -d 'Issuer shown in the app [default: the store\'s issuer setting]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -l algorithm -d 'HMAC algorithm [default: the store\'s algorithm setting, sha1]' -r -f -a "sha1\t''
sha256\t''
sha512\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -l digits -d 'Code length, 6-8 [default: the store\'s digits setting, 6]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -l period -d 'Time step in seconds, 10-300 [default: the store\'s period setting, 30]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -l label -d 'The token\'s label, for a user with several (a phone, a backup device): 1-32 characters a-z, 0-9 and (not first) \'.\', \'_\', \'-\' [default: default]. Adds a token beside the user\'s others (at most the max-tokens setting that are not disabled)' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -l png -d 'Also write the QR code as a PNG image to FILE' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -l svg -d 'Also write the QR code as an SVG image to FILE' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -l seal-to -d 'Seal the pairing (QR code, URI, secret, how to confirm) to this public key instead of showing it: an age recipient (age1...) or an SSH public key line (ssh-ed25519, ssh-rsa); repeatable. The user opens the file with age -d -i ~/.ssh/id_ed25519 FILE' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -s R -l seal-to-file -d 'Seal to the public keys in FILE, one a line, as age -R reads them (# comments and empty lines skipped); repeatable' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -l out -d 'Where to write the sealed bundle (\'-\': stdout, refused on a terminal unless --armor) [default: USER.mfa.age in the current directory]' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -l format -d 'What the bundle holds: text for a terminal (QR code, URI, secret) or a PNG of the QR code' -r -f -a "text\t'Text for a terminal: QR code, otpauth URI, secret, how to confirm'
png\t'A PNG image of the QR code'"
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -l db -d 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -s i -l identity -d 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -l actor -d 'Who is acting, for the audit log [default: the OS user]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -l color -d 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -l force -d 'Replace the secret of a user who is already pending or enabled (on a terminal, replacing an enabled user\'s asks you to type their name); with --label, only that token\'s'
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -s y -l yes -d 'With --force: do not ask on a terminal before replacing an enabled user\'s secret'
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -l allow-similar -d 'Enroll a name that looks like an existing user\'s (e.g. `Alice` or a Cyrillic `аlice` next to `alice`): only when they really are different people'
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -l qr -d 'Print the QR code even when stdout is not a terminal'
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -l no-qr -d 'Never print the QR code'
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -l qr-invert -d 'Draw the QR code for a light-background terminal (dark modules as blocks)'
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -l overwrite -d 'Replace an existing --png/--svg file (a new file is made and renamed over it; a symbolic link is still refused)'
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -l armor -d 'Write the bundle ASCII-armored (-----BEGIN AGE ENCRYPTED FILE-----), for mail or chat'
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -l overwrite-out -d 'Replace an existing --out file (a new file is made and renamed over it)'
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -l json -d 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
complete -c mfactl -n "__fish_mfactl_using_subcommand enroll" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mfactl -n "__fish_mfactl_using_subcommand show-qr" -l token -d 'The token to show, for a user with several live ones [default: the only live one]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand show-qr" -l png -d 'Also write the QR code as a PNG image to FILE' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand show-qr" -l svg -d 'Also write the QR code as an SVG image to FILE' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand show-qr" -l db -d 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand show-qr" -s i -l identity -d 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand show-qr" -l actor -d 'Who is acting, for the audit log [default: the OS user]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand show-qr" -l color -d 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand show-qr" -l force -d 'Show the secret of an enabled user (it is live: anyone who scans it gets codes)'
complete -c mfactl -n "__fish_mfactl_using_subcommand show-qr" -l qr-invert -d 'Draw the QR code for a light-background terminal (dark modules as blocks)'
complete -c mfactl -n "__fish_mfactl_using_subcommand show-qr" -l overwrite -d 'Replace an existing --png/--svg file (a new file is made and renamed over it; a symbolic link is still refused)'
complete -c mfactl -n "__fish_mfactl_using_subcommand show-qr" -l json -d 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
complete -c mfactl -n "__fish_mfactl_using_subcommand show-qr" -s h -l help -d 'Print help'
complete -c mfactl -n "__fish_mfactl_using_subcommand verify" -l db -d 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand verify" -s i -l identity -d 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand verify" -l actor -d 'Who is acting, for the audit log [default: the OS user]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand verify" -l color -d 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand verify" -l recovery -d 'The code is a one-time recovery code, not a TOTP code'
complete -c mfactl -n "__fish_mfactl_using_subcommand verify" -s q -l quiet -d 'Print nothing; the exit status is the answer'
complete -c mfactl -n "__fish_mfactl_using_subcommand verify" -l json -d 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
complete -c mfactl -n "__fish_mfactl_using_subcommand verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mfactl -n "__fish_mfactl_using_subcommand resync" -l token -d 'The token to resync, for a user with several live ones [default: the only live one]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand resync" -l db -d 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand resync" -s i -l identity -d 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand resync" -l actor -d 'Who is acting, for the audit log [default: the OS user]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand resync" -l color -d 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand resync" -s q -l quiet -d 'Print nothing; the exit status is the answer'
complete -c mfactl -n "__fish_mfactl_using_subcommand resync" -l json -d 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
complete -c mfactl -n "__fish_mfactl_using_subcommand resync" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mfactl -n "__fish_mfactl_using_subcommand disable" -l reason -d 'Why, for the audit log (e.g. a ticket number)' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand disable" -l token -d 'Disable only the token with this label (a lost phone of a user who has others) and erase its secret; the user\'s last live token disables the user' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand disable" -l db -d 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand disable" -s i -l identity -d 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand disable" -l actor -d 'Who is acting, for the audit log [default: the OS user]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand disable" -l color -d 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand disable" -s y -l yes -d 'Do not ask for confirmation (required when not on a terminal)'
complete -c mfactl -n "__fish_mfactl_using_subcommand disable" -l dry-run -d 'Print what would change and change nothing'
complete -c mfactl -n "__fish_mfactl_using_subcommand disable" -l json -d 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
complete -c mfactl -n "__fish_mfactl_using_subcommand disable" -s h -l help -d 'Print help'
complete -c mfactl -n "__fish_mfactl_using_subcommand list" -l status -d 'Only users in this state' -r -f -a "pending\t''
enabled\t''
disabled\t''
locked\t'Locked out by too many failed verifications'"
complete -c mfactl -n "__fish_mfactl_using_subcommand list" -l unused-since -d 'Only users not used for this long: enrolled before and never used, or last used before (90d, 2w, 24h)' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand list" -l pending-older-than -d 'Only pending users whose enrollment is older than this (7d)' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand list" -s o -l output -d 'wide: every column, nothing cut short (lines may be wider than the terminal)' -r -f -a "wide\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand list" -l db -d 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand list" -s i -l identity -d 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand list" -l actor -d 'Who is acting, for the audit log [default: the OS user]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand list" -l color -d 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand list" -l locked -d 'Only users locked out by failed codes'
complete -c mfactl -n "__fish_mfactl_using_subcommand list" -l no-headers -d 'Print no header line'
complete -c mfactl -n "__fish_mfactl_using_subcommand list" -l json -d 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
complete -c mfactl -n "__fish_mfactl_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mfactl -n "__fish_mfactl_using_subcommand show" -l events -d 'How many of the user\'s latest audit events to show' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand show" -l db -d 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand show" -s i -l identity -d 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand show" -l actor -d 'Who is acting, for the audit log [default: the OS user]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand show" -l color -d 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand show" -l json -d 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
complete -c mfactl -n "__fish_mfactl_using_subcommand show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mfactl -n "__fish_mfactl_using_subcommand unlock" -l db -d 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand unlock" -s i -l identity -d 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand unlock" -l actor -d 'Who is acting, for the audit log [default: the OS user]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand unlock" -l color -d 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand unlock" -l json -d 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
complete -c mfactl -n "__fish_mfactl_using_subcommand unlock" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mfactl -n "__fish_mfactl_using_subcommand config; and not __fish_seen_subcommand_from get set help" -l db -d 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand config; and not __fish_seen_subcommand_from get set help" -s i -l identity -d 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand config; and not __fish_seen_subcommand_from get set help" -l actor -d 'Who is acting, for the audit log [default: the OS user]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand config; and not __fish_seen_subcommand_from get set help" -l color -d 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand config; and not __fish_seen_subcommand_from get set help" -l json -d 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
complete -c mfactl -n "__fish_mfactl_using_subcommand config; and not __fish_seen_subcommand_from get set help" -s h -l help -d 'Print help'
complete -c mfactl -n "__fish_mfactl_using_subcommand config; and not __fish_seen_subcommand_from get set help" -f -a "get" -d 'Print one setting, or all of them'
complete -c mfactl -n "__fish_mfactl_using_subcommand config; and not __fish_seen_subcommand_from get set help" -f -a "set" -d 'Change a setting'
complete -c mfactl -n "__fish_mfactl_using_subcommand config; and not __fish_seen_subcommand_from get set help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mfactl -n "__fish_mfactl_using_subcommand config; and __fish_seen_subcommand_from get" -l db -d 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand config; and __fish_seen_subcommand_from get" -s i -l identity -d 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand config; and __fish_seen_subcommand_from get" -l actor -d 'Who is acting, for the audit log [default: the OS user]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand config; and __fish_seen_subcommand_from get" -l color -d 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand config; and __fish_seen_subcommand_from get" -l json -d 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
complete -c mfactl -n "__fish_mfactl_using_subcommand config; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help'
complete -c mfactl -n "__fish_mfactl_using_subcommand config; and __fish_seen_subcommand_from set" -l db -d 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand config; and __fish_seen_subcommand_from set" -s i -l identity -d 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand config; and __fish_seen_subcommand_from set" -l actor -d 'Who is acting, for the audit log [default: the OS user]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand config; and __fish_seen_subcommand_from set" -l color -d 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand config; and __fish_seen_subcommand_from set" -l json -d 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
complete -c mfactl -n "__fish_mfactl_using_subcommand config; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mfactl -n "__fish_mfactl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "get" -d 'Print one setting, or all of them'
complete -c mfactl -n "__fish_mfactl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "set" -d 'Change a setting'
complete -c mfactl -n "__fish_mfactl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mfactl -n "__fish_mfactl_using_subcommand janitor" -l disable-unused-since -d 'Disable enabled users not used for this long (enrolled before and never used, or last used before): 90d' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand janitor" -l remove-disabled-older-than -d 'Delete the rows of users disabled for longer than this (their audit history stays): 180d' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand janitor" -l db -d 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand janitor" -s i -l identity -d 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand janitor" -l actor -d 'Who is acting, for the audit log [default: the OS user]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand janitor" -l color -d 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand janitor" -l expire-pending -d 'Disable pending users whose enrollment is older than the pending-ttl setting (and such tokens beside a user\'s live ones)'
complete -c mfactl -n "__fish_mfactl_using_subcommand janitor" -l apply -d 'Make the changes (without it, only the plan is printed)'
complete -c mfactl -n "__fish_mfactl_using_subcommand janitor" -s y -l yes -d 'With --apply: do not ask for confirmation (required when not on a terminal)'
complete -c mfactl -n "__fish_mfactl_using_subcommand janitor" -l json -d 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
complete -c mfactl -n "__fish_mfactl_using_subcommand janitor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mfactl -n "__fish_mfactl_using_subcommand log" -l since -d 'Only events since this time: RFC 3339 (2026-01-31T12:00:00Z), a day (2026-01-31, from its start, UTC) or a duration ago (30m, 24h, 7d)' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand log" -l event -d 'Only this event (enroll, verify-rejected, disable, ...)' -r -f -a "init\t''
enroll\t''
re-enroll\t''
confirm\t''
verify-accepted\t''
verify-rejected\t''
lock\t''
unlock\t''
disable\t''
show-qr\t''
recovery-codes\t''
export\t''
import\t''
rekey\t''
config-set\t''
copy-store\t''
remove\t''
resync\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand log" -l limit -d 'At most N events' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand log" -l anchor -d 'With --verify: the head printed earlier (ID:HASH); that row must still be there with that hash, which detects a truncated or rewritten log' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand log" -l interval -d 'With --follow: how often to look for new events (default 1s)' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand log" -s o -l output -d 'wide: every column, nothing cut short (lines may be wider than the terminal)' -r -f -a "wide\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand log" -l db -d 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand log" -s i -l identity -d 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand log" -l actor -d 'Who is acting, for the audit log [default: the OS user]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand log" -l color -d 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand log" -l verify -d 'Recompute the hash chain: exit 0 and print the head (ID:HASH) when intact, exit 1 naming the first row that breaks it'
complete -c mfactl -n "__fish_mfactl_using_subcommand log" -l head -d 'Print the chain\'s head (ID:HASH), to keep where the store\'s writers cannot change it'
complete -c mfactl -n "__fish_mfactl_using_subcommand log" -s f -l follow -d 'Print matching events oldest first, then new ones as they are committed, until interrupted (SIGINT, SIGTERM, closed pipe); with --json, one JSON object a line'
complete -c mfactl -n "__fish_mfactl_using_subcommand log" -l no-headers -d 'Print no header line'
complete -c mfactl -n "__fish_mfactl_using_subcommand log" -l json -d 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
complete -c mfactl -n "__fish_mfactl_using_subcommand log" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mfactl -n "__fish_mfactl_using_subcommand recovery-codes" -l count -d 'How many codes (1-100)' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand recovery-codes" -l db -d 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand recovery-codes" -s i -l identity -d 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand recovery-codes" -l actor -d 'Who is acting, for the audit log [default: the OS user]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand recovery-codes" -l color -d 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand recovery-codes" -s y -l yes -d 'Do not ask on a terminal before replacing the user\'s unused codes'
complete -c mfactl -n "__fish_mfactl_using_subcommand recovery-codes" -l json -d 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
complete -c mfactl -n "__fish_mfactl_using_subcommand recovery-codes" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mfactl -n "__fish_mfactl_using_subcommand rekey" -s r -l recipient -d 'New recipient (age1...); repeat for several' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand rekey" -l new-identity -d 'Generate a new identity file at PATH and encrypt to its key (with any --recipient)' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand rekey" -l check-identity -d 'An identity file whose key is among the new recipients, to prove the store stays readable (not needed with --new-identity, or when the current identity\'s key is kept)' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand rekey" -l db -d 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand rekey" -s i -l identity -d 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand rekey" -l actor -d 'Who is acting, for the audit log [default: the OS user]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand rekey" -l color -d 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand rekey" -l no-identity-check -d 'Re-encrypt even though no identity at hand holds a new recipient\'s key (the new keys are kept elsewhere, e.g. offline)'
complete -c mfactl -n "__fish_mfactl_using_subcommand rekey" -s y -l yes -d 'Do not ask for confirmation (required when not on a terminal)'
complete -c mfactl -n "__fish_mfactl_using_subcommand rekey" -l dry-run -d 'Check that every secret decrypts and print what would change; change nothing'
complete -c mfactl -n "__fish_mfactl_using_subcommand rekey" -l json -d 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
complete -c mfactl -n "__fish_mfactl_using_subcommand rekey" -s h -l help -d 'Print help'
complete -c mfactl -n "__fish_mfactl_using_subcommand recipients" -l db -d 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand recipients" -s i -l identity -d 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand recipients" -l actor -d 'Who is acting, for the audit log [default: the OS user]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand recipients" -l color -d 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand recipients" -l json -d 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
complete -c mfactl -n "__fish_mfactl_using_subcommand recipients" -s h -l help -d 'Print help'
complete -c mfactl -n "__fish_mfactl_using_subcommand export" -l status -d 'Only users in this state [default: pending and enabled]' -r -f -a "pending\t''
enabled\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand export" -l format -d 'Output format [default: uri; json with --json]' -r -f -a "uri\t'One otpauth:// URI per token, with its status and label as `status` and `token` parameters'
csv\t'user,token,status,uri with a header line'
json\t'A JSON array of objects'"
complete -c mfactl -n "__fish_mfactl_using_subcommand export" -s o -l output -d 'Write the export to FILE (a new file, mode 0600) instead of stdout' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand export" -l to -d 'Encrypt the export to this public key (age1... or an SSH public key line); repeatable. Binary age goes to -o FILE or a pipe, never to a terminal (use --armor)' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand export" -s R -l to-file -d 'Encrypt to the public keys in FILE, one a line, as age -R reads them; repeatable' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand export" -l db -d 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand export" -s i -l identity -d 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand export" -l actor -d 'Who is acting, for the audit log [default: the OS user]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand export" -l color -d 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand export" -l overwrite -d 'Replace FILE if it exists (never through a symbolic link)'
complete -c mfactl -n "__fish_mfactl_using_subcommand export" -s y -l yes -d 'Do not ask for confirmation (required when not on a terminal; an export encrypted with --to asks nothing)'
complete -c mfactl -n "__fish_mfactl_using_subcommand export" -l armor -d 'With --to: write the encrypted export ASCII-armored'
complete -c mfactl -n "__fish_mfactl_using_subcommand export" -l json -d 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
complete -c mfactl -n "__fish_mfactl_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mfactl -n "__fish_mfactl_using_subcommand import" -l format -d 'Input format' -r -f -a "uri\t'One otpauth:// URI per line'
csv\t'CSV with a `uri` column (and `user`, `status`), or Authelia\'s issuer,username,algorithm,digits,period,secret'
json\t'The array `export --format json` writes'
yaml\t'Authelia\'s `storage user totp export` YAML (totp_configurations)'"
complete -c mfactl -n "__fish_mfactl_using_subcommand import" -l status -d 'Status of every imported user [default: the status in the input (export writes it), else enabled: already paired elsewhere]' -r -f -a "pending\t''
enabled\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand import" -l decrypt-with -d 'Decrypt an age-encrypted input (export --to) with the identity in FILE rather than the store\'s (-i, MFACTL_IDENTITY, MFACTL_AGE_KEY); the age header is detected either way' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand import" -l db -d 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand import" -s i -l identity -d 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand import" -l actor -d 'Who is acting, for the audit log [default: the OS user]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand import" -l color -d 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand import" -l dry-run -d 'Validate and report, change nothing'
complete -c mfactl -n "__fish_mfactl_using_subcommand import" -l allow-similar -d 'Import names that look like existing users\' or each other\'s'
complete -c mfactl -n "__fish_mfactl_using_subcommand import" -l allow-short-secrets -d 'Accept legacy secrets shorter than 128 bits (at least 80); `list` flags those users'
complete -c mfactl -n "__fish_mfactl_using_subcommand import" -l json -d 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
complete -c mfactl -n "__fish_mfactl_using_subcommand import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mfactl -n "__fish_mfactl_using_subcommand copy-store" -l to -d 'The new store: a file path that does not exist yet, or a postgres:// URL of a database without mfactl\'s schema' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand copy-store" -l db -d 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand copy-store" -s i -l identity -d 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand copy-store" -l actor -d 'Who is acting, for the audit log [default: the OS user]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand copy-store" -l color -d 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand copy-store" -l json -d 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
complete -c mfactl -n "__fish_mfactl_using_subcommand copy-store" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mfactl -n "__fish_mfactl_using_subcommand completions" -l db -d 'The store: a file, or a postgres:// URL for a shared PostgreSQL database [default: $XDG_DATA_HOME/mfactl/mfactl.db]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand completions" -s i -l identity -d 'The age identity file (X25519, as age-keygen writes it) [default: $XDG_CONFIG_HOME/mfactl/identity.txt]' -r -F
complete -c mfactl -n "__fish_mfactl_using_subcommand completions" -l actor -d 'Who is acting, for the audit log [default: the OS user]' -r
complete -c mfactl -n "__fish_mfactl_using_subcommand completions" -l color -d 'When to colour output: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mfactl -n "__fish_mfactl_using_subcommand completions" -l json -d 'Print exactly one JSON document on stdout (errors too, as {"error": {...}})'
complete -c mfactl -n "__fish_mfactl_using_subcommand completions" -s h -l help -d 'Print help'
complete -c mfactl -n "__fish_mfactl_using_subcommand help; and not __fish_seen_subcommand_from init enroll show-qr verify resync disable list show unlock config janitor log recovery-codes rekey recipients export import copy-store completions help" -f -a "init" -d 'Create a new store'
complete -c mfactl -n "__fish_mfactl_using_subcommand help; and not __fish_seen_subcommand_from init enroll show-qr verify resync disable list show unlock config janitor log recovery-codes rekey recipients export import copy-store completions help" -f -a "enroll" -d 'Enroll a user: a new secret, its QR code and otpauth URI'
complete -c mfactl -n "__fish_mfactl_using_subcommand help; and not __fish_seen_subcommand_from init enroll show-qr verify resync disable list show unlock config janitor log recovery-codes rekey recipients export import copy-store completions help" -f -a "show-qr" -d 'Print a user\'s pairing QR code and otpauth URI again'
complete -c mfactl -n "__fish_mfactl_using_subcommand help; and not __fish_seen_subcommand_from init enroll show-qr verify resync disable list show unlock config janitor log recovery-codes rekey recipients export import copy-store completions help" -f -a "verify" -d 'Check a code; exit 0 if accepted, 1 if rejected, 2 on error'
complete -c mfactl -n "__fish_mfactl_using_subcommand help; and not __fish_seen_subcommand_from init enroll show-qr verify resync disable list show unlock config janitor log recovery-codes rekey recipients export import copy-store completions help" -f -a "resync" -d 'Resync a drifting token\'s clock from two consecutive codes'
complete -c mfactl -n "__fish_mfactl_using_subcommand help; and not __fish_seen_subcommand_from init enroll show-qr verify resync disable list show unlock config janitor log recovery-codes rekey recipients export import copy-store completions help" -f -a "disable" -d 'Disable MFA for a user and erase their secret'
complete -c mfactl -n "__fish_mfactl_using_subcommand help; and not __fish_seen_subcommand_from init enroll show-qr verify resync disable list show unlock config janitor log recovery-codes rekey recipients export import copy-store completions help" -f -a "list" -d 'List users and their MFA state (never secrets)'
complete -c mfactl -n "__fish_mfactl_using_subcommand help; and not __fish_seen_subcommand_from init enroll show-qr verify resync disable list show unlock config janitor log recovery-codes rekey recipients export import copy-store completions help" -f -a "show" -d 'Show one user: status, lockout, parameters, recent events'
complete -c mfactl -n "__fish_mfactl_using_subcommand help; and not __fish_seen_subcommand_from init enroll show-qr verify resync disable list show unlock config janitor log recovery-codes rekey recipients export import copy-store completions help" -f -a "unlock" -d 'Clear a user\'s lockout and failure count'
complete -c mfactl -n "__fish_mfactl_using_subcommand help; and not __fish_seen_subcommand_from init enroll show-qr verify resync disable list show unlock config janitor log recovery-codes rekey recipients export import copy-store completions help" -f -a "config" -d 'Show or change the store\'s settings'
complete -c mfactl -n "__fish_mfactl_using_subcommand help; and not __fish_seen_subcommand_from init enroll show-qr verify resync disable list show unlock config janitor log recovery-codes rekey recipients export import copy-store completions help" -f -a "janitor" -d 'Clean up unused, expired pending and old disabled users'
complete -c mfactl -n "__fish_mfactl_using_subcommand help; and not __fish_seen_subcommand_from init enroll show-qr verify resync disable list show unlock config janitor log recovery-codes rekey recipients export import copy-store completions help" -f -a "log" -d 'Show the audit log, newest first; verify or follow it'
complete -c mfactl -n "__fish_mfactl_using_subcommand help; and not __fish_seen_subcommand_from init enroll show-qr verify resync disable list show unlock config janitor log recovery-codes rekey recipients export import copy-store completions help" -f -a "recovery-codes" -d 'Issue one-time recovery codes (replacing any earlier set)'
complete -c mfactl -n "__fish_mfactl_using_subcommand help; and not __fish_seen_subcommand_from init enroll show-qr verify resync disable list show unlock config janitor log recovery-codes rekey recipients export import copy-store completions help" -f -a "rekey" -d 'Re-encrypt every secret to a new set of recipients'
complete -c mfactl -n "__fish_mfactl_using_subcommand help; and not __fish_seen_subcommand_from init enroll show-qr verify resync disable list show unlock config janitor log recovery-codes rekey recipients export import copy-store completions help" -f -a "recipients" -d 'List the public keys the store encrypts secrets to'
complete -c mfactl -n "__fish_mfactl_using_subcommand help; and not __fish_seen_subcommand_from init enroll show-qr verify resync disable list show unlock config janitor log recovery-codes rekey recipients export import copy-store completions help" -f -a "export" -d 'Export secrets as URIs, CSV or JSON, plain or age-encrypted'
complete -c mfactl -n "__fish_mfactl_using_subcommand help; and not __fish_seen_subcommand_from init enroll show-qr verify resync disable list show unlock config janitor log recovery-codes rekey recipients export import copy-store completions help" -f -a "import" -d 'Import users from otpauth URIs, CSV, JSON or Authelia YAML'
complete -c mfactl -n "__fish_mfactl_using_subcommand help; and not __fish_seen_subcommand_from init enroll show-qr verify resync disable list show unlock config janitor log recovery-codes rekey recipients export import copy-store completions help" -f -a "copy-store" -d 'Copy the whole store into a new, empty file or database'
complete -c mfactl -n "__fish_mfactl_using_subcommand help; and not __fish_seen_subcommand_from init enroll show-qr verify resync disable list show unlock config janitor log recovery-codes rekey recipients export import copy-store completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c mfactl -n "__fish_mfactl_using_subcommand help; and not __fish_seen_subcommand_from init enroll show-qr verify resync disable list show unlock config janitor log recovery-codes rekey recipients export import copy-store completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'

# User names from the store (`mfactl __complete-users`), where a command takes one.
function __fish_mfactl_users
    set -l words (commandline -opc)
    set -l db
    set -l sub
    set -l npos 0
    set -l i 2
    while test $i -le (count $words)
        set -l w $words[$i]
        if test "$w" = --db
            set i (math $i + 1)
            set db --db $words[$i]
        else if contains -- $w --identity -i --actor --color --recipient -r --issuer --algorithm --digits --period --label --png --svg --seal-to --seal-to-file -R --out --format --token --reason --status --unused-since --pending-older-than --output -o --events --disable-unused-since --remove-disabled-older-than --since --event --limit --anchor --interval --count --new-identity --check-identity --to --to-file --decrypt-with
            set i (math $i + 1)
        else if string match -q -- '-*' $w
        else if test -z "$sub"
            set sub $w
        else
            set npos (math $npos + 1)
        end
        set i (math $i + 1)
    end
    # The token is an option's value (`--db <TAB>`).
    test $i -gt (math (count $words) + 1); and return
    if test $npos -eq 0; and contains -- "$sub" show-qr verify resync disable show unlock log recovery-codes
        $words[1] $db __complete-users -- (commandline -ct) 2>/dev/null </dev/null
    end
end
complete -c mfactl -f -n "__fish_mfactl_using_subcommand show-qr verify resync disable show unlock log recovery-codes" -a "(__fish_mfactl_users)"
