"""One page of a listing (wit/README.md, "List"); drivers/common/src/listing.rs.

A driver hands `list_page` a way to read its keys in order from a starting point (`seek`)
and a way to fetch one key's info; the function applies the prefix, the delimiter
roll-up, `max-keys` and the cursor. The semantics:

- keys are sorted by byte order of their UTF-8, which for Python strings (code points,
  no lone surrogates) is plain `str` order;
- with a delimiter, a key that contains it after the prefix is rolled up into one common
  prefix: the prefix up to and including the first delimiter after it;
- `max-keys` (0 or absent: 1000, capped at 1000) counts objects and common prefixes
  together;
- the cursor is opaque: hex of a tag (`k` key, `p` common prefix) and the last entry
  returned, the same encoding as the Rust drivers'. Resuming after a common prefix skips
  every key under it, so each common prefix appears once across all pages;
- there is no cursor when nothing remains, also when the last page is exactly full.

The work is proportional to the page, not the bucket: the source is asked to start at
the cursor (or the prefix), and after a key rolls up into a common prefix it is asked
again to start past every key under that prefix (at the prefix's successor). With keys in
a `SortedKeys` (a sorted list kept with bisect), each such seek is a binary search.
"""

import bisect
import string
from typing import Callable, Iterable, Iterator, List, NamedTuple, Optional, Sequence, Tuple, TypeVar

from ._quote import debug_str
from .errors import invalid_argument

#: Default and largest `max-keys`.
MAX_KEYS = 1000

KEY = "k"
PREFIX = "p"

_HEX = frozenset(string.hexdigits)

T = TypeVar("T")

#: `seek(start, inclusive)`: the keys >= `start` (> `start` when not `inclusive`) in
#: increasing order; see `list_page`.
Seek = Callable[[str, bool], Iterable[str]]


class Position(NamedTuple):
    """The last entry a page returned, as a cursor encodes it: `kind` is `KEY` or
    `PREFIX`."""

    kind: str
    value: str

    @classmethod
    def key(cls, k: str) -> "Position":
        return cls(KEY, k)

    @classmethod
    def prefix(cls, p: str) -> "Position":
        return cls(PREFIX, p)

    def encode(self) -> str:
        """The opaque cursor for this position: lowercase hex of the tag and the UTF-8."""
        return (self.kind.encode("ascii") + self.value.encode("utf-8")).hex()

    @classmethod
    def decode(cls, cursor: str) -> "Position":
        """Parses a cursor made by `encode`; anything else is invalid-argument."""
        bad = invalid_argument(f"invalid list cursor {debug_str(cursor)}")
        if not cursor or len(cursor) % 2 or not all(c in _HEX for c in cursor):
            raise bad
        raw = bytes.fromhex(cursor)
        try:
            value = raw[1:].decode("utf-8")
        except UnicodeDecodeError:
            raise bad from None
        tag = raw[:1]
        if tag == b"k":
            return cls(KEY, value)
        if tag == b"p":
            return cls(PREFIX, value)
        raise bad


class ListRequest:
    """The list options, checked and normalised:

    - `prefix`: "" when absent;
    - `delimiter`: None when absent or empty;
    - `max_keys`: 1..1000 (absent or 0: 1000);
    - `after`: the `Position` the previous page stopped at, from the cursor (None when
      absent or empty); a cursor that does not decode is invalid-argument.
    """

    __slots__ = ("prefix", "delimiter", "max_keys", "after")

    def __init__(
        self,
        prefix: Optional[str] = None,
        delimiter: Optional[str] = None,
        max_keys: Optional[int] = None,
        cursor: Optional[str] = None,
    ):
        self.prefix = prefix or ""
        self.delimiter = delimiter or None
        self.max_keys = MAX_KEYS if not max_keys else min(max_keys, MAX_KEYS)
        self.after = Position.decode(cursor) if cursor else None

    def __repr__(self) -> str:
        return (
            f"ListRequest(prefix={self.prefix!r}, delimiter={self.delimiter!r}, "
            f"max_keys={self.max_keys}, after={self.after!r})"
        )

    def lower_bound(self) -> Tuple[str, bool]:
        """The lowest key this page can contain, as `(start, inclusive)`."""
        if self.after is not None and self.after.value >= self.prefix:
            return self.after.value, False
        return self.prefix, True

    def wants_key(self, k: str) -> bool:
        """True when a key `k` may still belong to this page or a later one: it has the
        prefix and is past the cursor."""
        if not k.startswith(self.prefix):
            return False
        after = self.after
        if after is None:
            return True
        if after.kind == KEY:
            return k > after.value
        return k > after.value and not k.startswith(after.value)

    def wants_under(self, folder: str) -> bool:
        """True when some key starting with `folder` (e.g. `a/b/`) may be wanted: a source
        over a tree can skip whole subtrees for which this is false."""
        p = self.prefix
        if not (folder.startswith(p) or p.startswith(folder)):
            return False
        after = self.after
        if after is None:
            return True
        if after.kind == PREFIX and folder.startswith(after.value):
            return False
        # Every key under `folder` is > `folder`; if the cursor is past `folder` without
        # being inside it, every key under `folder` sorts before the cursor.
        return after.value < folder or after.value.startswith(folder)


