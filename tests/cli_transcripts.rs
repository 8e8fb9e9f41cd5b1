//! Pins the CLI's face: every help text and common misuse, as transcripts in `tests/cmd/`.
//! After an intended change, refresh them with `TRYCMD=overwrite cargo test --test cli_transcripts`.

#[test]
fn cli_transcripts() {
    trycmd::TestCases::new()
        .env("NO_COLOR", "1")
        .env("MFACTL_DB", "/nonexistent/mfactl-test.db")
        .case("tests/cmd/*.toml")
        .case("tests/cmd/*.trycmd");
}
