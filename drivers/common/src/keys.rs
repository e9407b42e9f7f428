//! Object keys for in-memory sorted maps, ordered like `str` but compared eight
//! bytes at a time.
//!
//! A `BTreeMap<String, _>` compares keys with `memcmp`, which wasi-libc implements
//! one byte per iteration. A lookup among 20,000 keys sharing a prefix such as
//! `photos/2026/` makes about thirty comparisons, and in a guest that was the
//! largest single cost of a 1 KiB put. [`Key`] and [`KeyStr`] order exactly as the
//! strings do (byte-wise lexicographic, a prefix first), so listings are unchanged.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;

/// An owned key in a sorted map. Look it up with [`KeyStr::new`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Key(Box<str>);

/// A borrowed key with the same order as [`Key`].
#[derive(PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct KeyStr(str);

impl KeyStr {
    pub fn new(s: &str) -> &KeyStr {
        // SAFETY: `KeyStr` is a `repr(transparent)` wrapper around `str`.
        unsafe { &*(s as *const str as *const KeyStr) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Key {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Key {
    fn from(s: &str) -> Key {
        Key(s.into())
    }
}

impl From<String> for Key {
    fn from(s: String) -> Key {
        Key(s.into_boxed_str())
    }
}

impl Borrow<KeyStr> for Key {
    fn borrow(&self) -> &KeyStr {
        KeyStr::new(&self.0)
    }
}

impl Ord for KeyStr {
    fn cmp(&self, other: &Self) -> Ordering {
        compare(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl PartialOrd for KeyStr {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        compare(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Debug for KeyStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// Byte-wise lexicographic order, as `<[u8]>::cmp`, eight bytes per step.
pub fn compare(a: &[u8], b: &[u8]) -> Ordering {
    let common = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= common {
        let x = u64::from_be_bytes(a[i..i + 8].try_into().expect("8 bytes"));
        let y = u64::from_be_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        if x != y {
            return x.cmp(&y);
        }
        i += 8;
    }
    // Fewer than eight bytes are left in at least one of them. Zero-padded,
    // the first difference is either a real byte or the end of the shorter
    // one (a zero against the longer one's non-zero byte); equal windows mean
    // one is a prefix of the other, and the length decides.
    let x = window(&a[i..]);
    let y = window(&b[i..]);
    x.cmp(&y).then(a.len().cmp(&b.len()))
}

/// Up to eight bytes, big-endian, zero-padded on the right. Built byte by
/// byte: a `copy_from_slice` of a variable length is a `memory.copy`, which
/// in wasmtime is a call out to the host.
fn window(s: &[u8]) -> u64 {
    let mut w = 0u64;
    for (i, &b) in s.iter().take(8).enumerate() {
        w |= (b as u64) << (56 - 8 * i);
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn orders_exactly_as_bytes_do() {
        let samples: Vec<&[u8]> = vec![
            b"",
            b"\0",
            b"\0\0",
            b"a",
            b"a\0",
            b"a\0b",
            b"ab",
            b"abcdefg",
            b"abcdefgh",
            b"abcdefgh\0",
            b"abcdefghi",
            b"abcdefgi",
            b"abcdefgh\xff",
            b"obj-1024-19999",
            b"obj-1024-2",
            b"obj-1024-20000",
            b"\xff\xff\xff\xff\xff\xff\xff\xff\xff",
            b"photos/2026/11/26/IMG_0001.jpg",
            b"photos/2026/11/26/IMG_0001.jpg.xmp",
            b"photos/2026/11/26/IMG_0002.jpg",
        ];
        for a in &samples {
            for b in &samples {
                assert_eq!(compare(a, b), a.cmp(b), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn a_map_of_keys_is_sorted_as_strings_are_and_found_by_str() {
        let words = ["b/2", "a", "b", "b/10", "ab", "a/", "", "zz", "b/1"];
        let m: BTreeMap<Key, usize> = words.iter().map(|w| (Key::from(*w), w.len())).collect();
        let mut sorted = words.to_vec();
        sorted.sort();
        let keys: Vec<&str> = m.keys().map(Key::as_str).collect();
        assert_eq!(keys, sorted);
        assert_eq!(m.get(KeyStr::new("b/10")), Some(&4));
        assert_eq!(m.get(KeyStr::new("b/3")), None);
    }
}
