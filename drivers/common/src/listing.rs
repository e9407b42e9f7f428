//! One page of a listing (wit/README.md, "List").
//!
//! A driver hands [`list_page`] its keys in byte order through a [`KeySource`] and a way
//! to fetch one key's info; the function applies the prefix, the delimiter roll-up,
//! `max-keys` and the cursor. The semantics:
//!
//! - keys are sorted by byte order (the source's job);
//! - with a delimiter, a key that contains it after the prefix is rolled up into one
//!   common prefix: the prefix up to and including the first delimiter after it;
//! - `max-keys` (0 or absent: 1000, capped at 1000) counts objects and common prefixes
//!   together;
//! - the cursor is opaque: hex of a tag (`k` key, `p` common prefix) and the last entry
//!   returned. Resuming after a common prefix skips every key under it, so each common
//!   prefix appears once across all pages;
//! - there is no cursor when nothing remains, also when the last page is exactly full.

use std::collections::BTreeSet;
use std::ops::Bound;

use crate::keys::{Key, KeyStr};
use crate::{hex_decode, hex_encode, Error};

/// Default and largest `max-keys`.
pub const MAX_KEYS: usize = 1000;

/// The last entry a page returned, as a cursor encodes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    Key(String),
    Prefix(String),
}

impl Position {
    /// The opaque cursor for this position.
    pub fn encode(&self) -> String {
        let (tag, s) = match self {
            Position::Key(k) => (b'k', k),
            Position::Prefix(p) => (b'p', p),
        };
        let mut bytes = Vec::with_capacity(1 + s.len());
        bytes.push(tag);
        bytes.extend_from_slice(s.as_bytes());
        hex_encode(&bytes)
    }

    /// Parses a cursor produced by [`Position::encode`].
    pub fn decode(cursor: &str) -> Result<Self, Error> {
        let invalid = || Error::InvalidArgument(format!("invalid list cursor {cursor:?}"));
        let bytes = hex_decode(cursor).ok_or_else(invalid)?;
        let (&tag, rest) = bytes.split_first().ok_or_else(invalid)?;
        let s = String::from_utf8(rest.to_vec()).map_err(|_| invalid())?;
        match tag {
            b'k' => Ok(Position::Key(s)),
            b'p' => Ok(Position::Prefix(s)),
            _ => Err(invalid()),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Position::Key(s) | Position::Prefix(s) => s,
        }
    }
}

/// The list options, checked and normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    /// Empty when absent.
    pub prefix: String,
    /// `None` when absent or empty.
    pub delimiter: Option<String>,
    /// 1..=1000.
    pub max_keys: usize,
    /// Where the previous page stopped.
    pub after: Option<Position>,
}

impl ListRequest {
    pub fn new(
        prefix: Option<String>,
        delimiter: Option<String>,
        max_keys: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Self, Error> {
        let after = match cursor {
            None | Some("") => None,
            Some(c) => Some(Position::decode(c)?),
        };
        let max_keys = match max_keys {
            None | Some(0) => MAX_KEYS,
            Some(n) => (n as usize).min(MAX_KEYS),
        };
        Ok(Self {
            prefix: prefix.unwrap_or_default(),
            delimiter: delimiter.filter(|d| !d.is_empty()),
            max_keys,
            after,
        })
    }

    /// The lowest key this page can contain: a source may start there.
    pub fn lower_bound(&self) -> Bound<&str> {
        match &self.after {
            Some(pos) if pos.as_str() >= self.prefix.as_str() => Bound::Excluded(pos.as_str()),
            _ => Bound::Included(self.prefix.as_str()),
        }
    }

    /// True when a key `k` may still belong to this page or a later one: it is past the
    /// cursor and not below the prefix's range. Sources use it to prune.
    pub fn wants_key(&self, k: &str) -> bool {
        if !k.starts_with(self.prefix.as_str()) {
            return false;
        }
        match &self.after {
            None => true,
            Some(Position::Key(a)) => k > a.as_str(),
            Some(Position::Prefix(p)) => k > p.as_str() && !k.starts_with(p.as_str()),
        }
    }

    /// True when some key starting with `dir` (e.g. a folder `a/b/`) may be wanted:
    /// a source can skip whole subtrees for which this is false.
    pub fn wants_under(&self, dir: &str) -> bool {
        let p = self.prefix.as_str();
        if !(dir.starts_with(p) || p.starts_with(dir)) {
            return false;
        }
        match &self.after {
            None => true,
            Some(pos) => {
                let a = pos.as_str();
                if let Position::Prefix(cp) = pos {
                    if dir.starts_with(cp.as_str()) {
                        return false;
                    }
                }
                // Every key under `dir` is >= `dir` (equal: the folder's marker); if the
                // cursor is past `dir` without being inside it, every key under `dir`
                // sorts before the cursor.
                a < dir || a.starts_with(dir)
            }
        }
    }
}

/// Keys in byte order, as a driver produces them.
pub trait KeySource {
    type Error;

