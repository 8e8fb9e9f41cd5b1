#!/usr/bin/env bash
# `mfactl janitor` on a generated store of N users (default 100,000) with varied histories,
# release build, on SQLite and, when MFACTL_TEST_PG names a PostgreSQL server (a superuser URL,
# e.g. from `.ci/pg-cluster start`), on PostgreSQL too. Prints a Markdown section and, with
# --write, puts it into BENCHMARKS.md between the markers `<!-- janitor:begin -->` and
# `<!-- janitor:end -->` (appended once if missing), leaving the rest of the file (benches/cli.sh's)
# alone.
#
#   bash benches/janitor.sh [--write]
#
# Users are written with one SQL statement (sqlite3 / psql), not N processes; their ciphertexts
# are placeholders (the janitor decrypts nothing). Ages as in tests/janitor.rs: 60 % enabled (a
# third never used), 20 % pending, 20 % disabled, created 1-400 days ago. JANITOR_USERS sets N,
# JANITOR_RUNS the runs of each measurement (default 3, fresh copies: a file copy on SQLite, a
# database made from the generated one as template on PostgreSQL).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
N=${JANITOR_USERS:-100000}
RUNS=${JANITOR_RUNS:-3}
command -v sqlite3 >/dev/null || { echo "needs sqlite3" >&2; exit 2; }

cargo build --release --quiet --bin mfactl
B=${CARGO_TARGET_DIR:-$ROOT/target}/release/mfactl
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mfactl-janitor.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
unset MFACTL_AGE_KEY MFACTL_PASSPHRASE
export MFACTL_IDENTITY=$WORK/id.txt MFACTL_ACTOR=bench NO_COLOR=1
BASE=$WORK/base.db
MFACTL_DB=$BASE "$B" init >/dev/null 2>&1

ago() { # SQL expression: N days (an SQL expression) and 12 h before now, as stored
    echo "strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-12 hours', printf('-%d days', $1))"
}
created="(1 + (i * 7919) % 400)"
sqlite3 "$BASE" <<SQL
CREATE TEMP TABLE g AS
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $N)
SELECT printf('00000000-0000-4000-8000-%012d', i) AS id, printf('user%07d', i) AS user,
       CASE WHEN i % 10 >= 8 THEN NULL ELSE x'00' END AS secret,
       CASE WHEN i % 10 < 6 THEN 'enabled' WHEN i % 10 < 8 THEN 'pending' ELSE 'disabled' END AS status,
       $(ago "$created") AS created_at,
       CASE WHEN i % 10 IN (6, 7) AND i % 4 = 0 THEN $(ago "i % 5") ELSE $(ago "$created") END AS updated_at,
       CASE WHEN i % 10 < 6 THEN $(ago "$created") END AS enabled_at,
       CASE WHEN i % 10 >= 8 THEN $(ago "(i * 13) % $created") END AS disabled_at,
       CASE WHEN i % 10 < 6 AND i % 3 <> 0 THEN $(ago "(i * 31) % $created") END AS last_used_at
