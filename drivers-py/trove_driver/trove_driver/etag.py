"""The content ETag: 32 lowercase hex characters and `-b2b`, without quotes (drivers/common/src/etag.rs).

The suffix gives it a shape no S3 client takes for an MD5 (README "ETags").

The Rust drivers use xxh3-128, which Python's standard library lacks; this uses BLAKE2b
with a 16-byte digest from `hashlib` instead. The contract asks only that the ETag be
derived from the content (the same content, the same tag), so the two need not agree, and
a Python driver's ETags differ from a Rust driver's for the same bytes.
"""

import hashlib

SUFFIX = "-b2b"


class Hasher:
    """Computes an ETag incrementally while the content streams past."""

    __slots__ = ("_inner", "_len")

    def __init__(self):
        self._inner = hashlib.blake2b(digest_size=16)
        self._len = 0

    def update(self, data: bytes) -> None:
        self._inner.update(data)
        self._len += len(data)

    def __len__(self) -> int:
        """Bytes hashed so far."""
        return self._len

    def finish(self) -> str:
        """The ETag of everything hashed so far (the hasher may go on)."""
        return self._inner.hexdigest() + SUFFIX


def etag_of(data: bytes) -> str:
    """The ETag of `data` in one go."""
    return hashlib.blake2b(data, digest_size=16).hexdigest() + SUFFIX
