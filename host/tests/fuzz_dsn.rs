//! Bounded fuzzing (proptest) of the DSN parser: it never panics, `Display`
//! round-trips, and the password never shows in `Display`, `Debug`, errors
//! or `redact`. Cases per property: `TROVE_FUZZ_CASES` (default 4000; the
//! whole file runs in a few seconds, well within CI's minute).

use proptest::prelude::*;
use trove_host::{redact, Dsn};

fn cases() -> u32 {
    std::env::var("TROVE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4000)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        // Failures are reported with their minimal input; no files are written.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// The password marker: no other generated part can contain `Qz`.
const MARK: &str = "Qz";

/// Percent-encodes everything but unreserved ASCII.
fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Debug, Clone)]
struct Parts {
    scheme: String,
    user: Option<String>,
    password: Option<String>,
    host: String,
    port: Option<u16>,
    path: String,
    params: Vec<(String, String)>,
}

impl Parts {
    fn render(&self) -> String {
        let mut s = format!("{}://", self.scheme);
        if let Some(u) = &self.user {
            s.push_str(&enc(u));
            if let Some(p) = &self.password {
                s.push(':');
                s.push_str(&enc(p));
            }
            s.push('@');
        }
        s.push_str(&enc(&self.host));
        if let Some(p) = self.port {
            s.push_str(&format!(":{p}"));
        }
        for seg in self.path.split('/').skip(1) {
            s.push('/');
            s.push_str(&enc(seg));
        }
        for (i, (k, v)) in self.params.iter().enumerate() {
            s.push(if i == 0 { '?' } else { '&' });
            s.push_str(&enc(k));
            s.push('=');
            s.push_str(&enc(v));
        }
        s
    }
}

/// Text without the marker: lower case, digits, punctuation, unicode.
fn text() -> impl Strategy<Value = String> {
    "[a-z0-9 ._~!$&'()*+,;=:@/?#%\\[\\]é☃\u{1F600}-]{0,12}"
}

fn parts() -> impl Strategy<Value = Parts> {
    (
        "[a-z][a-z0-9+.-]{0,8}",
        proptest::option::of("[a-z0-9._-]{1,10}"),
        proptest::option::of("[ -~é☃]{0,16}"),
        "[a-z0-9.-]{0,20}",
        proptest::option::of(any::<u16>()),
        proptest::collection::vec(text(), 0..4),
        proptest::collection::vec(
            (
                prop_oneof![
                    "[a-z_]{1,8}",
                    Just("secret_key".to_string()),
                    Just("token".to_string())
                ],
                text(),
            ),
            0..4,
        ),
    )
        .prop_map(|(scheme, user, pw, host, port, segs, params)| {
            let user = user.or_else(|| pw.as_ref().map(|_| "u".to_string()));
            Parts {
                scheme,
                password: pw.map(|p| format!("{MARK}{p}")),
                user,
                host,
                port,
                path: segs.iter().map(|s| format!("/{s}")).collect(),
                params,
            }
        })
}

/// Nothing printed about `d` or its errors may contain the password.
fn assert_hidden(printed: &str, password: &str) {
    assert!(
        !printed.contains(password),
        "the password {password:?} shows in {printed:?}"
    );
}

