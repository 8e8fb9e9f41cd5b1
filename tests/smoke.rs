mod common;
use common::*;

#[test]
fn helpers_work() {
    let env = TestEnv::initialised();
    let s = env.enroll_enabled("a");
    assert!(!s.is_empty());
}
