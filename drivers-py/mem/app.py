"""An in-memory trove driver written in Python (world trove:driver/mem-driver@0.1.0).

The same semantics as the Rust `mem` driver (drivers/mem), as wit/README.md states
them. Built into a component by scripts/build-other-drivers.sh with componentize-py:

    componentize-py -d wit -w trove:driver/mem-driver@0.1.0 componentize app -o mem_py.wasm

Everything lives in this instance, so `info().stateful` is true: the host keeps one
instance and serialises calls.
"""

import hashlib
import time
from typing import Dict, List, Optional, Tuple

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports import core
from wit_world.imports import log
from wit_world.imports.types import (
    BucketInfo,
    ByteRange_Span,
    ByteRange_Suffix,
    DriverInfo,
    Dsn,
    Error_BucketExists,
    Error_BucketNotEmpty,
    Error_BucketNotFound,
    Error_InvalidArgument,
    Error_ObjectNotFound,
    Error_PreconditionFailed,
    Error_Unsupported,
    GetOptions,
    ListOptions,
    ListPage,
    ObjectInfo,
    PutOptions,
    Timestamp,
)

MAX_KEYS = 1000
BUCKET_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")


# ---- names, conditions, ranges (drivers/common in the Rust drivers) ----

def invalid(msg: str) -> Err:
    return Err(Error_InvalidArgument(msg))


def validate_bucket(name: str) -> None:
    if not name:
        raise invalid("bucket name is empty")
    bad = [c for c in name if c not in BUCKET_CHARS]
    if bad:
        raise invalid(f"bucket name {name!r} contains {bad[0]!r}; allowed are a-z, 0-9, '.', '_' and '-'")
    if len(name) > 63:
        raise invalid(f"bucket name is {len(name)} characters long, the limit is 63")
    if name.startswith("."):
        raise invalid(f"bucket name {name!r} starts with '.'")


def validate_key(key: str) -> None:
    if not key:
        raise invalid("key is empty")
    if len(key.encode("utf-8", "surrogatepass")) > 1024:
        raise invalid("key is longer than 1024 bytes")
    if "\0" in key:
        raise invalid("key contains a NUL character")


def etag_matches(value: str, etag: str) -> bool:
    for item in value.split(","):
        item = item.strip()
        if item == "*":
            return True
        if item.startswith("W/"):
            item = item[2:]
        if len(item) >= 2 and item.startswith('"') and item.endswith('"'):
            item = item[1:-1]
        if item and item == etag:
            return True
    return False


def precondition(msg: str) -> Err:
    return Err(Error_PreconditionFailed(msg))


def check_get(if_match: Optional[str], if_none_match: Optional[str], etag: str) -> None:
    if if_match is not None and not etag_matches(if_match, etag):
        raise precondition(f"if-match {if_match!r} does not match the current ETag {etag}")
    if if_none_match is not None and etag_matches(if_none_match, etag):
        raise precondition(f"if-none-match {if_none_match!r} matches the current ETag {etag}")


def check_put(if_match: Optional[str], if_none_match: Optional[str], current: Optional[str]) -> None:
    if if_none_match is not None and current is not None and etag_matches(if_none_match, current):
        raise precondition(f"if-none-match {if_none_match!r}: the object already exists")
    if if_match is not None:
        if current is None:
            raise precondition(f"if-match {if_match!r}: the object does not exist")
        if not etag_matches(if_match, current):
            raise precondition(f"if-match {if_match!r} does not match the current ETag {current}")


def resolve_range(rng, size: int) -> Tuple[int, int]:
    """(offset, length) of a byte range against an object of `size` bytes."""
    if rng is None:
        return 0, size
    if isinstance(rng, ByteRange_Span):
        offset, length = rng.value
        if size == 0:
            if offset > 0:
                raise invalid(f"range offset {offset} is past the end of an empty object")
            return 0, 0
        if offset >= size:
            raise invalid(f"range offset {offset} is at or past the end of the object ({size} bytes)")
        rest = size - offset
        return offset, rest if length is None else min(length, rest)
    n = rng.value
    if n == 0 and size > 0:
        raise invalid("a suffix range of 0 bytes selects nothing")
    length = min(n, size)
    return size - length, length


