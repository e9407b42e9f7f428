"""An in-memory trove driver written in Python (world trove:driver/mem-driver@0.2.0).

The same semantics as the Rust `mem` driver (drivers/mem), as wit/README.md states
them. Names, conditions, ranges, listing and ETags come from the `trove_driver` package
(drivers-py/trove_driver: pure Python, tested on its own), whose checks raise
`DriverError`; `@translate(to_err)` turns that into the bindings' `Err` on the way out.
Built into a component by scripts/build-other-drivers.sh with componentize-py, which
finds the package through `-p`:

    componentize-py -d wit -w trove:driver/mem-driver@0.2.0 componentize app \
        -p . -p ../trove_driver -o mem_py.wasm

Everything lives in this instance, so `info().stateful` is true: the host keeps one
instance and serialises calls. Each bucket keeps its keys sorted, so a list reads
only the keys of its page.
"""

import time
from typing import Dict, List, Optional, Tuple

from componentize_py_types import Err
from trove_driver import (
    DriverError,
    Hasher,
    ListRequest,
    SortedKeys,
    Span,
    Suffix,
    check_get,
    check_put,
    list_page,
    resolve,
    translate,
    validate_bucket,
    validate_key,
)
from trove_driver.errors import TAGS, invalid_argument
from wit_world import exports
from wit_world.exports import core
from wit_world.imports import log, types
from wit_world.imports.types import (
    BucketInfo,
    ByteRange_Span,
    ContentHeaders,
    DriverInfo,
    Dsn,
    GetOptions,
    ListOptions,
    ListPage,
    ObjectInfo,
    PutOptions,
    Timestamp,
)

# "object-not-found" -> types.Error_ObjectNotFound, and so on for every case.
WIT_ERRORS = {tag: getattr(types, "Error_" + tag.title().replace("-", "")) for tag in TAGS}


def to_err(e: DriverError) -> Err:
    return Err(WIT_ERRORS[e.tag](e.message))


def now() -> Timestamp:
    ns = time.time_ns()
    return Timestamp(ns // 1_000_000_000, ns % 1_000_000_000)


# ---- the store ----

class Object:
    def __init__(self, data: bytes, etag: str, content_type: Optional[str],
                 headers: ContentHeaders, metadata):
        self.data = data
        self.etag = etag
        self.content_type = content_type
        self.headers = headers  # Cache-Control, Content-Disposition, … as given
        self.metadata = list(metadata)
        self.modified = now()

    def info(self, key: str) -> ObjectInfo:
        return ObjectInfo(key, len(self.data), self.etag, self.content_type, self.headers,
                          self.modified, list(self.metadata), None, None)


class Bucket:
    def __init__(self):
        self.created = now()
        self.objects: Dict[str, Object] = {}
        self.keys = SortedKeys()  # the keys of `objects`, in order, for listing

    def put(self, key: str, obj: Object) -> ObjectInfo:
        if key not in self.objects:
            self.keys.add(key)
        self.objects[key] = obj
        return obj.info(key)

    def delete(self, key: str) -> None:
        if self.objects.pop(key, None) is not None:
            self.keys.discard(key)

    def info(self, key: str) -> Optional[ObjectInfo]:
        o = self.objects.get(key)
        return None if o is None else o.info(key)


BUCKETS: Dict[str, Bucket] = {}


def bucket(name: str) -> Bucket:
    validate_bucket(name)
    b = BUCKETS.get(name)
    if b is None:
        raise DriverError("bucket-not-found", f"bucket {name!r} does not exist")
    return b


def find(bucket_name: str, key: str) -> Object:
    validate_bucket(bucket_name)
    validate_key(key)
    o = bucket(bucket_name).objects.get(key)
    if o is None:
        raise DriverError("object-not-found", f"no object {key!r} in bucket {bucket_name!r}")
    return o


def current_etag(bucket_name: str, key: str) -> Optional[str]:
    o = bucket(bucket_name).objects.get(key)
    return None if o is None else o.etag


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


@translate(to_err)
class MemWriter(core.Writer):
    def __init__(self, bucket_name: str, key: str, opts: PutOptions):
        self.bucket = bucket_name
        self.key = key
        self.opts = opts
        self.parts: Optional[List[bytes]] = []
        self.hasher = Hasher()

    def _open(self) -> List[bytes]:
        if self.parts is None:
            raise invalid_argument("the upload was already finished or aborted")
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
        obj = Object(b"".join(parts), self.hasher.finish(), self.opts.content_type,
                     self.opts.headers, self.opts.metadata)
        return b.put(self.key, obj)

    def abort(self) -> None:
        self.parts = None


# ---- the core interface ----

@translate(to_err)
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
            raise DriverError("unsupported", "the mem-py driver keeps no versions")
        o = find(bucket_name, key)
        check_get(opts.if_match, opts.if_none_match, o.etag)
        rng = opts.range
        if rng is not None:
            rng = Span(*rng.value) if isinstance(rng, ByteRange_Span) else Suffix(rng.value)
        offset, length = resolve(rng, len(o.data))
        return o.info(key), core.Body_Guest(MemReader(o.data, offset, length))

    def head(self, bucket_name: str, key: str) -> ObjectInfo:
        return find(bucket_name, key).info(key)

    def delete(self, bucket_name: str, key: str) -> None:
        validate_bucket(bucket_name)
        validate_key(key)
        bucket(bucket_name).delete(key)

    def list(self, bucket_name: str, opts: ListOptions) -> ListPage:
        req = ListRequest(opts.prefix, opts.delimiter, opts.max_keys, opts.cursor)
        b = bucket(bucket_name)
        page = list_page(req, b.keys.seek, b.info)
        return ListPage(page.objects, page.common_prefixes, page.next_cursor)

    def copy(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str) -> ObjectInfo:
        for b, k in ((src_bucket, src_key), (dst_bucket, dst_key)):
            validate_bucket(b)
            validate_key(k)
        bucket(src_bucket)
        dst = bucket(dst_bucket)
        src = find(src_bucket, src_key)
        return dst.put(dst_key, Object(src.data, src.etag, src.content_type, src.headers,
                                       src.metadata))

    def create_bucket(self, bucket_name: str) -> None:
        validate_bucket(bucket_name)
        if bucket_name in BUCKETS:
            raise DriverError("bucket-exists", f"bucket {bucket_name!r} already exists")
        BUCKETS[bucket_name] = Bucket()

    def delete_bucket(self, bucket_name: str) -> None:
        if bucket(bucket_name).objects:
            raise DriverError("bucket-not-empty", f"bucket {bucket_name!r} is not empty")
        del BUCKETS[bucket_name]

    def list_buckets(self) -> List[BucketInfo]:
        return [BucketInfo(n, BUCKETS[n].created) for n in sorted(BUCKETS)]
