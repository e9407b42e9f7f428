//! Data source names: `scheme://[user[:password]@]host[:port][/path][?query]`.
//!
//! A DSN names a storage backend and how to reach it, e.g.
//!
//! ```text
//! mem://
//! file:///var/lib/trove
//! s3://AKID:SECRET@bucket?region=eu-west-1&endpoint=http%3A%2F%2F127.0.0.1%3A9000
//! sftp://user:p%40ss@host:22/base/path
//! ```
//!
//! [`Dsn::parse`] splits such a string into its parts, the way the Go trove's
//! `ParseDSN` does:
//!
//! * the **scheme** is required (`://` must follow it), lowercased, and must
//!   start with a letter and contain only letters, digits, `+`, `-` and `.`;
//! * the **authority** runs from `://` to the first `/` or `?`. Its userinfo
//!   ends at the *last* `@` and is split at the *first* `:`, so a raw `@` or
//!   `:` in a password is tolerated (a raw `/`, `?` is not: percent-encode it);
//! * the **host** may be empty (`mem://`, `file:///abs`) or an IPv6 address in
//!   brackets (`[::1]:9000`, stored without the brackets);
//! * the **path** keeps its leading `/`;
//! * the **query** is a list of `name=value` pairs, multi-valued and in order;
//!   `+` means a space there (and only there).
//!
//! User, password, host, path and the query's names and values are
//! percent-decoded and must be valid UTF-8 afterwards. Surrounding whitespace
//! of the whole DSN is ignored; `#` has no special meaning (there are no
//! fragments).
//!
//! # Secrets
//!
//! DSNs carry credentials, so nothing here prints them: [`Dsn`]'s `Display`
//! and `Debug` show the password and the values of secret-looking query
//! parameters (see [`is_secret_param`]) as `***`, and every [`DsnError`]
//! quotes the input only through [`redact`], which masks them even when the
//! string does not parse.

use std::fmt;
use std::net::Ipv6Addr;
use std::ops::Range;
use std::str::FromStr;

use percent_encoding::{
    percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS, NON_ALPHANUMERIC,
};

/// What a redacted secret is replaced with.
const MASK: &str = "***";

/// Query parameter names containing one of these words (ignoring case) hold
/// secrets. Substrings count: `secret_key`, `access_token`, `x-amz-signature`.
const SECRET_WORDS: &[&str] = &[
    "secret",
    "password",
    "passwd",
    "token",
    "sig",
    "signature",
    "key",
    "account_key",
    "sas",
    "credential",
];

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// The part of a DSN a decoding error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DsnPart {
    User,
    Password,
    Host,
    Path,
    ParamName,
    ParamValue,
}

impl fmt::Display for DsnPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DsnPart::User => "user name",
            DsnPart::Password => "password",
            DsnPart::Host => "host",
            DsnPart::Path => "path",
            DsnPart::ParamName => "query parameter name",
            DsnPart::ParamValue => "query parameter value",
        })
    }
}

/// Why a DSN could not be parsed, or a parameter could not be read.
///
/// Every `dsn` field holds the input passed through [`redact`] (or, for
/// [`DsnError::BadParam`], the parsed DSN's redacted form), so the messages are
/// safe to log. Fields never quote a password or a secret parameter's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DsnError {
    /// The DSN is empty or only whitespace.
    #[error("empty DSN")]
    Empty,

    /// There is no `SCHEME://` prefix.
    #[error("DSN has no scheme: expected SCHEME://... (got {dsn:?})")]
    MissingScheme { dsn: String },

    /// The scheme does not start with a letter or has a character other than
    /// letters, digits, `+`, `-` and `.`.
    #[error(
        "invalid scheme {scheme:?} in DSN {dsn:?}: a scheme starts with a letter \
         and contains only letters, digits, '+', '-' and '.'"
    )]
    BadScheme { scheme: String, dsn: String },

    /// The port is empty, not a number, or greater than 65535.
    #[error("invalid port in DSN {dsn:?}: {reason}")]
    BadPort { reason: &'static str, dsn: String },

    /// A `%` is not followed by two hex digits. `escape` is the offending text
    /// (`%zz`, `%4`), or `***` when it lies in a secret.
    #[error(
        "invalid percent-escape {escape:?} in the {part} of DSN {dsn:?}: '%' must be \
         followed by two hex digits (write a literal '%' as %25)"
    )]
    BadEscape {
        part: DsnPart,
        escape: String,
        dsn: String,
    },

    /// A part is not valid UTF-8 once percent-decoded.
    #[error("the {part} of DSN {dsn:?} is not valid UTF-8 once percent-decoded")]
    InvalidUtf8 { part: DsnPart, dsn: String },

    /// The host is malformed (an unclosed `[`, a bad IPv6 address, whitespace).
    #[error("invalid host in DSN {dsn:?}: {reason}")]
    BadHost { reason: &'static str, dsn: String },

    /// A query parameter does not have the expected form (from
    /// [`Dsn::param_bool`]). `value` is `***` for a secret parameter.
    #[error(
        "invalid value {value:?} for parameter {name:?} of DSN {dsn:?}: expected \
         true/false, yes/no or 1/0"
    )]
    BadParam {
        name: String,
        value: String,
        dsn: String,
    },
}

// ---------------------------------------------------------------------------
// The parsed DSN
// ---------------------------------------------------------------------------

/// A parsed DSN. See the [module documentation](self) for the syntax.
///
/// `Display` (and [`Dsn::redacted`]) rebuild the DSN from its parts with the
/// password and secret parameter values replaced by `***`; parsing that string
/// gives back the same parts except those. `Debug` redacts the same way.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Dsn {
    scheme: String,
    user: Option<String>,
    password: Option<String>,
    host: String,
    port: Option<u16>,
    path: String,
    params: Vec<(String, String)>,
}

