//! A byte-range option resolved against an object's size (wit/README.md, "Get").

use crate::Error;

/// The WIT `byte-range`, free of bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `offset` and an optional `length` (absent: to the end).
    Span { offset: u64, length: Option<u64> },
    /// The last `n` bytes.
    Suffix(u64),
}

/// The part of an object a get returns: `offset` and `length` in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    pub offset: u64,
    pub length: u64,
}

impl Resolved {
    /// True when the whole object of `size` bytes is returned.
    pub fn is_whole(&self, size: u64) -> bool {
        self.offset == 0 && self.length == size
    }
}

/// Resolves `range` against an object of `size` bytes.
///
/// - no range: the whole object;
/// - `span(offset, len)`: clipped at the end; an offset at or past the end of a
///   non-empty object, or any offset > 0 of an empty one, is invalid-argument;
///   a span at offset 0 of an empty object is the (empty) object;
/// - `suffix(n)`: the last `n` bytes; `n` larger than the object gives the whole object.
///   `suffix(0)` selects nothing and is invalid-argument on a non-empty object (as
///   HTTP's `bytes=-0` is unsatisfiable); on an empty object it is the empty object.
pub fn resolve(range: Option<ByteRange>, size: u64) -> Result<Resolved, Error> {
    match range {
        None => Ok(Resolved {
            offset: 0,
            length: size,
        }),
        Some(ByteRange::Span { offset, length }) => {
            if size == 0 {
                if offset > 0 {
                    return Err(Error::InvalidArgument(format!(
                        "range offset {offset} is past the end of an empty object"
                    )));
                }
                return Ok(Resolved {
                    offset: 0,
                    length: 0,
                });
            }
            if offset >= size {
                return Err(Error::InvalidArgument(format!(
                    "range offset {offset} is at or past the end of the object ({size} bytes)"
                )));
            }
            let rest = size - offset;
            Ok(Resolved {
                offset,
                length: length.map_or(rest, |l| l.min(rest)),
            })
        }
        Some(ByteRange::Suffix(n)) => {
            if n == 0 && size > 0 {
                return Err(Error::InvalidArgument(
                    "a suffix range of 0 bytes selects nothing".into(),
                ));
            }
            let length = n.min(size);
            Ok(Resolved {
                offset: size - length,
                length,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(offset: u64, length: Option<u64>) -> Option<ByteRange> {
        Some(ByteRange::Span { offset, length })
    }

    fn ok(offset: u64, length: u64) -> Result<Resolved, Error> {
        Ok(Resolved { offset, length })
    }

    fn invalid(r: Result<Resolved, Error>) -> bool {
        matches!(r, Err(Error::InvalidArgument(_)))
    }

    #[test]
    fn whole() {
        assert_eq!(resolve(None, 10), ok(0, 10));
        assert_eq!(resolve(None, 0), ok(0, 0));
        assert!(resolve(None, 10).unwrap().is_whole(10));
    }

    #[test]
    fn spans() {
        assert_eq!(resolve(span(0, Some(4)), 10), ok(0, 4));
        assert_eq!(resolve(span(2, Some(3)), 10), ok(2, 3));
        assert_eq!(resolve(span(2, None), 10), ok(2, 8));
        assert_eq!(resolve(span(8, Some(100)), 10), ok(8, 2));
        assert_eq!(resolve(span(9, Some(u64::MAX)), 10), ok(9, 1));
        assert_eq!(resolve(span(3, Some(0)), 10), ok(3, 0));
        assert!(invalid(resolve(span(10, None), 10)));
        assert!(invalid(resolve(span(11, Some(1)), 10)));
        assert!(invalid(resolve(span(u64::MAX, None), 10)));
    }

    #[test]
    fn empty_object() {
        assert_eq!(resolve(span(0, None), 0), ok(0, 0));
        assert_eq!(resolve(span(0, Some(5)), 0), ok(0, 0));
        assert!(invalid(resolve(span(1, None), 0)));
        assert_eq!(resolve(Some(ByteRange::Suffix(5)), 0), ok(0, 0));
        assert_eq!(resolve(Some(ByteRange::Suffix(0)), 0), ok(0, 0));
    }

    #[test]
    fn suffixes() {
        assert_eq!(resolve(Some(ByteRange::Suffix(3)), 10), ok(7, 3));
        assert_eq!(resolve(Some(ByteRange::Suffix(10)), 10), ok(0, 10));
        assert_eq!(resolve(Some(ByteRange::Suffix(11)), 10), ok(0, 10));
        assert_eq!(resolve(Some(ByteRange::Suffix(u64::MAX)), 10), ok(0, 10));
        assert!(invalid(resolve(Some(ByteRange::Suffix(0)), 10)));
    }
}
