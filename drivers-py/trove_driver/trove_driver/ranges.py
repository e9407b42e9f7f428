"""A byte-range option resolved against an object's size (wit/README.md, "Get");
drivers/common/src/range.rs.

The WIT `byte-range` is `span(tuple<u64, option<u64>>)` or `suffix(u64)`; here, free of
the bindings, it is `Span(offset, length)` or `Suffix(n)`. A driver converts:

    Span(*r.value) if isinstance(r, ByteRange_Span) else Suffix(r.value)
"""

from typing import NamedTuple, Optional, Union

from .errors import invalid_argument


class Span(NamedTuple):
    """`offset` and an optional `length` (None: to the end)."""

    offset: int
    length: Optional[int] = None


class Suffix(NamedTuple):
    """The last `n` bytes."""

    n: int


ByteRange = Union[Span, Suffix]


class Resolved(NamedTuple):
    """The part of an object a get returns: `offset` and `length` in bytes."""

    offset: int
    length: int

    def is_whole(self, size: int) -> bool:
        """True when the whole object of `size` bytes is returned."""
        return self.offset == 0 and self.length == size


def resolve(range: Optional[ByteRange], size: int) -> Resolved:
    """Resolves `range` against an object of `size` bytes.

    - None: the whole object;
    - `Span(offset, length)`: clipped at the end; an offset at or past the end of a
      non-empty object, or any offset > 0 of an empty one, is invalid-argument; a span at
      offset 0 of an empty object is the (empty) object;
    - `Suffix(n)`: the last `n` bytes; `n` larger than the object gives the whole object.
      `Suffix(0)` selects nothing and is invalid-argument on a non-empty object (as HTTP's
      `bytes=-0` is unsatisfiable); on an empty object it is the empty object.
    """
    if range is None:
        return Resolved(0, size)
    if isinstance(range, Span):
        offset, length = range
        if size == 0:
            if offset > 0:
                raise invalid_argument(f"range offset {offset} is past the end of an empty object")
            return Resolved(0, 0)
        if offset >= size:
            raise invalid_argument(
                f"range offset {offset} is at or past the end of the object ({size} bytes)"
            )
        rest = size - offset
        return Resolved(offset, rest if length is None else min(length, rest))
    if isinstance(range, Suffix):
        n = range.n
        if n == 0 and size > 0:
            raise invalid_argument("a suffix range of 0 bytes selects nothing")
        length = min(n, size)
        return Resolved(size - length, length)
    raise TypeError(f"a range is a Span or a Suffix, not {type(range).__name__}")