impl Dsn {
    /// Parses a DSN. Surrounding whitespace is ignored.
    pub fn parse(raw: &str) -> Result<Dsn, DsnError> {
        let input = raw.trim();
        if input.is_empty() {
            return Err(DsnError::Empty);
        }
        Parser { input }.parse()
    }

    /// The scheme, lowercased (`s3`, `file`, `mem`).
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The decoded user name, if the DSN has a userinfo part (`Some("")` for
    /// `s3://@host`).
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The decoded password, if the userinfo has a `:`.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// The decoded host; empty for `mem://` and `file:///...`; an IPv6
    /// address without its brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, if one was given.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The decoded path with its leading `/`, or empty.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// All query parameters, decoded, in order (names may repeat).
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// The first value of parameter `name` (names match exactly).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of parameter `name`, in order.
    pub fn params_all(&self, name: &str) -> Vec<&str> {
        self.params
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The first value of parameter `name` as a boolean: `true`/`false`,
    /// `yes`/`no` or `1`/`0` (ignoring case). `Ok(None)` if it is absent;
    /// [`DsnError::BadParam`] for any other value, including an empty one.
    pub fn param_bool(&self, name: &str) -> Result<Option<bool>, DsnError> {
        let Some(value) = self.param(name) else {
            return Ok(None);
        };
        let is = |w: &str| value.eq_ignore_ascii_case(w);
        if is("true") || is("yes") || value == "1" {
            Ok(Some(true))
        } else if is("false") || is("no") || value == "0" {
            Ok(Some(false))
        } else {
            Err(DsnError::BadParam {
                name: name.to_owned(),
                value: if is_secret_param(name) {
                    MASK.to_owned()
                } else {
                    value.to_owned()
                },
                dsn: self.redacted(),
            })
        }
    }

    /// The DSN with its secrets masked; the same as `to_string()`.
    pub fn redacted(&self) -> String {
        self.to_string()
    }

    /// Host-side credentials (`--credentials-env`, `--credentials-file`).
    pub(crate) fn set_userinfo(&mut self, user: Option<String>, password: Option<String>) {
        self.user = user;
        self.password = password;
    }
}

impl FromStr for Dsn {
    type Err = DsnError;

    fn from_str(s: &str) -> Result<Dsn, DsnError> {
        Dsn::parse(s)
    }
}

/// Whether a query parameter named `name` holds a secret and is masked when
/// printed: its name contains (ignoring case) `secret`, `password`, `passwd`,
/// `token`, `sig`, `signature`, `key`, `account_key`, `sas` or `credential`.
pub fn is_secret_param(name: &str) -> bool {
    let name = name.to_lowercase();
    SECRET_WORDS.iter().any(|w| name.contains(w))
}

// ---------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------

/// For userinfo and host: everything but the unreserved characters.
const STRICT_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// For the path: keeps `/` and other harmless characters readable.
const PATH_SET: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'@')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// For query names and values: also the query's own delimiters and `+`.
const QUERY_SET: &AsciiSet = &PATH_SET.add(b'&').add(b'=').add(b'+');

fn is_ipv6(host: &str) -> bool {
    host.parse::<Ipv6Addr>().is_ok()
}

/// Writes a query name or value, a space as `+`.
fn write_query_part(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    for chunk in utf8_percent_encode(s, QUERY_SET) {
        f.write_str(if chunk == "%20" { "+" } else { chunk })?;
    }
    Ok(())
}

impl fmt::Display for Dsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.scheme)?;
        if let Some(user) = &self.user {
            write!(f, "{}", utf8_percent_encode(user, STRICT_SET))?;
            if self.password.is_some() {
                write!(f, ":{MASK}")?;
            }
            f.write_str("@")?;
        }
        if is_ipv6(&self.host) {
            write!(f, "[{}]", self.host)?;
        } else {
            write!(f, "{}", utf8_percent_encode(&self.host, STRICT_SET))?;
        }
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        write!(f, "{}", utf8_percent_encode(&self.path, PATH_SET))?;
        for (i, (name, value)) in self.params.iter().enumerate() {
            f.write_str(if i == 0 { "?" } else { "&" })?;
            write_query_part(f, name)?;
            f.write_str("=")?;
            if is_secret_param(name) {
                f.write_str(MASK)?;
            } else {
                write_query_part(f, value)?;
            }
        }
        Ok(())
    }
}

/// The params as `Debug` shows them: secret values masked.
struct RedactedParams<'a>(&'a [(String, String)]);

impl fmt::Debug for RedactedParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(k, v)| {
                (
                    k.as_str(),
                    if is_secret_param(k) { MASK } else { v.as_str() },
                )
            }))
            .finish()
    }
}

impl fmt::Debug for Dsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dsn")
            .field("scheme", &self.scheme)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| MASK))
            .field("host", &self.host)
            .field("port", &self.port)
            .field("path", &self.path)
            .field("params", &RedactedParams(&self.params))
            .finish()
    }
}

// ---------------------------------------------------------------------------
// Redacting raw strings
// ---------------------------------------------------------------------------

/// Masks the secrets of a DSN string with `***`, whether or not it parses;
/// for quoting bad DSNs in error messages.
///
/// Best effort, erring towards masking too much:
/// * the password: from the first `:` after `://` (or after the start, when
///   there is no scheme) to the last `@`, so a password with a raw `/` or `?`
///   is still covered: `s3://AKID:se/cret@host` → `s3://AKID:***@host`;
/// * the value of every `?name=value` or `&name=value` whose name looks
///   secret ([`is_secret_param`]), up to the next `&`.
pub fn redact(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut last = 0;
    for r in redaction_ranges(raw) {
        out.push_str(&raw[last..r.start]);
        out.push_str(MASK);
        last = r.end;
    }
    out.push_str(&raw[last..]);
    out
}

