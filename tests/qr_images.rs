//! Pairing QR codes: the PNG and SVG files and the terminal rendering all decode (with rqrr,
//! not mfactl's code) to exactly the otpauth URI, whose secret pairs (codes from the test's own
//! HOTP are accepted); show-qr's rules for enabled and disabled users.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

fn decode_grey(img: &image::GrayImage) -> String {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        img.get_pixel(x as u32, y as u32).0[0]
    });
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "expected exactly one QR code");
    grids[0].decode().expect("QR decodes").1
}

fn decode_png(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG file");
    let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)
        .expect("PNG decodes")
        .to_luma8();
    decode_grey(&img)
}

/// Rasterises the SVG qrcode 0.14 writes: a `viewBox="0 0 W H"`, a light background `<rect>`
/// and one dark `<path>` made only of `M{x} {y}h{w}v{h}H{x}V{y}` rectangles. Anything else
/// fails the test rather than being guessed at.
fn decode_svg(path: &Path) -> String {
    let svg = std::fs::read_to_string(path).unwrap();
    let attr = |tag_start: usize, name: &str| -> String {
        let rest = &svg[tag_start..];
        let end = rest.find('>').unwrap();
        let tag = &rest[..end];
        let key = format!(" {name}=\"");
        let i = tag
            .find(&key)
            .unwrap_or_else(|| panic!("no {name} in {tag}"));
        let v = &tag[i + key.len()..];
        v[..v.find('"').unwrap()].to_owned()
    };
    let svg_tag = svg.find("<svg").expect("an <svg> element");
    let view: Vec<u32> = attr(svg_tag, "viewBox")
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    let (w, h) = (view[2], view[3]);
    assert_eq!(&view[..2], &[0, 0]);
    assert_eq!(svg.matches("<path").count(), 1, "one path expected");
    let path_tag = svg.find("<path").unwrap();
    let fill = attr(path_tag, "fill");
    assert!(fill == "#000" || fill == "#000000", "dark fill {fill}");
    let d = attr(path_tag, "d");

    // Scale up so rqrr sees clean edges.
    let s = 4;
    let mut img = image::GrayImage::from_pixel(w * s, h * s, image::Luma([255]));
    let mut rects = 0;
    for part in d.split('M').filter(|p| !p.is_empty()) {
        // "{x} {y}h{w}v{h}H{x}V{y}"
        let (x, rest) = part.split_once(' ').expect("M x y");
        let (y, rest) = rest.split_once('h').expect("h");
        let (rw, rest) = rest.split_once('v').expect("v");
        let (rh, rest) = rest.split_once('H').expect("H");
        let (x2, y2) = rest.split_once('V').expect("V");
        let [x, y, rw, rh, x2, y2]: [u32; 6] =
            [x, y, rw, rh, x2, y2].map(|n| n.trim().parse().expect("integer"));
        assert_eq!((x, y), (x2, y2), "closed rectangle");
        for py in y * s..(y + rh) * s {
            for px in x * s..(x + rw) * s {
                img.put_pixel(px, py, image::Luma([0]));
            }
        }
        rects += 1;
    }
    assert!(rects > 50, "too few dark modules: {rects}");
    decode_grey(&img)
}

#[cfg(unix)]
fn assert_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{} has mode {mode:o}", path.display());
}

#[cfg(not(unix))]
fn assert_private(_: &Path) {}

/// Takes the secret out of a URI and has mfactl accept a code computed from it.
fn assert_pairs(env: &TestEnv, user: &str, uri: &str, step_ahead: u64) {
    let secret = uri
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("secret="))
        .expect("secret parameter");
    let code = totp_at(secret, "SHA1", 6, 30, unix_now() + 30 * step_ahead);
    env.cmd()
        .args(["verify", user])
        .write_stdin(format!("{code}\n"))
        .assert()
        .code(0);
}

#[test]
fn enroll_writes_png_and_svg_that_decode_to_the_uri() {
    let env = TestEnv::initialised();
    let png = env.dir.path().join("alice.png");
    let svg = env.dir.path().join("alice.svg");
    let doc = env.enroll(
        "alice",
        &[
            "--png",
            png.to_str().unwrap(),
            "--svg",
            svg.to_str().unwrap(),
        ],
    );
    let uri = doc["otpauth_uri"].as_str().unwrap();
    assert!(uri.contains(&format!("secret={}", doc["secret"].as_str().unwrap())));
    assert_eq!(decode_png(&png), uri);
    assert_eq!(decode_svg(&svg), uri);
    assert_private(&png);
    assert_private(&svg);
    // The scanned secret is the real one.
    assert_pairs(&env, "alice", &decode_png(&png), 0);
}