    /// The next key, or `None` at the end. Keys must come in strictly increasing byte
    /// order; a source may start at [`ListRequest::lower_bound`] and may leave out keys
    /// the request does not want.
    fn next_key(&mut self) -> Result<Option<String>, Self::Error>;

    /// Hint: no key starting with `prefix` is needed any more (they were rolled up into a
    /// common prefix). A source may skip them; [`list_page`] filters them anyway.
    fn skip_prefix(&mut self, _prefix: &str) {}
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub objects: Vec<T>,
    pub common_prefixes: Vec<String>,
    pub next_cursor: Option<String>,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Self {
            objects: Vec::new(),
            common_prefixes: Vec::new(),
            next_cursor: None,
        }
    }
}

/// Builds one page from `source`. `info` fetches a key's info; `Ok(None)` means the key
/// vanished meanwhile and is left out.
pub fn list_page<S, T, F>(
    req: &ListRequest,
    source: &mut S,
    mut info: F,
) -> Result<Page<T>, S::Error>
where
    S: KeySource,
    F: FnMut(&str) -> Result<Option<T>, S::Error>,
{
    let prefix = req.prefix.as_str();
    let delimiter = req.delimiter.as_deref();
    if let Some(Position::Prefix(p)) = &req.after {
        source.skip_prefix(p);
    }

    let mut page = Page::default();
    let mut count = 0usize;
    let mut last: Option<Position> = None;
    let mut more = false;

    while let Some(key) = source.next_key()? {
        if !key.starts_with(prefix) {
            if key.as_str() > prefix {
                break; // past every key with the prefix
            }
            continue;
        }
        if !req.wants_key(&key) {
            continue;
        }
        let rolled = delimiter.and_then(|d| {
            key[prefix.len()..]
                .find(d)
                .map(|i| key[..prefix.len() + i + d.len()].to_string())
        });
        if let Some(cp) = rolled {
            if matches!(&last, Some(Position::Prefix(l)) if *l == cp) {
                continue; // another key under the common prefix just returned
            }
            if count == req.max_keys {
                more = true;
                break;
            }
            source.skip_prefix(&cp);
            page.common_prefixes.push(cp.clone());
            last = Some(Position::Prefix(cp));
            count += 1;
            continue;
        }
        let Some(object) = info(&key)? else {
            continue;
        };
        if count == req.max_keys {
            more = true;
            break;
        }
        page.objects.push(object);
        last = Some(Position::Key(key));
        count += 1;
    }

    page.next_cursor = if more { last.map(|p| p.encode()) } else { None };
    Ok(page)
}