FROM n;
-- One user and one token (labelled default, with the user's id, as migration 4 makes them).
INSERT INTO mfa_user (id, user, created_at, updated_at)
SELECT id, user, created_at, updated_at FROM g;
INSERT INTO mfa_token (id, user_id, label, secret, status, algorithm, digits, period, issuer,
                       created_at, updated_at, enabled_at, disabled_at, last_used_at)
SELECT id, id, 'default', secret, status, 'SHA1', 6, 30, 'mfactl',
       created_at, updated_at, enabled_at, disabled_at, last_used_at FROM g;
SQL
RULES=(--disable-unused-since 90d --remove-disabled-older-than 180d --expire-pending)

now_ns() { date +%s%N; }
sec() { awk -v ms="$1" 'BEGIN { printf "%.2f s", ms / 1000 }'; }
# Best (least disturbed) of RUNS runs, each on a fresh copy of the generated store.
measure() { # backend (sqlite|pg), label, mfactl args...
    local backend=$1 label=$2 best= t0 t1 ms db
    shift 2
    for _ in $(seq "$RUNS"); do
        if [ "$backend" = sqlite ]; then
            rm -f "$WORK/run.db"*
            cp "$BASE" "$WORK/run.db"
            db=$WORK/run.db
        else
            psql -qX "$PG_ADMIN" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $PG_RUN" -c "CREATE DATABASE $PG_RUN TEMPLATE $PG_BASE" >/dev/null
            db=$(pg_url "$PG_RUN")
        fi
        t0=$(now_ns)
        MFACTL_DB=$db "$B" "$@" >"$WORK/out.json"
        t1=$(now_ns)
        ms=$(((t1 - t0) / 1000000))
        if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
    done
    echo "$label $best"
}
# Runs plan, apply and verify on one backend: sets PLAN_MS APPLY_MS ACTIONS VERIFY_MS ROWS.
bench() { # backend
    local db count
    read -r _ PLAN_MS < <(measure "$1" plan --json janitor "${RULES[@]}")
    read -r _ APPLY_MS < <(measure "$1" apply --json janitor "${RULES[@]}" --apply --yes)
    if [ "$1" = sqlite ]; then
        db=$WORK/run.db
        count=(sqlite3 "$WORK/run.db")
    else
        db=$(pg_url "$PG_RUN")
        count=(psql -qXtA "$db" -c "SET search_path TO mfactl" -c)
    fi
    ACTIONS=$("${count[@]}" "SELECT count(*) FROM audit_log WHERE event IN ('disable', 'remove')")
    MFACTL_DB=$db "$B" log --verify >/dev/null 2>&1 || { echo "chain broken after apply" >&2; exit 1; }
    t0=$(now_ns)
    MFACTL_DB=$db "$B" log --verify >/dev/null 2>&1
    VERIFY_MS=$((($(now_ns) - t0) / 1000000))
    ROWS=$("${count[@]}" "SELECT count(*) FROM audit_log")
}
bench sqlite
S_PLAN=$PLAN_MS S_APPLY=$APPLY_MS S_ACTIONS=$ACTIONS S_VERIFY=$VERIFY_MS S_ROWS=$ROWS

if [ -n "${MFACTL_TEST_PG:-}" ]; then
    command -v psql >/dev/null || { echo "needs psql for PostgreSQL" >&2; exit 2; }
    # The same URL with another database name (libpq form: .../DBNAME?params).
    pg_url() { sed -E "s#^(postgres(ql)?://[^/]*/)[^?]*#\1$1#" <<<"$MFACTL_TEST_PG"; }
    PG_ADMIN=$MFACTL_TEST_PG PG_BASE=mfactl_janitor_base PG_RUN=mfactl_janitor_run
    psql -qX "$PG_ADMIN" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $PG_RUN" \
        -c "DROP DATABASE IF EXISTS $PG_BASE" -c "CREATE DATABASE $PG_BASE" >/dev/null
    trap 'rm -rf "$WORK"; psql -qX "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PG_RUN" -c "DROP DATABASE IF EXISTS $PG_BASE" >/dev/null 2>&1 || true' EXIT
    MFACTL_DB=$(pg_url "$PG_BASE") "$B" init >/dev/null 2>&1
    pago() { # as ago, in PostgreSQL
        echo "to_char(timezone('UTC', now()) - interval '12 hours' - make_interval(days => ($1)::int), 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    }
    created="(1 + (i * 7919) % 400)"
    psql -qX "$(pg_url "$PG_BASE")" >/dev/null <<SQL
SET search_path TO mfactl;
CREATE TEMP TABLE g AS
SELECT '00000000-0000-4000-8000-' || lpad(i::text, 12, '0') AS id, 'user' || lpad(i::text, 7, '0') AS username,
       CASE WHEN i % 10 >= 8 THEN NULL ELSE '\x00'::bytea END AS secret,
       CASE WHEN i % 10 < 6 THEN 'enabled' WHEN i % 10 < 8 THEN 'pending' ELSE 'disabled' END AS status,
       $(pago "$created") AS created_at,
       CASE WHEN i % 10 IN (6, 7) AND i % 4 = 0 THEN $(pago "i % 5") ELSE $(pago "$created") END AS updated_at,
       CASE WHEN i % 10 < 6 THEN $(pago "$created") END AS enabled_at,
       CASE WHEN i % 10 >= 8 THEN $(pago "(i * 13) % $created") END AS disabled_at,
       CASE WHEN i % 10 < 6 AND i % 3 <> 0 THEN $(pago "(i * 31) % $created") END AS last_used_at
FROM generate_series(0, $N - 1) AS n(i);
INSERT INTO mfa_user (id, username, created_at, updated_at)
SELECT id, username, created_at, updated_at FROM g;
INSERT INTO mfa_token (id, user_id, label, secret, status, algorithm, digits, period, issuer,
                       created_at, updated_at, enabled_at, disabled_at, last_used_at)
SELECT id, id, 'default', secret, status, 'SHA1', 6, 30, 'mfactl',
       created_at, updated_at, enabled_at, disabled_at, last_used_at FROM g;
ANALYZE;
SQL
    bench pg
    PG_ROWS="
| PostgreSQL $(psql -qXtA "$PG_ADMIN" -c 'SHOW server_version' | cut -d' ' -f1) (Unix socket): plan | $(sec "$PLAN_MS") |
| PostgreSQL: \`--apply --yes\`, $ACTIONS users, one transaction | $(sec "$APPLY_MS") |
| PostgreSQL: \`log --verify\` afterwards ($ROWS audit rows) | $(sec "$VERIFY_MS") |"
fi

SECTION=$(cat <<MD
<!-- janitor:begin -->
## Janitor and audit chain (benches/janitor.sh)

\`mfactl janitor ${RULES[*]}\` on a SQLite store${PG_ROWS:+ and a PostgreSQL one} of $N users (60 % enabled, 20 % pending,
20 % disabled, created 1-400 days ago), release build, best of $RUNS runs on fresh copies,
$(nproc) cores (load average $(cut -d' ' -f1 /proc/loadavg) at the end: a shared machine), $(date -u +%Y-%m-%d).
Target: under 5 s.

| Measurement | Time |
|---|---|
| plan (\`--json\`, nothing changed) | $(sec "$S_PLAN") |
| \`--apply --yes\`: $S_ACTIONS users disabled or removed, one transaction, one chained audit row each | $(sec "$S_APPLY") |
| \`log --verify\` afterwards ($S_ROWS audit rows) | $(sec "$S_VERIFY") |${PG_ROWS:-}
<!-- janitor:end -->
MD
)
echo "$SECTION"
if [ "${1:-}" = --write ]; then
    F=$ROOT/BENCHMARKS.md
    if grep -q '<!-- janitor:begin -->' "$F"; then
        awk -v section="$SECTION" '
            /<!-- janitor:begin -->/ { print section; skip = 1; next }
            /<!-- janitor:end -->/ { skip = 0; next }
            !skip { print }' "$F" >"$F.new" && mv "$F.new" "$F"
    else
        printf '\n%s\n' "$SECTION" >>"$F"
    fi
fi