#[test]
fn enroll_qr_on_stdout_decodes_to_the_uri_and_pairs() {
    let env = TestEnv::initialised();
    let out = env
        .cmd()
        .args(["enroll", "alice", "--qr"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    // With the QR code, the text gives the secret for typing by hand (the URI is the code).
    let secret = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("secret:"))
        .expect("secret line")
        .split_whitespace()
        .next()
        .unwrap();
    let scanned = decode_terminal_qr(&text);
    assert_eq!(
        scanned,
        format!("otpauth://totp/mfactl:alice?secret={secret}&issuer=mfactl")
    );
    assert_pairs(&env, "alice", &scanned, 0);

    // Not a terminal and no --qr (or --no-qr): no QR code.
    for extra in [&[][..], &["--qr", "--no-qr"]] {
        let out = env
            .cmd()
            .args(["enroll", "bob", "--force"])
            .args(extra)
            .assert()
            .success();
        let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        assert!(
            !text.contains('█') && !text.contains('▀') && !text.contains('▄'),
            "{extra:?}: {text}"
        );
    }
}

#[test]
fn show_qr_of_a_pending_user_terminal_png_svg_and_json() {
    let env = TestEnv::initialised();
    let doc = env.enroll("bob", &[]);
    let uri = doc["otpauth_uri"].as_str().unwrap();

    let png = env.dir.path().join("bob.png");
    let svg = env.dir.path().join("bob.svg");
    let out = env
        .cmd()
        .args(["show-qr", "bob", "--png"])
        .arg(&png)
        .arg("--svg")
        .arg(&svg)
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(decode_terminal_qr(&text), uri);
    assert!(text.lines().any(|l| l == uri));
    assert_eq!(decode_png(&png), uri);
    assert_eq!(decode_svg(&svg), uri);
    assert_private(&png);

    let out = env
        .cmd()
        .args(["--json", "show-qr", "bob"])
        .assert()
        .success();
    let j: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(j["otpauth_uri"], uri);
    assert_eq!(decode_terminal_qr(j["qr"].as_str().unwrap()), uri);
    assert_pairs(&env, "bob", uri, 0);
}

#[test]
fn show_qr_of_an_enabled_user_needs_force_and_of_a_disabled_user_errors() {
    let env = TestEnv::initialised();
    let secret = env.enroll_enabled("carol");
    let png = env.dir.path().join("carol.png");
    let before = env.snapshot();

    let out = env
        .cmd()
        .args(["--json", "show-qr", "carol", "--png"])
        .arg(&png)
        .assert()
        .code(2);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "needs_force");
    assert!(!String::from_utf8_lossy(&out.get_output().stdout).contains(&secret));
    assert!(!png.exists(), "refused show-qr wrote an image");
    assert_eq!(
        env.snapshot(),
        before,
        "refused show-qr was audited or changed state"
    );

    let out = env
        .cmd()
        .args(["show-qr", "carol", "--force", "--png"])
        .arg(&png)
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let scanned = decode_terminal_qr(&text);
    assert!(scanned.contains(&format!("secret={secret}")), "{scanned}");
    assert_eq!(decode_png(&png), scanned);
    assert_pairs(&env, "carol", &scanned, 1);

    env.cmd()
        .args(["disable", "carol", "--yes"])
        .assert()
        .success();
    for extra in [&[][..], &["--force"]] {
        let out = env
            .cmd()
            .args(["--json", "show-qr", "carol"])
            .args(extra)
            .assert()
            .code(2);
        let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        assert_eq!(doc["error"]["kind"], "user_disabled");
    }
    let out = env
        .cmd()
        .args(["--json", "show-qr", "nobody"])
        .assert()
        .code(2);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "unknown_user");
}

#[test]
fn an_unwritable_image_path_enrolls_nothing() {
    let env = TestEnv::initialised();
    let before = env.snapshot();
    let png = env.dir.path().join("ok.png");
    let bad = env.dir.path().join("no-such-dir").join("x.svg");
    env.cmd()
        .args(["enroll", "dora", "--png"])
        .arg(&png)
        .arg("--svg")
        .arg(&bad)
        .assert()
        .code(2);
    assert_eq!(env.snapshot(), before);
    assert!(
        !png.exists(),
        "the PNG written before the failure was left behind"
    );
}

/// Decodes a QR code printed for a light-background terminal (`--qr-invert`): the glyphs are
/// the dark modules and the quiet zone is blank, so a light margin is added around the lines
/// that hold glyphs.
fn decode_inverted_terminal_qr(text: &str) -> String {
    common::decode_half_blocks(text, true, 4)
}

