//! Every command's `--json` document, pinned in one place: field names and JSON types are
//! written out here (not derived from mfactl's types), so a renamed, dropped, added or
//! retyped field fails this test. The conventions checked throughout: snake_case keys,
//! numbers as numbers, `null` for "none"; errors are one line `{"error": {...}}` documents.

mod common;

use common::*;
use serde_json::{json, Value};

/// Checks `doc` against `schema`: an object schema lists every key (no more, no fewer) with
/// its type; `[T]` is an array of T (possibly empty); a string names the type(s), `|`-separated
/// ("string", "number", "bool", "null", "object", "string|null").
fn check(path: &str, doc: &Value, schema: &Value) {
    match schema {
        Value::Object(fields) => {
            let obj = doc
                .as_object()
                .unwrap_or_else(|| panic!("{path}: expected an object, got {doc}"));
            let mut want: Vec<&String> = fields.keys().collect();
            let mut got: Vec<&String> = obj.keys().collect();
            want.sort();
            got.sort();
            assert_eq!(got, want, "{path}: keys");
            for (k, s) in fields {
                check(&format!("{path}.{k}"), &obj[k], s);
            }
        }
        Value::Array(elem) => {
            let arr = doc
                .as_array()
                .unwrap_or_else(|| panic!("{path}: expected an array, got {doc}"));
            for (i, v) in arr.iter().enumerate() {
                check(&format!("{path}[{i}]"), v, &elem[0]);
            }
        }
        Value::String(types) => {
            let ok = types.split('|').any(|t| match t {
                "string" => doc.is_string(),
                "number" => doc.is_u64() || doc.is_i64(),
                "bool" => doc.is_boolean(),
                "null" => doc.is_null(),
                "object" => doc.is_object(),
                other => panic!("unknown type {other} in the schema"),
            });
            assert!(ok, "{path}: expected {types}, got {doc}");
        }
        other => panic!("bad schema {other}"),
    }
}

/// Runs `mfactl --json ARGS` (stdin: `input`), expecting `code`; returns stdout parsed, after
/// checking it is exactly one JSON document.
fn run(env: &TestEnv, args: &[&str], input: &str, code: i32) -> Value {
    let out = env
        .cmd()
        .arg("--json")
        .args(args)
        .write_stdin(input.to_owned())
        .assert()
        .code(code);
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{args:?}: not one JSON document ({e}): {stdout}"))
}

fn user_row() -> Value {
    json!({
        "user": "string", "status": "string", "locked": "bool", "locked_until": "string|null",
        "failures": "number",
        "issuer": "string", "algorithm": "string", "digits": "number", "period": "number",
        "created_at": "string", "updated_at": "string", "enabled_at": "string|null",
        "disabled_at": "string|null", "last_used_at": "string|null",
        "recovery_codes_left": "number", "recovery_codes_legacy": "bool",
        "short_secret": "bool", "pending_expires_at": "string|null", "expired": "bool",
        "tokens": [{
            "label": "string", "status": "string", "algorithm": "string", "digits": "number",
            "period": "number", "issuer": "string", "created_at": "string",
            "enabled_at": "string|null", "last_used_at": "string|null", "drift": "number",
        }],
    })
}

fn log_entry() -> Value {
    json!({ "id": "number", "at": "string", "event": "string", "user": "string|null",
            "actor": "string", "details": "object" })
}

fn error_doc() -> Value {
    json!({ "error": { "kind": "string", "message": "string", "hint": "string|null" } })
}