/// The byte ranges of `s` that [`redact`] masks: sorted, disjoint, and on
/// char boundaries (each starts after and ends before an ASCII delimiter).
fn redaction_ranges(s: &str) -> Vec<Range<usize>> {
    let start = scheme_separator(s).map_or(0, |i| i + 3);
    let rest = &s[start..];
    let mut ranges = Vec::new();

    // The password.
    if let Some(at) = rest.rfind('@') {
        if let Some(colon) = rest[..at].find(':') {
            ranges.push(start + colon + 1..start + at);
        }
    }

    // Secret query values, wherever a `?` or `&` starts a `name=`.
    let b = rest.as_bytes();
    let n = b.len();
    let mut i = 0;
    while i < n {
        if b[i] != b'?' && b[i] != b'&' {
            i += 1;
            continue;
        }
        let name_start = i + 1;
        let mut j = name_start;
        while j < n && !matches!(b[j], b'=' | b'?' | b'&') {
            j += 1;
        }
        if j < n && b[j] == b'=' && is_secret_param(&lenient_decode(&rest[name_start..j])) {
            let value_start = j + 1;
            let value_end = rest[value_start..].find('&').map_or(n, |k| value_start + k);
            ranges.push(start + value_start..start + value_end);
            // Anything inside the value is masked anyway.
            i = value_end;
        } else {
            i = j;
        }
    }

    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// Decodes a query name for [`redaction_ranges`]: `+` as space, bad escapes
/// and bad UTF-8 tolerated.
fn lenient_decode(s: &str) -> String {
    let s = s.replace('+', " ");
    percent_decode_str(&s).decode_utf8_lossy().into_owned()
}

/// Where the `://` that ends the scheme starts, if `s` has one: the first
/// `://`, unless what precedes it cannot be a scheme at all (it has a `:`,
/// `/`, `?` or `@`, or is empty), in which case the `://` is further in.
fn scheme_separator(s: &str) -> Option<usize> {
    let i = s.find("://")?;
    let candidate = &s[..i];
    if candidate.is_empty() || candidate.contains([':', '/', '?', '@']) {
        None
    } else {
        Some(i)
    }
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

const PORT_EMPTY: &str = "the port after ':' is empty";
const PORT_NAN: &str = "the port is not a number";
const PORT_RANGE: &str = "the port is greater than 65535";
const PORT_NAN_HINT: &str =
    "the port is not a number (if the password contains '/' or '?', percent-encode it)";

/// Parses one trimmed, non-empty DSN. Positions are byte offsets in `input`,
/// used to tell whether a bad escape lies in a masked secret.
struct Parser<'a> {
    input: &'a str,
}

impl Parser<'_> {
    fn redacted(&self) -> String {
        redact(self.input)
    }

    fn parse(&self) -> Result<Dsn, DsnError> {
        let s = self.input;
        let Some(sep) = scheme_separator(s) else {
            return Err(DsnError::MissingScheme {
                dsn: self.redacted(),
            });
        };
        let scheme = &s[..sep];
        let mut chars = scheme.chars();
        let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !valid {
            return Err(DsnError::BadScheme {
                scheme: scheme.to_owned(),
                dsn: self.redacted(),
            });
        }

        // authority | path | query
        let auth_start = sep + 3;
        let rest = &s[auth_start..];
        let auth_len = rest.find(['/', '?']).unwrap_or(rest.len());
        let authority = &rest[..auth_len];
        let path_start = auth_start + auth_len;
        let after = &s[path_start..];
        let (path_raw, query) = match after.find('?') {
            Some(q) => (&after[..q], Some((&after[q + 1..], path_start + q + 1))),
            None => (after, None),
        };

        // userinfo @ host:port
        let (userinfo, hostport, host_start) = match authority.rfind('@') {
            Some(at) => (
                Some(&authority[..at]),
                &authority[at + 1..],
                auth_start + at + 1,
            ),
            None => (None, authority, auth_start),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(ui) => match ui.find(':') {
                Some(c) => (
                    Some(self.decode(&ui[..c], auth_start, DsnPart::User, false)?),
                    Some(self.decode(&ui[c + 1..], auth_start + c + 1, DsnPart::Password, true)?),
                ),
                None => (
                    Some(self.decode(ui, auth_start, DsnPart::User, false)?),
                    None,
                ),
            },
        };
        // A raw '/' or '?' in a password ends the authority early, leaving a
        // '@' behind it; say so if the port then fails.
        let hint = userinfo.is_none() && after.contains('@');
        let (host, port) = self.host_port(hostport, host_start, hint)?;

        let path = self.decode(path_raw, path_start, DsnPart::Path, false)?;
        let params = match query {
            Some((q, q_start)) => self.params(q, q_start)?,
            None => Vec::new(),
        };

        Ok(Dsn {
            scheme: scheme.to_ascii_lowercase(),
            user,
            password,
            host,
            port,
            path,
            params,
        })
    }

    /// Splits and checks `host[:port]` or `[ipv6][:port]`.
    fn host_port(
        &self,
        hp: &str,
        start: usize,
        hint: bool,
    ) -> Result<(String, Option<u16>), DsnError> {
        let bad_host = |reason| DsnError::BadHost {
            reason,
            dsn: self.redacted(),
        };
        let (host, port) = if let Some(inner) = hp.strip_prefix('[') {
            let close = inner
                .find(']')
                .ok_or_else(|| bad_host("missing ']' after the IPv6 address"))?;
            let addr = &inner[..close];
            if addr.parse::<Ipv6Addr>().is_err() {
                return Err(bad_host("invalid IPv6 address between '[' and ']'"));
            }
            let tail = &inner[close + 1..];
            let port = match tail.strip_prefix(':') {
                Some(p) => Some(p),
                None if tail.is_empty() => None,
                None => return Err(bad_host("unexpected characters after ']'")),
            };
            (addr.to_owned(), port)
        } else {
            let (h, port) = match hp.find(':') {
                Some(c) => (&hp[..c], Some(&hp[c + 1..])),
                None => (hp, None),
            };
            if h.contains(['[', ']']) {
                return Err(bad_host(
                    "unexpected '[' or ']' (an IPv6 address goes in brackets: [::1]:9000)",
                ));
            }
            if h.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(bad_host(
                    "the host contains whitespace or a control character",
                ));
            }
            (self.decode(h, start, DsnPart::Host, false)?, port)
        };
        let port = match port {
            None => None,
            Some(p) => Some(self.port(p, hint)?),
        };
        Ok((host, port))
    }

    fn port(&self, p: &str, hint: bool) -> Result<u16, DsnError> {
        let reason = if p.is_empty() {
            Some(PORT_EMPTY)
        } else if !p.bytes().all(|b| b.is_ascii_digit()) {
            Some(if hint { PORT_NAN_HINT } else { PORT_NAN })
        } else {
            None
        };
        let reason = match reason {
            Some(r) => r,
            // All digits: only too large a number can fail.
            None => match p.parse::<u16>() {
                Ok(port) => return Ok(port),
                Err(_) => PORT_RANGE,
            },
        };
        Err(DsnError::BadPort {
            reason,
            dsn: self.redacted(),
        })
    }

    /// Splits the query (starting at byte `start`) into decoded pairs;
    /// empty segments (`a=1&&b=2`) are skipped, a segment without `=` has an
    /// empty value.
    fn params(&self, q: &str, start: usize) -> Result<Vec<(String, String)>, DsnError> {
        let mut params = Vec::new();
        let mut pos = 0;
        while pos <= q.len() {
            let end = q[pos..].find('&').map_or(q.len(), |i| pos + i);
            let seg = &q[pos..end];
            if !seg.is_empty() {
                let (name_raw, value_raw) = match seg.find('=') {
                    Some(eq) => (&seg[..eq], Some((&seg[eq + 1..], eq + 1))),
                    None => (seg, None),
                };
                let name = self.decode(name_raw, start + pos, DsnPart::ParamName, false)?;
                let value = match value_raw {
                    Some((v, off)) => self.decode(
                        v,
                        start + pos + off,
                        DsnPart::ParamValue,
                        is_secret_param(&name),
                    )?,
                    None => String::new(),
                };
                params.push((name, value));
            }
            pos = end + 1;
        }
        Ok(params)
    }

    /// Percent-decodes `text`, which starts at byte `start` of the input;
    /// `+` is a space in query parts. `secret` hides the text of a bad escape.
    fn decode(
        &self,
        text: &str,
        start: usize,
        part: DsnPart,
        secret: bool,
    ) -> Result<String, DsnError> {
        let plus = matches!(part, DsnPart::ParamName | DsnPart::ParamValue);
        let b = text.as_bytes();
        if !(b.contains(&b'%') || plus && b.contains(&b'+')) {
            return Ok(text.to_owned());
        }
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'%' => {
                    let hi = b.get(i + 1).and_then(|&c| hex_value(c));
                    let lo = b.get(i + 2).and_then(|&c| hex_value(c));
                    let (Some(hi), Some(lo)) = (hi, lo) else {
                        return Err(self.bad_escape(text, start, i, part, secret));
                    };
                    out.push(hi << 4 | lo);
                    i += 3;
                }
                b'+' if plus => {
                    out.push(b' ');
                    i += 1;
                }
                c => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        String::from_utf8(out).map_err(|_| DsnError::InvalidUtf8 {
            part,
            dsn: self.redacted(),
        })
    }

    /// The error for a bad escape at byte `i` of `text` (a `%`, so a char
    /// boundary). Its text is shown unless it lies in something masked.
    fn bad_escape(
        &self,
        text: &str,
        start: usize,
        i: usize,
        part: DsnPart,
        secret: bool,
    ) -> DsnError {
        let escape: String = text[i..].chars().take(3).collect();
        let at = start + i..start + i + escape.len();
        let masked = secret
            || part == DsnPart::Password
            || redaction_ranges(self.input)
                .iter()
                .any(|r| r.start < at.end && at.start < r.end);
        DsnError::BadEscape {
            part,
            escape: if masked { MASK.to_owned() } else { escape },
            dsn: self.redacted(),
        }
    }
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    /// What a good DSN parses to.
    struct Case {
        input: &'static str,
        scheme: &'static str,
        user: Option<&'static str>,
        password: Option<&'static str>,
        host: &'static str,
        port: Option<u16>,
        path: &'static str,
        params: &'static [(&'static str, &'static str)],
    }

    const NONE: Case = Case {
        input: "",
        scheme: "",
        user: None,
        password: None,
        host: "",
        port: None,
        path: "",
        params: &[],
    };

    fn good_cases() -> Vec<Case> {
        vec![
            Case { input: "mem://", scheme: "mem", ..NONE },
            Case { input: "file:///tmp/x", scheme: "file", path: "/tmp/x", ..NONE },
            Case { input: "file:///with%20space", scheme: "file", path: "/with space", ..NONE },
            Case { input: "file:///a+b", scheme: "file", path: "/a+b", ..NONE },
            Case {
                input: "s3://bucket?region=us-east-1&endpoint=http%3A%2F%2F127.0.0.1%3A9000&path_style=true",
                scheme: "s3",
                host: "bucket",
                params: &[
                    ("region", "us-east-1"),
                    ("endpoint", "http://127.0.0.1:9000"),
                    ("path_style", "true"),
                ],
                ..NONE
            },
            Case {
                input: "sftp://user:p%40ss@host:22/base/path",
                scheme: "sftp",
                user: Some("user"),
                password: Some("p@ss"),
                host: "host",
                port: Some(22),
                path: "/base/path",
                ..NONE
            },
            Case {
                input: "azblob://container?account=a",
                scheme: "azblob",
                host: "container",
                params: &[("account", "a")],
                ..NONE
            },
            Case { input: "gs://b", scheme: "gs", host: "b", ..NONE },
            Case {
                input: "s3://b?tag=x&tag=y&other=1&tag=z",
                scheme: "s3",
                host: "b",
                params: &[("tag", "x"), ("tag", "y"), ("other", "1"), ("tag", "z")],
                ..NONE
            },
            Case {
                input: "s3://b?a=&b",
                scheme: "s3",
                host: "b",
                params: &[("a", ""), ("b", "")],
                ..NONE
            },
            Case {
                input: "s3://b?a=1&&b=2&",
                scheme: "s3",
                host: "b",
                params: &[("a", "1"), ("b", "2")],
                ..NONE
            },
            Case {
                input: "s3://b?q=a+b%2Bc&sp+ace=x%20y&eq=a=b",
                scheme: "s3",
                host: "b",
                params: &[("q", "a b+c"), ("sp ace", "x y"), ("eq", "a=b")],
                ..NONE
            },
            Case { input: "s3://[::1]:9000/b", scheme: "s3", host: "::1", port: Some(9000), path: "/b", ..NONE },
            Case { input: "s3://[fe80::1:2]", scheme: "s3", host: "fe80::1:2", ..NONE },
            Case {
                input: "s3://u:p@[::ffff:1.2.3.4]:0",
                scheme: "s3",
                user: Some("u"),
                password: Some("p"),
                host: "::ffff:1.2.3.4",
                port: Some(0),
                ..NONE
            },
            Case { input: "S3://Bucket", scheme: "s3", host: "Bucket", ..NONE },
            Case { input: "Git+SSH.v2-x://h", scheme: "git+ssh.v2-x", host: "h", ..NONE },
            Case { input: "  mem://  \n", scheme: "mem", ..NONE },
            Case { input: "s3://h:65535", scheme: "s3", host: "h", port: Some(65535), ..NONE },
            Case { input: "s3://b/", scheme: "s3", host: "b", path: "/", ..NONE },
            Case { input: "s3://:9000", scheme: "s3", port: Some(9000), ..NONE },
            Case { input: "s3://@h", scheme: "s3", user: Some(""), host: "h", ..NONE },
            Case { input: "s3://u@h", scheme: "s3", user: Some("u"), host: "h", ..NONE },
            Case { input: "s3://u:@h", scheme: "s3", user: Some("u"), password: Some(""), host: "h", ..NONE },
            Case {
                // Raw '@' and ':' in a password: userinfo ends at the last '@',
                // the user at the first ':'.
                input: "s3://AKID:a:b@c@host",
                scheme: "s3",
                user: Some("AKID"),
                password: Some("a:b@c"),
                host: "host",
                ..NONE
            },
            Case {
                input: "file:///a@b?x=y?z",
                scheme: "file",
                path: "/a@b",
                params: &[("x", "y?z")],
                ..NONE
            },
            Case { input: "file:////net/share", scheme: "file", path: "//net/share", ..NONE },
            Case { input: "x://h%C3%A9/%E2%82%AC", scheme: "x", host: "hé", path: "/€", ..NONE },
            Case { input: "x://h/a#b", scheme: "x", host: "h", path: "/a#b", ..NONE },
            Case { input: "x://h?", scheme: "x", host: "h", ..NONE },
        ]
    }

    #[test]
    fn parses_good_dsns() {
        for c in good_cases() {
            let d = Dsn::parse(c.input).unwrap_or_else(|e| panic!("{:?}: {e}", c.input));
            assert_eq!(d.scheme(), c.scheme, "scheme of {:?}", c.input);
            assert_eq!(d.user(), c.user, "user of {:?}", c.input);
            assert_eq!(d.password(), c.password, "password of {:?}", c.input);
            assert_eq!(d.host(), c.host, "host of {:?}", c.input);
            assert_eq!(d.port(), c.port, "port of {:?}", c.input);
            assert_eq!(d.path(), c.path, "path of {:?}", c.input);
            let params: Vec<(&str, &str)> = d
                .params()
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            assert_eq!(params, c.params, "params of {:?}", c.input);
            // FromStr agrees.
            assert_eq!(c.input.parse::<Dsn>().unwrap(), d);
            assert_roundtrip(&d);
        }
    }

    #[test]
    fn param_accessors() {
        let d = Dsn::parse("s3://b?tag=x&flag=YES&tag=y&off=0&bad=maybe&empty=&token=t0p").unwrap();
        assert_eq!(d.param("tag"), Some("x"));
        assert_eq!(d.params_all("tag"), vec!["x", "y"]);
        assert_eq!(d.param("missing"), None);
        assert!(d.params_all("missing").is_empty());
        assert_eq!(d.param("TAG"), None, "names are case-sensitive");
        assert_eq!(d.param_bool("flag"), Ok(Some(true)));
        assert_eq!(d.param_bool("off"), Ok(Some(false)));
        assert_eq!(d.param_bool("missing"), Ok(None));
        for (v, want) in [
            ("true", true),
            ("1", true),
            ("yes", true),
            ("false", false),
            ("0", false),
            ("no", false),
        ] {
            let d = Dsn::parse(&format!("x://h?b={v}")).unwrap();
            assert_eq!(d.param_bool("b"), Ok(Some(want)), "{v}");
        }
        match d.param_bool("bad") {
            Err(DsnError::BadParam { name, value, dsn }) => {
                assert_eq!(name, "bad");
                assert_eq!(value, "maybe");
                assert!(!dsn.contains("t0p"), "{dsn}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            d.param_bool("empty"),
            Err(DsnError::BadParam { .. })
        ));
        // A secret's value is not quoted.
        let err = d.param_bool("token").unwrap_err();
        assert!(!err.to_string().contains("t0p"), "{err}");
        assert!(matches!(&err, DsnError::BadParam { value, .. } if value == "***"));
    }

    fn variant(e: &DsnError) -> &'static str {
        match e {
            DsnError::Empty => "Empty",
            DsnError::MissingScheme { .. } => "MissingScheme",
            DsnError::BadScheme { .. } => "BadScheme",
            DsnError::BadPort { .. } => "BadPort",
            DsnError::BadEscape { .. } => "BadEscape",
            DsnError::InvalidUtf8 { .. } => "InvalidUtf8",
            DsnError::BadHost { .. } => "BadHost",
            DsnError::BadParam { .. } => "BadParam",
        }
    }

    #[test]
    fn rejects_bad_dsns() {
        let cases: &[(&str, &str)] = &[
            ("", "Empty"),
            ("   \t\n", "Empty"),
            ("no-scheme", "MissingScheme"),
            ("s3:bucket", "MissingScheme"),
            ("s3:/bucket", "MissingScheme"),
            ("://host", "MissingScheme"),
            ("user:pass@host/x?e=http://y", "MissingScheme"),
            ("1abc://x", "BadScheme"),
            ("s 3://x", "BadScheme"),
            ("s_3://x", "BadScheme"),
            ("é://x", "BadScheme"),
            ("s3://h:99999", "BadPort"),
            ("s3://h:65536", "BadPort"),
            ("s3://h:99999999999999999999999", "BadPort"),
            ("s3://h:abc", "BadPort"),
            ("s3://h:+80", "BadPort"),
            ("s3://h:-1", "BadPort"),
            ("s3://h:1:2", "BadPort"),
            ("s3://h:", "BadPort"),
            ("s3://[::1]:", "BadPort"),
            ("s3://[::1]:x", "BadPort"),
            ("s3://b/%zz", "BadEscape"),
            ("s3://b/%4", "BadEscape"),
            ("s3://b/%", "BadEscape"),
            ("s3://b/%%41", "BadEscape"),
            ("s3://b/%4é", "BadEscape"),
            ("s3://%zz", "BadEscape"),
            ("s3://u%zz@h", "BadEscape"),
            ("s3://u:p%zz@h", "BadEscape"),
            ("s3://b?a%=1", "BadEscape"),
            ("s3://b?a=%g0", "BadEscape"),
            ("s3://b/%FF", "InvalidUtf8"),
            ("s3://b/%C3", "InvalidUtf8"),
            ("s3://%80", "InvalidUtf8"),
            ("s3://u:%FE@h", "InvalidUtf8"),
            ("s3://b?a=%ED%A0%80", "InvalidUtf8"),
            ("s3://[::1", "BadHost"),
            ("s3://[::1/x", "BadHost"),
            ("s3://[]", "BadHost"),
            ("s3://[not-ip]", "BadHost"),
            ("s3://[1.2.3.4]", "BadHost"),
            ("s3://[::1]x", "BadHost"),
            ("s3://a]b", "BadHost"),
            ("s3://a[b", "BadHost"),
            ("s3://a b", "BadHost"),
            ("s3://a\tb/x", "BadHost"),
        ];
        for (input, want) in cases {
            match Dsn::parse(input) {
                Ok(d) => panic!("{input:?} parsed as {d:?}, want {want}"),
                Err(e) => {
                    assert_eq!(variant(&e), *want, "{input:?}: {e}");
                    assert!(!e.to_string().is_empty());
                }
            }
        }
    }

    #[test]
    fn error_messages() {
        let msg = |s: &str| Dsn::parse(s).unwrap_err().to_string();
        assert_eq!(msg(""), "empty DSN");
        assert_eq!(
            msg("no-scheme"),
            "DSN has no scheme: expected SCHEME://... (got \"no-scheme\")"
        );
        assert!(msg("1abc://x").starts_with("invalid scheme \"1abc\" in DSN \"1abc://x\""));
        assert_eq!(
            msg("s3://h:99999"),
            "invalid port in DSN \"s3://h:99999\": the port is greater than 65535"
        );
        assert_eq!(
            msg("s3://h:abc"),
            "invalid port in DSN \"s3://h:abc\": the port is not a number"
        );
        assert_eq!(
            msg("s3://h:"),
            "invalid port in DSN \"s3://h:\": the port after ':' is empty"
        );
        assert!(msg("s3://b/%zz")
            .starts_with("invalid percent-escape \"%zz\" in the path of DSN \"s3://b/%zz\""));
        assert!(msg("s3://b/%4").starts_with("invalid percent-escape \"%4\" in the path"));
        assert_eq!(
            msg("s3://b/%FF"),
            "the path of DSN \"s3://b/%FF\" is not valid UTF-8 once percent-decoded"
        );
        assert_eq!(
            msg("s3://[::1"),
            "invalid host in DSN \"s3://[::1\": missing ']' after the IPv6 address"
        );
        // A raw '/' in a password gets a hint, and the password stays hidden.
        let m = msg("s3://AKID:ab/cd@host");
        assert!(m.contains("percent-encode"), "{m}");
        assert!(m.contains("s3://AKID:***@host"), "{m}");
        // The error values themselves.
        assert_eq!(
            Dsn::parse("s3://b/%zz"),
            Err(DsnError::BadEscape {
                part: DsnPart::Path,
                escape: "%zz".into(),
                dsn: "s3://b/%zz".into()
            })
        );
        assert_eq!(
            Dsn::parse("s3://u:p%zz@h"),
            Err(DsnError::BadEscape {
                part: DsnPart::Password,
                escape: "***".into(),
                dsn: "s3://u:***@h".into()
            })
        );
        assert_eq!(
            Dsn::parse("1abc://x"),
            Err(DsnError::BadScheme {
                scheme: "1abc".into(),
                dsn: "1abc://x".into()
            })
        );
    }

    #[test]
    fn errors_never_show_secrets() {
        let inputs = [
            "s3://u:hunter2@h:abc",
            "s3://u:hunter2@h:99999",
            "s3://u:hunter2/x@h",
            "s3://u:hunter2?x@h",
            "s3://u:hunter2%zz@h",
            "s3://u:%zzhunter2@h",
            "s3://u:hunter2@[::1",
            "s3://u:hunter2@a b",
            "1bad://u:hunter2@h",
            "u:hunter2@h",
            "u:hunter2@h/x?e=http://y",
            "s3://u:hunter2@h/%zz",
            "s3://u:hunter2@h/%FF",
            "s3://u:%FFhunter2@h",
            "s3://h?token=hunter2%zz",
            "s3://h?token=%zzhunter2",
            "s3://h?Access_Token=hunter2&x=%zz",
            "s3://h?x=1&sig=hunter2&y=%FF",
            "s3://u:hunter2@h?sig=a@b&x=%zz",
        ];
        for input in inputs {
            let e = Dsn::parse(input).expect_err(input);
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains("hunter2"), "{input:?} -> {shown}");
        }
    }

    #[test]
    fn display_redacts() {
        let cases: &[(&str, &str)] = &[
            ("s3://AKID:secret@host:9000/p?x=1", "s3://AKID:***@host:9000/p?x=1"),
            ("sftp://user:p%40ss@host:22/base/path", "sftp://user:***@host:22/base/path"),
            ("s3://u:@h", "s3://u:***@h"),
            ("s3://u@h", "s3://u@h"),
            ("S3://b?token=abc&region=us", "s3://b?token=***&region=us"),
            (
                "azblob://container?account=a&account_key=xyz&SAS=sv%3D1&secret_key=s&access_token=t&X-Amz-Signature=q&Credential=c&password=p",
                "azblob://container?account=a&account_key=***&SAS=***&secret_key=***&access_token=***&X-Amz-Signature=***&Credential=***&password=***",
            ),
            (
                "s3://bucket?region=us-east-1&endpoint=http%3A%2F%2F127.0.0.1%3A9000&path_style=true",
                "s3://bucket?region=us-east-1&endpoint=http://127.0.0.1:9000&path_style=true",
            ),
            ("mem://", "mem://"),
            ("file:///tmp/x", "file:///tmp/x"),
            ("file:///with%20space", "file:///with%20space"),
            ("file:///a%3Fb%25c%23d", "file:///a%3Fb%25c%23d"),
            ("s3://[::1]:9000/b", "s3://[::1]:9000/b"),
            ("s3://b?q=a+b&r=a%2Bb&s=a%26b%3Dc", "s3://b?q=a+b&r=a%2Bb&s=a%26b%3Dc"),
            ("s3://b?a=&b", "s3://b?a=&b="),
            ("s3://us%3Aer:x@h%2Fx", "s3://us%3Aer:***@h%2Fx"),
            ("s3://%3A%3A1", "s3://[::1]"),
            ("x://h%C3%A9/%E2%82%AC", "x://h%C3%A9/%E2%82%AC"),
        ];
        for (input, want) in cases {
            let d = Dsn::parse(input).unwrap();
            assert_eq!(d.to_string(), *want, "{input:?}");
            assert_eq!(d.redacted(), *want, "{input:?}");
            assert_roundtrip(&d);
        }
    }

    #[test]
    fn debug_never_shows_secrets() {
        let d = Dsn::parse("s3://AKID:hunter2@h/p?token=t0ps3cret&region=eu").unwrap();
        let dbg = format!("{d:?} {d:#?}");
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(!dbg.contains("t0ps3cret"), "{dbg}");
        assert!(
            dbg.contains("AKID") && dbg.contains("eu") && dbg.contains("***"),
            "{dbg}"
        );
        // The accessors still give the real values.
        assert_eq!(d.password(), Some("hunter2"));
        assert_eq!(d.param("token"), Some("t0ps3cret"));
        let shown = d.to_string();
        assert!(
            !shown.contains("hunter2") && !shown.contains("t0ps3cret"),
            "{shown}"
        );
    }

    #[test]
    fn redact_raw_strings() {
        let cases: &[(&str, &str)] = &[
            ("", ""),
            ("s3://AKID:secret@host:9000/p", "s3://AKID:***@host:9000/p"),
            ("s3://AKID:se/cr?et@host:abc", "s3://AKID:***@host:abc"),
            ("s3://u:p%zz@h", "s3://u:***@h"),
            ("s3://u:a@b@h", "s3://u:***@h"),
            ("user:pass@host", "user:***@host"),
            ("s3:/u:p@h", "s3:***@h"),
            ("s3://host/p", "s3://host/p"),
            ("s3://host:9000/p", "s3://host:9000/p"),
            ("s3://u@host", "s3://u@host"),
            ("s3://b?token=abc%zz&x=1", "s3://b?token=***&x=1"),
            ("s3://b?x=1&Secret+Key=abc", "s3://b?x=1&Secret+Key=***"),
            ("s3://b?token=", "s3://b?token=***"),
            ("s3://b?token=abc@def", "s3://b?token=***"),
            ("s3://u:p@h?sig=1@2&x=3", "s3://u:***&x=3"),
            ("s3://u:p?token=x@h?a=1&token=y", "s3://u:***&token=***"),
            ("x?a=http://u:p@h", "x?a=http:***@h"),
        ];
        for (input, want) in cases {
            assert_eq!(redact(input), *want, "{input:?}");
        }
    }

    #[test]
    fn secret_param_names() {
        for name in [
            "secret",
            "PASSWORD",
            "token",
            "sig",
            "signature",
            "key",
            "account_key",
            "sas",
            "credential",
            "secret_key",
            "access_token",
            "X-Amz-Credential",
        ] {
            assert!(is_secret_param(name), "{name}");
        }
        for name in [
            "region",
            "endpoint",
            "account",
            "path_style",
            "container",
            "timeout",
            "",
        ] {
            assert!(!is_secret_param(name), "{name}");
        }
    }

    /// Parsing `d`'s display gives back `d`, except for masked secrets.
    fn assert_roundtrip(d: &Dsn) {
        let shown = d.to_string();
        let back = Dsn::parse(&shown)
            .unwrap_or_else(|e| panic!("{d:?} displays as {shown:?}, which fails: {e}"));
        let ctx = || format!("{d:?} -> {shown:?} -> {back:?}");
        assert_eq!(back.scheme, d.scheme, "{}", ctx());
        assert_eq!(back.user, d.user, "{}", ctx());
        assert_eq!(
            back.password,
            d.password.as_ref().map(|_| MASK.to_owned()),
            "{}",
            ctx()
        );
        assert_eq!(back.host, d.host, "{}", ctx());
        assert_eq!(back.port, d.port, "{}", ctx());
        assert_eq!(back.path, d.path, "{}", ctx());
        assert_eq!(back.params.len(), d.params.len(), "{}", ctx());
        for ((bk, bv), (k, v)) in back.params.iter().zip(&d.params) {
            assert_eq!(bk, k, "{}", ctx());
            let want = if is_secret_param(k) { MASK } else { v.as_str() };
            assert_eq!(bv, want, "{}", ctx());
        }
        assert_eq!(back.to_string(), shown, "display is not stable: {}", ctx());
    }

    /// A small deterministic PRNG (xorshift64*), to avoid a dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Everything a DSN goes through must not panic; what parses must
    /// round-trip through Display.
    fn exercise(s: &str) {
        let _ = redact(s);
        if let Ok(d) = Dsn::parse(s) {
            let _ = format!("{d:?}");
            assert_roundtrip(&d);
            for (k, _) in d.params() {
                let _ = d.param_bool(k);
                let _ = d.params_all(k);
            }
        } else if let Err(e) = Dsn::parse(s) {
            let _ = format!("{e} {e:?}");
        }
    }

    #[test]
    fn no_panics_on_odd_input() {
        let fixed = [
            "%",
            "%%",
            "%%%",
            "://",
            ":///",
            ":",
            "@",
            "[",
            "]",
            "?",
            "&",
            "=",
            "+",
            "s3://",
            "s3://%",
            "s3://@",
            "s3://:",
            "s3://[",
            "s3://]",
            "s3://[]:",
            "s3://?",
            "s3://?&",
            "s3://?=",
            "s3://?%",
            "s3://?a=%",
            "s3://u:%@h",
            "s3://u:p@",
            "s3://:@",
            "s3://@@@",
            "s3://::::",
            "s3://[::1]:99999",
            "s3://a/%",
            "s3:///%E2%82",
            "s3://h/\u{0}",
            "s3://\u{0}",
            "é://é",
            "s3://é:é@é:é/é?é=é",
            "s3://日本/路径?键=值",
            "s3://h?🦀=🦀&🦀",
            "\u{feff}s3://h",
            "s3://h\u{200b}",
            "s3://[\u{0}]",
            "s3://[::1]é",
            "s3://h:٣",
            "s3://h:１２",
            "a://b://c://d",
            "s3://u:p@h?token=a&token=b&sig",
            "s3://h?&&&&",
            "s3://h?=&=&=",
            "s3://h?a=b=c=d",
            "s3://%5B%3A%3A1%5D",
            "x://%3A%3Affff%3A1.2.3.4",
        ];
        for s in fixed {
            exercise(s);
        }

        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        // Random bytes, lossily turned into strings.
        for _ in 0..300 {
            let len = rng.below(40);
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let s = String::from_utf8_lossy(&bytes).into_owned();
            exercise(&s);
            exercise(&format!("s3://{s}"));
        }
        // DSN-ish strings from an alphabet of delimiters and odd characters.
        let alphabet: Vec<char> = "s3:/@?&=%[]+-._~#: aZ09fF\t\u{0}é€🦀\u{7f}"
            .chars()
            .collect();
        let pieces = [
            "://", "%2", "%zz", "%C3%A9", "%FF", "[::1]", ":9000", "token=", "u:p@", "?", "&",
        ];
        for _ in 0..2000 {
            let mut s = String::from(["s3://", "file://", "X+y://", "", "1://"][rng.below(5)]);
            for _ in 0..rng.below(24) {
                if rng.below(4) == 0 {
                    s.push_str(pieces[rng.below(pieces.len())]);
                } else {
                    s.push(alphabet[rng.below(alphabet.len())]);
                }
            }
            exercise(&s);
        }
    }
}