def now() -> Timestamp:
    ns = time.time_ns()
    return Timestamp(ns // 1_000_000_000, ns % 1_000_000_000)


# ---- the store ----

class Object:
    def __init__(self, data: bytes, etag: str, opts: PutOptions):
        self.data = data
        self.etag = etag
        self.content_type = opts.content_type
        self.metadata = list(opts.metadata)
        self.modified = now()

    def info(self, key: str) -> ObjectInfo:
        return ObjectInfo(key, len(self.data), self.etag, self.content_type, self.modified,
                          list(self.metadata), None, None)


class Bucket:
    def __init__(self):
        self.created = now()
        self.objects: Dict[str, Object] = {}


BUCKETS: Dict[str, Bucket] = {}


def bucket(name: str) -> Bucket:
    validate_bucket(name)
    b = BUCKETS.get(name)
    if b is None:
        raise Err(Error_BucketNotFound(f"bucket {name!r} does not exist"))
    return b


def find(bucket_name: str, key: str) -> Object:
    validate_bucket(bucket_name)
    validate_key(key)
    o = bucket(bucket_name).objects.get(key)
    if o is None:
        raise Err(Error_ObjectNotFound(f"no object {key!r} in bucket {bucket_name!r}"))
    return o


def current_etag(bucket_name: str, key: str) -> Optional[str]:
    o = bucket(bucket_name).objects.get(key)
    return None if o is None else o.etag


def byte_key(k: str) -> bytes:
    return k.encode("utf-8", "surrogatepass")


def cursor_encode(tag: str, s: str) -> str:
    return (tag.encode() + byte_key(s)).hex()


def cursor_decode(c: str) -> Tuple[str, str]:
    try:
        raw = bytes.fromhex(c)
        tag, rest = chr(raw[0]), raw[1:].decode("utf-8")
    except Exception:
        raise invalid(f"invalid list cursor {c!r}")
    if tag not in ("k", "p"):
        raise invalid(f"invalid list cursor {c!r}")
    return tag, rest


# ---- the exported resources ----

class MemReader(core.Reader):
    def __init__(self, data: bytes, offset: int, length: int):
        self.view = memoryview(data)[offset:offset + length]
        self.pos = 0

    def read(self, max: int) -> bytes:
        n = min(max, len(self.view) - self.pos, 16 << 20)
        chunk = bytes(self.view[self.pos:self.pos + n])
        self.pos += n
        return chunk


class MemWriter(core.Writer):
    def __init__(self, bucket_name: str, key: str, opts: PutOptions):
        self.bucket = bucket_name
        self.key = key
        self.opts = opts
        self.parts: Optional[List[bytes]] = []
        self.hasher = hashlib.sha256()

    def _open(self) -> List[bytes]:
        if self.parts is None:
            raise invalid("the upload was already finished or aborted")
        return self.parts

    def write(self, chunk: bytes) -> None:
        self._open().append(chunk)
        self.hasher.update(chunk)

    def finish(self) -> ObjectInfo:
        parts = self._open()
        self.parts = None
        validate_key(self.key)
        b = bucket(self.bucket)
        check_put(self.opts.if_match, self.opts.if_none_match, current_etag(self.bucket, self.key))
        obj = Object(b"".join(parts), self.hasher.hexdigest()[:32], self.opts)
        b.objects[self.key] = obj
        return obj.info(self.key)

    def abort(self) -> None:
        self.parts = None


# ---- the core interface ----

class Core(exports.Core):
    def info(self) -> DriverInfo:
        return DriverInfo("mem-py", "0.1.0", True)

    def name(self) -> str:
        return "mem-py"

    def open(self, dsn: Dsn) -> None:
        log.log(log.Level.DEBUG, f"mem-py driver opened for {dsn.display}")

    def close(self) -> None:
        pass

    def ping(self) -> None:
        pass

    def put(self, bucket_name: str, key: str, opts: PutOptions) -> core.Writer:
        validate_bucket(bucket_name)
        validate_key(key)
        check_put(opts.if_match, opts.if_none_match, current_etag(bucket_name, key))
        return MemWriter(bucket_name, key, opts)

    def get(self, bucket_name: str, key: str, opts: GetOptions) -> Tuple[ObjectInfo, core.Body]:
        validate_bucket(bucket_name)
        validate_key(key)
        if opts.version_id is not None:
            raise Err(Error_Unsupported("the mem-py driver keeps no versions"))
        o = find(bucket_name, key)
        check_get(opts.if_match, opts.if_none_match, o.etag)
        offset, length = resolve_range(opts.range, len(o.data))
        return o.info(key), core.Body_Guest(MemReader(o.data, offset, length))

    def head(self, bucket_name: str, key: str) -> ObjectInfo:
        return find(bucket_name, key).info(key)

    def delete(self, bucket_name: str, key: str) -> None:
        validate_bucket(bucket_name)
        validate_key(key)
        bucket(bucket_name).objects.pop(key, None)

    def list(self, bucket_name: str, opts: ListOptions) -> ListPage:
        after = None if not opts.cursor else cursor_decode(opts.cursor)
        max_keys = MAX_KEYS if not opts.max_keys else min(opts.max_keys, MAX_KEYS)
        prefix = opts.prefix or ""
        delim = opts.delimiter or None
        objects = bucket(bucket_name).objects
        page = ListPage([], [], None)
        count, last, more = 0, None, False
        for key in sorted(objects, key=byte_key):
            if not key.startswith(prefix):
                continue
            if after is not None:
                tag, pos = after
                if byte_key(key) <= byte_key(pos) or (tag == "p" and key.startswith(pos)):
                    continue
            rolled = None
            if delim is not None:
                i = key.find(delim, len(prefix))
                if i >= 0:
                    rolled = key[:i + len(delim)]
            if rolled is not None:
                if last == ("p", rolled):
                    continue
                if count == max_keys:
                    more = True
                    break
                page.common_prefixes.append(rolled)
                last = ("p", rolled)
            else:
                if count == max_keys:
                    more = True
                    break
                page.objects.append(objects[key].info(key))
                last = ("k", key)
            count += 1
        if more and last is not None:
            page.next_cursor = cursor_encode(*last)
        return page

    def copy(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str) -> ObjectInfo:
        for b, k in ((src_bucket, src_key), (dst_bucket, dst_key)):
            validate_bucket(b)
            validate_key(k)
        bucket(src_bucket)
        dst = bucket(dst_bucket)
        src = find(src_bucket, src_key)
        obj = Object(src.data, src.etag, PutOptions(src.content_type, list(src.metadata), None, None, len(src.data)))
        dst.objects[dst_key] = obj
        return obj.info(dst_key)

    def create_bucket(self, bucket_name: str) -> None:
        validate_bucket(bucket_name)
        if bucket_name in BUCKETS:
            raise Err(Error_BucketExists(f"bucket {bucket_name!r} already exists"))
        BUCKETS[bucket_name] = Bucket()

    def delete_bucket(self, bucket_name: str) -> None:
        if bucket(bucket_name).objects:
            raise Err(Error_BucketNotEmpty(f"bucket {bucket_name!r} is not empty"))
        del BUCKETS[bucket_name]

    def list_buckets(self) -> List[BucketInfo]:
        return [BucketInfo(n, BUCKETS[n].created) for n in sorted(BUCKETS)]
