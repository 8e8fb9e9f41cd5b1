//! The exit policy, in one place. Like grep and diff: 0 yes, 1 no, 2 trouble.

/// How mfactl exits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    /// The command did what was asked (verify: the code was accepted).
    Success = 0,
    /// verify: the code was rejected (invalid, replayed, disabled or locked).
    Rejected = 1,
    /// Bad arguments or input, unknown user, missing store, undecryptable secret, ...
    Error = 2,
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}
