"""Helpers for trove drivers written in Python: the logic of the Rust drivers' shared crate
(drivers/common) that every driver needs, free of the WIT bindings, so that it is tested
with plain `unittest` and used by any driver built with componentize-py.

- `names`: bucket-name and key validation;
- `conditions`: `if-match` / `if-none-match` for get and put;
- `ranges`: a byte range resolved against an object's size;
- `listing`: one page of a listing (prefix, delimiter, max-keys, opaque cursor), reading
  only about as many keys as the page holds;
- `etag`: a content-derived ETag, computed incrementally;
- `errors`: `DriverError(tag, message)`, what every check raises, and `translate`, which
  turns it into the bindings' `Err` at the driver's boundary.
"""

from .conditions import check_get, check_put, matches
from .errors import DriverError, translate
from .etag import Hasher, etag_of
from .listing import MAX_KEYS, ListRequest, Page, Position, SortedKeys, list_page, prefix_successor
from .names import MAX_BUCKET_LEN, MAX_KEY_LEN, validate_bucket, validate_key
from .ranges import Resolved, Span, Suffix, resolve

__version__ = "0.1.0"

__all__ = [
    "DriverError",
    "translate",
    "validate_bucket",
    "validate_key",
    "MAX_BUCKET_LEN",
    "MAX_KEY_LEN",
    "matches",
    "check_get",
    "check_put",
    "Span",
    "Suffix",
    "Resolved",
    "resolve",
    "Hasher",
    "etag_of",
    "MAX_KEYS",
    "ListRequest",
    "Position",
    "Page",
    "SortedKeys",
    "list_page",
    "prefix_successor",
]
