"""Bucket-name and key validation (wit/README.md, "Names"); drivers/common/src/names.rs."""

from ._quote import debug_char, debug_str
from .errors import invalid_argument

#: Longest bucket name, in characters.
MAX_BUCKET_LEN = 63
#: Longest key, in bytes of UTF-8.
MAX_KEY_LEN = 1024

_BUCKET_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


def validate_bucket(name: str) -> None:
    """A bucket name is 1-63 characters of `[a-z0-9._-]`, not starting with `.`;
    anything else raises `DriverError("invalid-argument", ...)`."""
    if not name:
        raise invalid_argument("bucket name is empty")
    for c in name:
        if c not in _BUCKET_CHARS:
            raise invalid_argument(
                f"bucket name {debug_str(name)} contains {debug_char(c)}; "
                "allowed are a-z, 0-9, '.', '_' and '-'"
            )
    if len(name) > MAX_BUCKET_LEN:
        raise invalid_argument(
            f"bucket name is {len(name)} characters long, the limit is {MAX_BUCKET_LEN}"
        )
    if name.startswith("."):
        raise invalid_argument(f"bucket name {debug_str(name)} starts with '.'")


def validate_key(key: str) -> None:
    """A key is non-empty UTF-8 without NUL, at most 1024 bytes; anything else raises
    `DriverError("invalid-argument", ...)`. (A string from the bindings is always valid
    UTF-8; one with a lone surrogate, which only Python can make, is refused too.)"""
    if not key:
        raise invalid_argument("key is empty")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise invalid_argument(f"key {debug_str(key)} is not valid UTF-8") from None
    if size > MAX_KEY_LEN:
        raise invalid_argument(f"key is {size} bytes long, the limit is {MAX_KEY_LEN}")
    if "\0" in key:
        raise invalid_argument("key contains a NUL character")