#[test]
fn qr_invert_draws_dark_modules_and_decodes_to_the_same_uri() {
    let env = TestEnv::initialised();
    let doc = env.enroll("alice", &[]);
    let uri = doc["otpauth_uri"].as_str().unwrap();
    let show = |extra: &[&str]| -> String {
        let out = env
            .cmd()
            .args(["show-qr", "alice"])
            .args(extra)
            .assert()
            .success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    let normal = show(&[]);
    let inverted = show(&["--qr-invert"]);
    assert_eq!(decode_terminal_qr(&normal), uri);
    assert_eq!(decode_inverted_terminal_qr(&inverted), uri);
    // The quiet zone: a row of blocks on top by default, blank when inverted.
    assert!(normal.lines().next().unwrap().chars().all(|c| c == '█'));
    assert!(inverted.lines().next().unwrap().chars().all(|c| c == ' '));

    let out = env
        .cmd()
        .args(["enroll", "bob", "--qr", "--qr-invert"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let scanned = decode_inverted_terminal_qr(&text);
    assert!(
        scanned.starts_with("otpauth://totp/mfactl:bob?secret="),
        "{scanned}"
    );
    assert_pairs(&env, "bob", &scanned, 0);
}

#[test]
fn the_scanned_uri_leaves_out_default_parameters_and_keeps_the_others() {
    let env = TestEnv::initialised();
    for (user, args, tail) in [
        ("d1", &[][..], ""),
        ("d2", &["--digits", "8"][..], "&digits=8"),
        ("d3", &["--period", "60"][..], "&period=60"),
        (
            "d4",
            &["--algorithm", "sha256", "--digits", "7", "--period", "45"][..],
            "&algorithm=SHA256&digits=7&period=45",
        ),
    ] {
        let out = env
            .cmd()
            .args(["enroll", user, "--qr"])
            .args(args)
            .assert()
            .success();
        let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        let scanned = decode_terminal_qr(&text);
        let secret = scanned
            .split(['?', '&'])
            .find_map(|kv| kv.strip_prefix("secret="))
            .unwrap();
        assert_eq!(
            scanned,
            format!("otpauth://totp/mfactl:{user}?secret={secret}&issuer=mfactl{tail}"),
            "{args:?}"
        );
    }
}

/// An issuer and a user name of 254 bytes each, all percent-encoded in the URI, and a SHA512
/// secret: too long for a QR code at error correction M, which enroll used to find out only
/// after committing the user (whose secret then could never be shown).
const LONG: &str = "ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé";

#[test]
fn a_long_issuer_and_name_with_sha512_still_gets_a_scannable_code() {
    assert_eq!(LONG.len(), 254);
    let env = TestEnv::initialised();
    let png = env.dir.path().join("long.png");
    let out = env
        .cmd()
        .args([
            "enroll",
            LONG,
            "--issuer",
            LONG,
            "--algorithm",
            "sha512",
            "--qr",
        ])
        .arg("--png")
        .arg(&png)
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let scanned = decode_terminal_qr(&text);
    assert!(scanned.contains("&algorithm=SHA512"), "{scanned}");
    assert_eq!(decode_png(&png), scanned);
    let secret = scanned
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("secret="))
        .unwrap();
    let code = totp_now(secret, "SHA512", 6, 30);
    env.cmd()
        .args(["verify", LONG])
        .write_stdin(format!("{code}\n"))
        .assert()
        .code(0);
}

#[test]
fn a_uri_too_long_for_any_qr_code_is_shown_as_text_with_a_note() {
    let env = TestEnv::initialised();
    let doc = env.enroll("alice", &["--algorithm", "sha512"]);
    let secret = doc["secret"].as_str().unwrap().to_owned();
    // A row written under older rules: an issuer of 3,000 bytes, beyond a version 40 code.
    let issuer = "€".repeat(1000);
    env.execute(&format!(
        "UPDATE mfa_token SET issuer = '{issuer}' \
         WHERE user_id IN (SELECT id FROM mfa_user WHERE %USER% = 'alice')"
    ));
    let before = env.snapshot();
    let out = env.cmd().args(["show-qr", "alice"]).assert().success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(!stdout.contains('█'), "{stdout}");
    assert!(stderr.contains("too long for"), "{stderr}");
    assert!(stdout.contains(&format!("secret: {secret}")), "{stdout}");
    let uri = stdout.lines().last().unwrap();
    assert!(uri.starts_with("otpauth://totp/%E2%82%AC"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    // Shown, so audited as any show-qr.
    assert_ne!(env.snapshot(), before);

    let out = env
        .cmd()
        .args(["--json", "show-qr", "alice"])
        .assert()
        .success();
    let j: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(j["qr"], Value::Null);
    assert_eq!(j["otpauth_uri"], uri);

    // An image file cannot be made: refused before anything is written or audited.
    let png = env.dir.path().join("a.png");
    let before = env.snapshot();
    env.cmd()
        .args(["show-qr", "alice", "--png"])
        .arg(&png)
        .assert()
        .code(2);
    assert!(!png.exists());
    assert_eq!(env.snapshot(), before);
}