/// The least string greater than every string that starts with `prefix`, if any.
pub fn prefix_successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(c) = chars.pop() {
        let next = match c {
            '\u{D7FF}' => Some('\u{E000}'),
            char::MAX => None,
            c => char::from_u32(c as u32 + 1),
        };
        if let Some(n) = next {
            chars.push(n);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// A [`KeySource`] over a sorted set of keys, starting at the request's lower bound
/// and skipping rolled-up prefixes by seeking.
pub struct MapKeys<'a> {
    keys: &'a BTreeSet<Key>,
    lower: Bound<String>,
    done: bool,
}

impl<'a> MapKeys<'a> {
    pub fn new(keys: &'a BTreeSet<Key>, req: &ListRequest) -> Self {
        Self {
            keys,
            lower: req.lower_bound().map(str::to_string),
            done: false,
        }
    }
}

impl KeySource for MapKeys<'_> {
    type Error = std::convert::Infallible;

    fn next_key(&mut self) -> Result<Option<String>, Self::Error> {
        if self.done {
            return Ok(None);
        }
        let lower = self.lower.as_ref().map(|k| KeyStr::new(k));
        let next = self
            .keys
            .range::<KeyStr, _>((lower, Bound::Unbounded))
            .next()
            .map(|k| k.as_str().to_string());
        match &next {
            Some(k) => self.lower = Bound::Excluded(k.clone()),
            None => self.done = true,
        }
        Ok(next)
    }

    fn skip_prefix(&mut self, prefix: &str) {
        match prefix_successor(prefix) {
            None => self.done = true,
            Some(s) => {
                let higher = match &self.lower {
                    Bound::Unbounded => true,
                    Bound::Included(l) | Bound::Excluded(l) => s.as_str() > l.as_str(),
                };
                if higher {
                    self.lower = Bound::Included(s);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Map = BTreeSet<Key>;

    fn map(keys: &[&str]) -> Map {
        keys.iter().map(|k| Key::from(*k)).collect()
    }

    fn req(prefix: &str, delim: &str, max: u32, cursor: Option<&str>) -> ListRequest {
        ListRequest::new(
            Some(prefix.to_string()).filter(|p| !p.is_empty()),
            Some(delim.to_string()),
            Some(max),
            cursor,
        )
        .unwrap()
    }

    fn page(m: &Map, r: &ListRequest) -> Page<String> {
        let mut src = MapKeys::new(m, r);
        list_page(r, &mut src, |k| Ok(Some(k.to_string()))).unwrap()
    }

    /// A source that ignores every hint and yields all keys: checks list_page's filters.
    struct Dumb(std::vec::IntoIter<String>);
    impl KeySource for Dumb {
        type Error = std::convert::Infallible;
        fn next_key(&mut self) -> Result<Option<String>, Self::Error> {
            Ok(self.0.next())
        }
    }

    fn dumb_page(m: &Map, r: &ListRequest) -> Page<String> {
        let mut src = Dumb(
            m.iter()
                .map(|k| k.as_str().to_string())
                .collect::<Vec<_>>()
                .into_iter(),
        );
        list_page(r, &mut src, |k| Ok(Some(k.to_string()))).unwrap()
    }

    /// Every page in turn; returns the entries (objects as `o:key`, prefixes as `p:cp`
    /// in the order they would interleave by key) and the number of pages.
    fn all_pages(m: &Map, prefix: &str, delim: &str, max: u32, dumb: bool) -> (Vec<String>, usize) {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let r = req(prefix, delim, max, cursor.as_deref());
            let p = if dumb { dumb_page(m, &r) } else { page(m, &r) };
            pages += 1;
            let n = p.objects.len() + p.common_prefixes.len();
            assert!(n <= r.max_keys, "page of {n} with max {}", r.max_keys);
            let mut entries: Vec<(String, String)> = p
                .objects
                .iter()
                .map(|k| (k.clone(), format!("o:{k}")))
                .chain(
                    p.common_prefixes
                        .iter()
                        .map(|c| (c.clone(), format!("p:{c}"))),
                )
                .collect();
            entries.sort();
            out.extend(entries.into_iter().map(|(_, e)| e));
            match p.next_cursor {
                Some(c) => {
                    assert_eq!(n, r.max_keys, "a page with a cursor is full");
                    cursor = Some(c);
                }
                None => break,
            }
            assert!(pages < 10_000);
        }
        (out, pages)
    }

    #[test]
    fn request_defaults() {
        let r = ListRequest::new(None, None, None, None).unwrap();
        assert_eq!(r.prefix, "");
        assert_eq!(r.delimiter, None);
        assert_eq!(r.max_keys, 1000);
        assert_eq!(r.after, None);
        assert_eq!(
            ListRequest::new(None, None, Some(0), None)
                .unwrap()
                .max_keys,
            1000
        );
        assert_eq!(
            ListRequest::new(None, None, Some(5000), None)
                .unwrap()
                .max_keys,
            1000
        );
        assert_eq!(
            ListRequest::new(None, None, Some(7), None)
                .unwrap()
                .max_keys,
            7
        );
        assert_eq!(
            ListRequest::new(None, Some(String::new()), None, Some(""))
                .unwrap()
                .delimiter,
            None
        );
    }

    #[test]
    fn cursors() {
        for pos in [
            Position::Key("a/b".into()),
            Position::Prefix("x/".into()),
            Position::Key("ünï\u{10FFFF}".into()),
        ] {
            let c = pos.encode();
            assert!(c.bytes().all(|b| b.is_ascii_hexdigit()));
            assert_eq!(Position::decode(&c).unwrap(), pos);
        }
        for bad in ["zz", "6", "", "78", "6bff"] {
            assert!(
                matches!(Position::decode(bad), Err(Error::InvalidArgument(_))),
                "{bad}"
            );
        }
        assert!(ListRequest::new(None, None, None, Some("not a cursor")).is_err());
    }

    #[test]
    fn flat_listing() {
        let m = map(&["b", "a", "c/d", "a-b", "a/b"]);
        let p = page(&m, &req("", "", 0, None));
        assert_eq!(p.objects, ["a", "a-b", "a/b", "b", "c/d"]);
        assert!(p.common_prefixes.is_empty());
        assert_eq!(p.next_cursor, None);
    }

    #[test]
    fn exact_fit_has_no_cursor() {
        let m = map(&["a", "b", "c"]);
        let p = page(&m, &req("", "", 3, None));
        assert_eq!(p.objects, ["a", "b", "c"]);
        assert_eq!(p.next_cursor, None);

        let m = map(&["a", "b", "c", "d"]);
        let p1 = page(&m, &req("", "", 2, None));
        assert_eq!(p1.objects, ["a", "b"]);
        let c = p1.next_cursor.expect("more remain");
        let p2 = page(&m, &req("", "", 2, Some(&c)));
        assert_eq!(p2.objects, ["c", "d"]);
        assert_eq!(p2.next_cursor, None);
    }

    #[test]
    fn exact_fit_with_prefixes() {
        let m = map(&["a/1", "a/2", "b", "c/1"]);
        let p = page(&m, &req("", "/", 3, None));
        assert_eq!(p.objects, ["b"]);
        assert_eq!(p.common_prefixes, ["a/", "c/"]);
        assert_eq!(p.next_cursor, None);
        // Keys after the prefix range do not make a cursor either.
        let m = map(&["p/1", "p/2", "q"]);
        let p = page(&m, &req("p/", "", 2, None));
        assert_eq!(p.objects, ["p/1", "p/2"]);
        assert_eq!(p.next_cursor, None);
    }

    #[test]
    fn thousand_and_one() {
        let keys: Vec<String> = (0..1001).map(|i| format!("k{i:05}")).collect();
        let m: Map = keys.iter().map(|k| Key::from(k.as_str())).collect();
        let r = ListRequest::new(None, None, None, None).unwrap();
        let p1 = page(&m, &r);
        assert_eq!(p1.objects.len(), 1000);
        assert_eq!(p1.objects[..], keys[..1000]);
        let c = p1.next_cursor.expect("one left");
        let r2 = ListRequest::new(None, None, Some(0), Some(&c)).unwrap();
        let p2 = page(&m, &r2);
        assert_eq!(p2.objects, ["k01000"]);
        assert_eq!(p2.next_cursor, None);

        // Exactly 1000: one page, no cursor.
        let m: Map = keys[..1000].iter().map(|k| Key::from(k.as_str())).collect();
        let p = page(&m, &ListRequest::new(None, None, Some(5000), None).unwrap());
        assert_eq!(p.objects.len(), 1000);
        assert_eq!(p.next_cursor, None);
    }

    #[test]
    fn delimiter_rolls_up() {
        let m = map(&["a/1", "a/2", "a/b/3", "b", "c/1", "c/2/x", "d"]);
        let p = page(&m, &req("", "/", 0, None));
        assert_eq!(p.objects, ["b", "d"]);
        assert_eq!(p.common_prefixes, ["a/", "c/"]);
        assert_eq!(p.next_cursor, None);
    }

    #[test]
    fn delimiter_paging_each_prefix_once() {
        let m = map(&["a/1", "a/2", "a/b/3", "b", "c/1", "c/2/x", "d"]);
        for dumb in [false, true] {
            let (entries, pages) = all_pages(&m, "", "/", 1, dumb);
            assert_eq!(entries, ["p:a/", "o:b", "p:c/", "o:d"]);
            assert_eq!(pages, 4);
            let (entries, pages) = all_pages(&m, "", "/", 2, dumb);
            assert_eq!(entries, ["p:a/", "o:b", "p:c/", "o:d"]);
            assert_eq!(pages, 2);
            let (entries, pages) = all_pages(&m, "", "/", 3, dumb);
            assert_eq!(entries, ["p:a/", "o:b", "p:c/", "o:d"]);
            assert_eq!(pages, 2);
        }
    }

    #[test]
    fn prefix_and_delimiter() {
        let m = map(&["c", "c/", "c/1", "c/2/x", "c/2/y", "c/3", "cd", "d/1"]);
        let p = page(&m, &req("c/", "/", 0, None));
        assert_eq!(p.objects, ["c/", "c/1", "c/3"]);
        assert_eq!(p.common_prefixes, ["c/2/"]);
        let p = page(&m, &req("c", "/", 0, None));
        assert_eq!(p.objects, ["c", "cd"]);
        assert_eq!(p.common_prefixes, ["c/"]);
        // Prefix without delimiter.
        let p = page(&m, &req("c/2", "", 0, None));
        assert_eq!(p.objects, ["c/2/x", "c/2/y"]);
        // Prefix matching nothing.
        let p = page(&m, &req("zz", "/", 0, None));
        assert!(p.objects.is_empty() && p.common_prefixes.is_empty());
        assert_eq!(p.next_cursor, None);
        // Paging across the prefix-with-delimiter listing.
        for dumb in [false, true] {
            let (entries, _) = all_pages(&m, "c/", "/", 1, dumb);
            assert_eq!(entries, ["o:c/", "o:c/1", "p:c/2/", "o:c/3"]);
        }
    }

    #[test]
    fn other_delimiters() {
        let m = map(&["a--b", "a--c", "a-d", "b::x::y", "b::z"]);
        let p = page(&m, &req("", "--", 0, None));
        assert_eq!(p.objects, ["a-d", "b::x::y", "b::z"]);
        assert_eq!(p.common_prefixes, ["a--"]);
        let p = page(&m, &req("b::", "::", 0, None));
        assert_eq!(p.objects, ["b::z"]);
        assert_eq!(p.common_prefixes, ["b::x::"]);
        // A multi-byte delimiter.
        let m = map(&["aéb", "aéc", "ab"]);
        let p = page(&m, &req("", "é", 0, None));
        assert_eq!(p.objects, ["ab"]);
        assert_eq!(p.common_prefixes, ["aé"]);
    }

    #[test]
    fn paging_matches_single_page() {
        let mut keys = Vec::new();
        for a in ["", "a", "a/", "a-", "b/"] {
            for b in ["x", "x/y", "x/z/w", "y", "é/1", "\u{10FFFF}"] {
                keys.push(format!("{a}{b}"));
            }
        }
        let m: Map = keys.iter().map(|k| Key::from(k.as_str())).collect();
        for prefix in ["", "a", "a/", "b/", "a/x/", "nothing"] {
            for delim in ["", "/", "x", "/z/"] {
                let (whole, pages) = all_pages(&m, prefix, delim, 1000, false);
                assert_eq!(pages, 1);
                for max in [1, 2, 3, 5, 7, 100] {
                    for dumb in [false, true] {
                        let (paged, _) = all_pages(&m, prefix, delim, max, dumb);
                        assert_eq!(paged, whole, "prefix {prefix:?} delim {delim:?} max {max}");
                    }
                }
            }
        }
    }

    #[test]
    fn vanished_keys_are_left_out() {
        let m = map(&["a", "b", "c"]);
        let r = req("", "", 2, None);
        let mut src = MapKeys::new(&m, &r);
        let p = list_page(&r, &mut src, |k| {
            Ok(Some(k.to_string()).filter(|k| k != "b"))
        })
        .unwrap();
        assert_eq!(p.objects, ["a", "c"]);
        assert_eq!(p.next_cursor, None);
        // The look-ahead key vanished: no cursor.
        let r = req("", "", 2, None);
        let mut src = MapKeys::new(&m, &r);
        let p = list_page(&r, &mut src, |k| {
            Ok(Some(k.to_string()).filter(|k| k != "c"))
        })
        .unwrap();
        assert_eq!(p.objects, ["a", "b"]);
        assert_eq!(p.next_cursor, None);
    }

    #[test]
    fn wants_under_prunes_correctly() {
        let r = req("a/b", "", 0, None);
        assert!(r.wants_under("a/"));
        assert!(r.wants_under("a/b/"));
        assert!(r.wants_under("a/bc/"));
        assert!(!r.wants_under("b/"));
        assert!(!r.wants_under("a/c/"));
        let c = Position::Key("m/n".into()).encode();
        let r = req("", "", 0, Some(&c));
        assert!(!r.wants_under("a/"));
        assert!(r.wants_under("m/"));
        assert!(r.wants_under("z/"));
        let c = Position::Prefix("m/".into()).encode();
        let r = req("", "/", 0, Some(&c));
        assert!(!r.wants_under("m/"));
        assert!(!r.wants_under("m/x/"));
        assert!(r.wants_under("n/"));
    }

    #[test]
    fn successors() {
        assert_eq!(prefix_successor("a/").as_deref(), Some("a0"));
        assert_eq!(prefix_successor("ab").as_deref(), Some("ac"));
        assert_eq!(prefix_successor("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_successor("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(prefix_successor("\u{10FFFF}"), None);
        assert_eq!(prefix_successor(""), None);
    }
}