#[test]
fn every_command_prints_its_documented_shape() {
    let env = TestEnv::new();
    let doc = run(&env, &["init"], "", 0);
    check(
        "init",
        &doc,
        &json!({ "store": "string", "recipients": ["string"], "issuer": "string",
                 "identity_created": "string|null" }),
    );

    let doc = run(&env, &["enroll", "alice"], "", 0);
    check(
        "enroll",
        &doc,
        &json!({ "user": "string", "status": "string", "issuer": "string",
                 "algorithm": "string", "digits": "number", "period": "number",
                 "otpauth_uri": "string", "secret": "string", "token": "string" }),
    );
    assert_eq!(doc["token"], "default");
    let secret = doc["secret"].as_str().unwrap().to_owned();

    let doc = run(&env, &["show-qr", "alice"], "", 0);
    check(
        "show-qr",
        &doc,
        &json!({ "user": "string", "status": "string", "otpauth_uri": "string",
                 "qr": "string", "files": ["string"] }),
    );

    let verify_shape = json!({ "user": "string", "accepted": "bool", "reason": "string",
                               "status": "string", "token": "string|null",
                               "locked_until": "string|null",
                               "clock_offset_seconds": "number|null" });
    let code = totp_now(&secret, "SHA1", 6, 30);
    let doc = run(&env, &["verify", "alice"], &format!("{code}\n"), 0);
    check("verify (accepted)", &doc, &verify_shape);
    let doc = run(
        &env,
        &["verify", "alice"],
        &format!("{}\n", wrong_code(&secret)),
        1,
    );
    check("verify (rejected)", &doc, &verify_shape);

    // Two consecutive codes from 3 steps ahead: the drift is set (the two codes are the
    // device's, found by the independent oracle).
    let resync_shape = json!({ "user": "string", "accepted": "bool", "reason": "string",
                               "status": "string", "drift": "number",
                               "previous_drift": "number", "drift_seconds": "number",
                               "offset_seconds": "number|null", "max_drift": "number" });
    let now = step_now();
    let (c1, c2) = (
        code_at_step(&secret, now + 2),
        code_at_step(&secret, now + 3),
    );
    let doc = run(&env, &["resync", "alice"], &format!("{c1} {c2}\n"), 0);
    check("resync (accepted)", &doc, &resync_shape);
    let doc = run(&env, &["resync", "alice"], "000000 000000\n", 1);
    check("resync (rejected)", &doc, &resync_shape);

    let doc = run(&env, &["unlock", "alice"], "", 0);
    check(
        "unlock",
        &doc,
        &json!({ "user": "string", "locked": "bool", "changed": "bool" }),
    );

    let doc = run(&env, &["recovery-codes", "alice", "--count", "2"], "", 0);
    check(
        "recovery-codes",
        &doc,
        &json!({ "user": "string", "codes": ["string"] }),
    );

    let doc = run(&env, &["list"], "", 0);
    check("list", &doc, &json!([user_row()]));
    assert_eq!(doc.as_array().unwrap().len(), 1);

    let mut show_shape = user_row();
    let extra = json!({ "locked_at": "string|null", "lockouts": "number", "max_failures": "number",
                        "drift": "number", "recent_events": [log_entry()] });
    for (k, v) in extra.as_object().unwrap() {
        show_shape[k] = v.clone();
    }
    let doc = run(&env, &["show", "alice"], "", 0);
    check("show", &doc, &show_shape);

    let doc = run(&env, &["config", "get"], "", 0);
    check(
        "config get",
        &doc,
        &json!({ "issuer": "string", "skew": "number", "max_failures": "number",
                 "algorithm": "string", "digits": "number", "period": "number",
                 "pending_ttl": "string", "max_tokens": "number", "lockout": "string",
                 "lockout_max": "string", "max_drift": "number" }),
    );
    let doc = run(&env, &["config", "get", "skew"], "", 0);
    check(
        "config get KEY",
        &doc,
        &json!({ "key": "string", "value": "number" }),
    );
    let doc = run(&env, &["config", "get", "issuer"], "", 0);
    check(
        "config get KEY",
        &doc,
        &json!({ "key": "string", "value": "string" }),
    );
    let doc = run(&env, &["config", "set", "max-failures", "7"], "", 0);
    check(
        "config set",
        &doc,
        &json!({ "key": "string", "value": "number", "previous": "number" }),
    );
    assert_eq!(doc["key"], "max_failures");

    let doc = run(&env, &["log", "--limit", "3"], "", 0);
    check("log", &doc, &json!([log_entry()]));

    let doc = run(&env, &["recipients"], "", 0);
    check("recipients", &doc, &json!(["string"]));

    let export_entry = json!({ "user": "string", "token": "string", "status": "string",
                               "issuer": "string",
                               "algorithm": "string", "digits": "number", "period": "number",
                               "secret": "string", "otpauth_uri": "string" });
    let doc = run(&env, &["export", "--yes"], "", 0);
    check("export", &doc, &json!([export_entry.clone()]));
    let doc = run(&env, &["export", "--yes", "--format", "json"], "", 0);
    check("export --format json", &doc, &json!([export_entry]));
    let doc = run(
        &env,
        &["export", "--yes", "--format", "csv", "-o", "out.csv"],
        "",
        0,
    );
    check(
        "export -o",
        &doc,
        &json!({ "output": "string", "count": "number" }),
    );

    let uri = format!("otpauth://totp/bob?secret={secret}\n");
    let import_shape = json!({ "imported": "number", "valid": "number", "dry_run": "bool",
                               "pending": "number", "enabled": "number",
                               "short_secrets": "number" });
    let doc = run(&env, &["import", "-", "--dry-run"], &uri, 0);
    check("import --dry-run", &doc, &import_shape);
    let doc = run(&env, &["import", "-"], &uri, 0);
    check("import", &doc, &import_shape);

    let doc = run(&env, &["disable", "bob", "--dry-run"], "", 0);
    check(
        "disable --dry-run",
        &doc,
        &json!({ "user": "string", "status": "string", "would_change": "bool",
                 "dry_run": "bool" }),
    );
    let doc = run(&env, &["disable", "bob", "--yes"], "", 0);
    check(
        "disable",
        &doc,
        &json!({ "user": "string", "status": "string", "changed": "bool",
                 "scrubbed": "bool|null" }),
    );

    let doc = run(
        &env,
        &["rekey", "--new-identity", "new-identity.txt", "--dry-run"],
        "",
        0,
    );
    check(
        "rekey --dry-run",
        &doc,
        &json!({ "dry_run": "bool", "secrets": "number", "recipients": ["string"],
                 "removed_recipients": ["string"], "new_identity": "string|null" }),
    );
    let doc = run(
        &env,
        &["rekey", "--new-identity", "new-identity.txt", "--yes"],
        "",
        0,
    );
    check(
        "rekey",
        &doc,
        &json!({ "secrets": "number", "recipients": ["string"],
                 "new_identity": "string|null", "scrubbed": "bool|null" }),
    );

    let copy = env.dir.path().join("copy.db");
    let doc = run(&env, &["copy-store", "--to", copy.to_str().unwrap()], "", 0);
    check(
        "copy-store",
        &doc,
        &json!({ "from": "string", "to": "string", "users": "number", "recipients": "number",
                 "settings": "number", "recovery_codes": "number", "audit_rows": "number" }),
    );
}

#[test]
fn errors_are_one_line_documents_with_a_documented_kind() {
    let env = TestEnv::initialised();
    for (args, kind) in [
        (&["show-qr", "nobody"][..], "unknown_user"),
        (&["import", "/nonexistent/users.txt"], "io"),
        (&["config", "set", "skew", "99"], "invalid_input"),
        (&["export"], "confirmation_required"),
        (&["no-such-command"], "usage"),
        (&["completions", "bash"], "usage"),
        (&["export", "--yes", "--format", "csv"], "usage"),
        (&["export", "--yes", "--format", "uri"], "usage"),
    ] {
        let out = env.cmd().arg("--json").args(args).assert().code(2);
        let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        assert_eq!(stdout.lines().count(), 1, "{args:?}: {stdout}");
        let doc: Value = serde_json::from_str(&stdout).unwrap();
        check(&format!("{args:?}"), &doc, &error_doc());
        assert_eq!(doc["error"]["kind"], kind, "{args:?}: {stdout}");
    }
}
