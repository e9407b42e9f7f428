//! Bounded fuzzing (proptest) of bucket-name and key validation: never a
//! panic, and exactly the names wit/README.md allows are accepted.
//! Cases per property: `TROVE_FUZZ_CASES` (default 5000, about 10 s).

use proptest::prelude::*;
use trove_driver_common::names::{validate_bucket, validate_key, MAX_BUCKET_LEN, MAX_KEY_LEN};
use trove_driver_common::Error;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("TROVE_FUZZ_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(5_000),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// The rule, restated independently of the implementation.
fn bucket_ok(s: &str) -> bool {
    (1..=MAX_BUCKET_LEN).contains(&s.len())
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'))
}

fn key_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_KEY_LEN && !s.contains('\0')
}

/// Near-valid names: mostly allowed characters, sometimes not.
fn bucketish() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9._-]{0,70}",
        "[a-zA-Z0-9._/ \\-]{0,70}",
        "\\PC{0,70}",
        "[.][a-z]{0,5}",
    ]
}

fn keyish() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,40}",
        "[a-z/.\\\\\u{0}]{0,40}",
        "[ -~]{1000,1030}",
        "[é]{500,520}",
        Just("../../etc/passwd".to_string()),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn buckets_are_accepted_exactly_by_the_rule(s in bucketish()) {
        match validate_bucket(&s) {
            Ok(()) => prop_assert!(bucket_ok(&s), "{:?} was accepted", s),
            Err(Error::InvalidArgument(m)) => {
                prop_assert!(!bucket_ok(&s), "{:?} was refused: {}", s, m);
                prop_assert!(!m.is_empty());
            }
            Err(e) => prop_assert!(false, "{:?}: unexpected {:?}", s, e),
        }
    }

    #[test]
    fn keys_are_accepted_exactly_by_the_rule(s in keyish()) {
        match validate_key(&s) {
            Ok(()) => prop_assert!(key_ok(&s), "{:?} was accepted", s),
            Err(Error::InvalidArgument(m)) => {
                prop_assert!(!key_ok(&s), "{:?} was refused: {}", s, m);
                prop_assert!(m.len() < 2048, "a {} byte message", m.len());
            }
            Err(e) => prop_assert!(false, "{:?}: unexpected {:?}", s, e),
        }
    }
}