proptest! {
    #![proptest_config(config())]

    /// Arbitrary input: an answer, never a panic; what parses prints as a
    /// DSN that parses to the same thing.
    #[test]
    fn any_input_parses_or_fails_cleanly(s in "\\PC{0,60}|[a-z+.-]{0,6}://[\\PC]{0,60}") {
        match Dsn::parse(&s) {
            Ok(d) => {
                let shown = d.to_string();
                let again = Dsn::parse(&shown).unwrap_or_else(|e| panic!("{shown:?} does not parse: {e}"));
                prop_assert_eq!(again.to_string(), shown);
                let _ = format!("{d:?}");
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(!msg.is_empty());
                prop_assert_eq!(msg.lines().count(), 1, "{}", msg);
            }
        }
        let _ = redact(&s);
    }

    /// A well-formed DSN parses to its parts, `Display` round-trips (with the
    /// secrets masked) and the password shows nowhere.
    #[test]
    fn display_round_trips_and_hides_the_password(p in parts()) {
        let raw = p.render();
        let d = Dsn::parse(&raw).unwrap_or_else(|e| panic!("{raw:?}: {e}"));
        prop_assert_eq!(d.scheme(), p.scheme.as_str());
        prop_assert_eq!(d.user(), p.user.as_deref());
        prop_assert_eq!(d.password(), p.password.as_deref());
        prop_assert_eq!(d.host(), p.host.as_str());
        prop_assert_eq!(d.port(), p.port);
        prop_assert_eq!(d.path(), p.path.as_str());
        prop_assert_eq!(d.params(), &p.params[..]);

        let shown = d.to_string();
        let back = Dsn::parse(&shown).unwrap_or_else(|e| panic!("{shown:?}: {e}"));
        prop_assert_eq!(back.scheme(), d.scheme());
        prop_assert_eq!(back.user(), d.user());
        prop_assert_eq!(back.password(), d.password().map(|_| "***"));
        prop_assert_eq!(back.host(), d.host());
        prop_assert_eq!(back.port(), d.port());
        prop_assert_eq!(back.path(), d.path());
        for ((k, v), (k2, v2)) in d.params().iter().zip(back.params()) {
            prop_assert_eq!(k, k2);
            if trove_host::dsn::is_secret_param(k) {
                prop_assert_eq!(v2.as_str(), "***");
            } else {
                prop_assert_eq!(v, v2);
            }
        }
        prop_assert_eq!(back.to_string(), shown.clone());

        if let Some(pw) = &p.password {
            for printed in [shown, format!("{d:?}"), format!("{d:#?}"), d.redacted(), redact(&raw)] {
                assert_hidden(&printed, pw);
                assert_hidden(&printed, &enc(pw));
            }
            if let Err(e) = d.param_bool("token") {
                assert_hidden(&e.to_string(), pw);
            }
        }
    }

    /// Break a well-formed DSN after its userinfo (or in its scheme): whatever
    /// the parser answers, the password shows in no message.
    #[test]
    fn errors_never_quote_the_password(
        p in parts(),
        junk in "[\\PC%\\[\\]:@/?&=]{1,4}",
        // Inside the scheme: characters that break it without starting a
        // new `://` (which would turn the userinfo into a path).
        scheme_junk in "[_!%é *~]{1,3}",
        at in any::<prop::sample::Index>(),
        in_scheme in any::<bool>(),
    ) {
        let mut p = p;
        if p.password.is_none() {
            p.password = Some(format!("{MARK}pw"));
            p.user.get_or_insert_with(|| "u".to_string());
        }
        let pw = p.password.clone().unwrap();
        let raw = p.render();
        let user_end = raw.rfind('@').unwrap() + 1;
        let mut broken = raw.clone();
        if in_scheme {
            broken.insert_str(at.index(p.scheme.len() + 1), &scheme_junk);
        } else {
            let tail = &raw[user_end..];
            let mut cut = user_end + at.index(tail.len() + 1);
            while !broken.is_char_boundary(cut) {
                cut -= 1;
            }
            broken.insert_str(cut, &junk);
        }
        match Dsn::parse(&broken) {
            Ok(d) => {
                assert_hidden(&d.to_string(), &pw);
                assert_hidden(&format!("{d:?}"), &pw);
            }
            Err(e) => {
                assert_hidden(&e.to_string(), &pw);
                assert_hidden(&e.to_string(), &enc(&pw));
                assert_hidden(&format!("{e:?}"), &enc(&pw));
            }
        }
        assert_hidden(&redact(&broken), &enc(&pw));
    }
}