class Page:
    """One page: `objects` (what `info` returned, by key), `common_prefixes` (sorted)
    and `next_cursor` (None on the last page)."""

    __slots__ = ("objects", "common_prefixes", "next_cursor")

    def __init__(self, objects=None, common_prefixes=None, next_cursor=None):
        self.objects: list = [] if objects is None else objects
        self.common_prefixes: List[str] = [] if common_prefixes is None else common_prefixes
        self.next_cursor: Optional[str] = next_cursor

    def __eq__(self, other) -> bool:
        return isinstance(other, Page) and (
            self.objects,
            self.common_prefixes,
            self.next_cursor,
        ) == (other.objects, other.common_prefixes, other.next_cursor)

    def __repr__(self) -> str:
        return (
            f"Page(objects={self.objects!r}, common_prefixes={self.common_prefixes!r}, "
            f"next_cursor={self.next_cursor!r})"
        )


def prefix_successor(prefix: str) -> Optional[str]:
    """The least string greater than every string that starts with `prefix`, if any
    (None for "" and for a run of U+10FFFF). Surrogates are skipped, as in UTF-8."""
    chars = list(prefix)
    while chars:
        n = ord(chars.pop())
        if n == 0xD7FF:
            chars.append("\ue000")
        elif n < 0x10FFFF:
            chars.append(chr(n + 1))
        else:
            continue
        return "".join(chars)
    return None


def list_page(req: ListRequest, seek: Seek, info: Callable[[str], Optional[T]]) -> Page:
    """Builds one page.

    `seek(start, inclusive)` yields keys >= `start` (> `start` when not `inclusive`) in
    strictly increasing order; `list_page` calls it once at the request's lower bound and
    again, past the group, each time keys roll up into a common prefix, and stops reading
    as soon as the page is decided (it reads at most one entry past a full page). A source
    may yield keys the request does not want (outside the prefix, before the cursor, even
    before `start`): they are filtered out, at the cost of reading them.

    `info(key)` gives what goes into `objects` for a key; None means the key vanished
    meanwhile and is left out.
    """
    prefix = req.prefix
    delimiter = req.delimiter
    max_keys = req.max_keys
    page = Page()
    start, inclusive = req.lower_bound()
    after = req.after
    if after is not None and after.kind == PREFIX:
        # Resume past every key under the common prefix the last page ended with.
        succ = prefix_successor(after.value)
        if succ is None:
            return page
        if succ > start:
            start, inclusive = succ, True

    # The cursor, unpacked (wants_key, inlined: this loop runs once per key read).
    after_kind, after_value = after if after is not None else (None, "")
    keys: Optional[Iterator[str]] = iter(seek(start, inclusive))
    count = 0
    last_kind: Optional[str] = None  # the last entry returned: its kind and value
    last_value = ""
    prev: Optional[str] = None
    more = False
    while keys is not None:
        source, keys = keys, None  # ends the outer loop unless a seek sets it again
        for key in source:
            if prev is not None and key <= prev:
                continue  # a source that started lower than asked, or over again
            prev = key
            if not key.startswith(prefix):
                if key > prefix:
                    break  # past every key with the prefix
                continue
            if after_kind is not None and (
                key <= after_value or (after_kind == PREFIX and key.startswith(after_value))
            ):
                continue  # not past the cursor
            if delimiter is not None:
                i = key.find(delimiter, len(prefix))
                if i >= 0:
                    cp = key[: i + len(delimiter)]
                    if last_kind == PREFIX and last_value == cp:
                        continue  # another key under the common prefix just returned
                    if count == max_keys:
                        more = True
                        break
                    page.common_prefixes.append(cp)
                    last_kind, last_value = PREFIX, cp
                    count += 1
                    succ = prefix_successor(cp)
                    if succ is not None:  # else no key sorts after the group
                        keys = iter(seek(succ, True))  # past the group
                    break
            obj = info(key)
            if obj is None:
                continue
            if count == max_keys:
                more = True
                break
            page.objects.append(obj)
            last_kind, last_value = KEY, key
            count += 1

    if more and last_kind is not None:
        page.next_cursor = Position(last_kind, last_value).encode()
    return page


def seek_in(keys: Sequence[str]) -> Seek:
    """A `seek` over a sorted sequence of keys, starting each time with a binary search."""

    def seek(start: str, inclusive: bool) -> Iterator[str]:
        i = (bisect.bisect_left if inclusive else bisect.bisect_right)(keys, start)
        return map(keys.__getitem__, range(i, len(keys)))

    return seek


class SortedKeys:
    """The keys of a bucket as a sorted list, kept sorted with bisect: `add` and
    `discard` are a binary search plus a list insert/delete; `seek` (for `list_page`)
    starts with a binary search."""

    __slots__ = ("_keys", "seek")

    def __init__(self, keys: Iterable[str] = ()):
        self._keys: List[str] = sorted(set(keys))
        self.seek: Seek = seek_in(self._keys)

    def add(self, key: str) -> bool:
        """Adds `key`; True when it was not there."""
        i = bisect.bisect_left(self._keys, key)
        if i < len(self._keys) and self._keys[i] == key:
            return False
        self._keys.insert(i, key)
        return True

    def discard(self, key: str) -> bool:
        """Removes `key`; True when it was there."""
        i = bisect.bisect_left(self._keys, key)
        if i < len(self._keys) and self._keys[i] == key:
            del self._keys[i]
            return True
        return False

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        i = bisect.bisect_left(self._keys, key)
        return i < len(self._keys) and self._keys[i] == key

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __repr__(self) -> str:
        return f"SortedKeys({self._keys!r})"
