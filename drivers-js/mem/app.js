// An in-memory trove driver written in JavaScript (world trove:driver/mem-driver@0.2.0).
//
// The same semantics as the Rust `mem` driver (drivers/mem), as wit/README.md states
// them; names, conditions, ranges, ETags and listing pages come from the trove-driver
// package (drivers-js/trove-driver). Built into a component by
// scripts/build-other-drivers.sh with componentize-js, run from drivers-js/ so that
// the relative import below resolves:
//
//   cd drivers-js && componentize-js mem/app.js --wit ../wit \
//     --world-name trove:driver/mem-driver@0.2.0 -d http -d fetch-event -o mem_js.wasm
//
// How WIT maps to JavaScript here: the exported interface `core` is the exported
// object `core`; its resources are classes on it (`Reader`, `Writer`); a `result`'s
// error is thrown as `{ tag: 'invalid-argument', val: 'message' }`; u64/s64 are
// BigInt; list<u8> is a Uint8Array; option<T> is T or undefined.

import { log } from 'trove:driver/log@0.2.0';
import {
  DigestHasher, SortedKeys, bucketExists, bucketNotEmpty, bucketNotFound, checkGet, checkPut,
  compareKeys, invalidArgument, listRequest, now, objectNotFound, releaseBytes, resolveRange,
  unsupported, validateBucket, validateKey,
} from '../trove-driver/index.js';

const MAX_READ = 16 << 20;

// ---- the store ----

// name -> { created, objects: Map(key -> object), keys: SortedKeys }
const buckets = new Map();

function bucket(name) {
  validateBucket(name);
  const b = buckets.get(name);
  if (b === undefined) throw bucketNotFound(`bucket ${JSON.stringify(name)} does not exist`);
  return b;
}

function find(bucketName, key) {
  validateBucket(bucketName);
  validateKey(key);
  const o = bucket(bucketName).objects.get(key);
  if (o === undefined) {
    throw objectNotFound(`no object ${JSON.stringify(key)} in bucket ${JSON.stringify(bucketName)}`);
  }
  return o;
}

function store(b, key, o) {
  if (!b.objects.has(key)) b.keys.insert(key);
  b.objects.set(key, o);
}

function info(key, o) {
  return {
    key,
    size: BigInt(o.data.length),
    etag: o.etag,
    contentType: o.contentType,
    headers: { ...o.headers },
    lastModified: o.modified,
    metadata: o.metadata.map(([k, v]) => [k, v]),
    versionId: undefined,
    storageClass: undefined,
  };
}

// ---- the exported resources ----

class Reader {
  constructor(data, offset, length) {
    this.data = data.subarray(offset, offset + length);
    this.pos = 0;
  }
  read(max) {
    const n = Math.min(Number(max), this.data.length - this.pos, MAX_READ);
    const chunk = this.data.slice(this.pos, this.pos + n);
    this.pos += n;
    return chunk;
  }
}

// The ETag is hashed as the body arrives, natively (crypto.subtle, in DigestHasher):
// `write` and `finish` are async, and componentize-js runs the event loop until they
// settle. A plain-JavaScript hash would take most of the time of a large put.
class Writer {
  constructor(bucketName, key, opts) {
    this.bucket = bucketName;
    this.key = key;
    this.opts = opts;
    this.parts = [];
    this.size = 0;
    this.hasher = new DigestHasher();
  }
  open() {
    if (this.parts === null) throw invalidArgument('the upload was already finished or aborted');
    return this.parts;
  }
  async write(chunk) {
    // componentize-js hands over a chunk that owns its buffer: kept as it is.
    this.open().push(chunk);
    this.size += chunk.length;
    await this.hasher.update(chunk);
  }
  async finish() {
    const parts = this.open();
    this.parts = null;
    const b = bucket(this.bucket);
    const current = b.objects.get(this.key);
    checkPut(this.opts.ifMatch, this.opts.ifNoneMatch, current && current.etag);
    const etag = await this.hasher.finish();
    const data = new Uint8Array(this.size);
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.length;
      releaseBytes(p); // its memory now, not whenever the engine collects it
    }
    const o = {
      data,
      etag,
      contentType: this.opts.contentType,
      headers: { ...this.opts.headers }, // Cache-Control, Content-Disposition, … as given
      metadata: this.opts.metadata.map(([k, v]) => [k, v]),
      modified: now(),
    };
    store(b, this.key, o);
    return info(this.key, o);
  }
  abort() {
    this.parts = null;
  }
}

// ---- the core interface ----

export const core = {
  Reader,
  Writer,

  info() {
    return { name: 'mem-js', version: '0.1.0', stateful: true };
  },
  name() {
    return 'mem-js';
  },
  open(dsn) {
    log('debug', `mem-js driver opened for ${dsn.display}`);
  },
  close() {},
  ping() {},

  put(bucketName, key, opts) {
    validateBucket(bucketName);
    validateKey(key);
    const current = bucket(bucketName).objects.get(key);
    checkPut(opts.ifMatch, opts.ifNoneMatch, current && current.etag);
    return new Writer(bucketName, key, opts);
  },

  get(bucketName, key, opts) {
    validateBucket(bucketName);
    validateKey(key);
    if (opts.versionId != null) throw unsupported('the mem-js driver keeps no versions');
    const o = find(bucketName, key);
    checkGet(opts.ifMatch, opts.ifNoneMatch, o.etag);
    const { offset, length } = resolveRange(opts.range, o.data.length);
    return [info(key, o), { tag: 'guest', val: new Reader(o.data, offset, length) }];
  },

  head(bucketName, key) {
    return info(key, find(bucketName, key));
  },

  delete(bucketName, key) {
    validateBucket(bucketName);
    validateKey(key);
    const b = bucket(bucketName);
    if (b.objects.delete(key)) b.keys.remove(key);
  },

  // One page: the sorted keys start at the cursor and skip rolled-up prefixes by
  // binary search, so a page costs its own size, not the bucket's.
  list(bucketName, opts) {
    const req = listRequest(opts);
    const b = bucket(bucketName);
    return b.keys.page(req, (key) => info(key, b.objects.get(key)));
  },

  copy(srcBucket, srcKey, dstBucket, dstKey) {
    for (const [b, k] of [[srcBucket, srcKey], [dstBucket, dstKey]]) {
      validateBucket(b);
      validateKey(k);
    }
    bucket(srcBucket);
    const dst = bucket(dstBucket);
    const src = find(srcBucket, srcKey);
    const o = { ...src, metadata: src.metadata.map(([k, v]) => [k, v]), modified: now() };
    store(dst, dstKey, o);
    return info(dstKey, o);
  },

  createBucket(name) {
    validateBucket(name);
    if (buckets.has(name)) throw bucketExists(`bucket ${JSON.stringify(name)} already exists`);
    buckets.set(name, { created: now(), objects: new Map(), keys: new SortedKeys() });
  },

  deleteBucket(name) {
    if (bucket(name).objects.size > 0) throw bucketNotEmpty(`bucket ${JSON.stringify(name)} is not empty`);
    buckets.delete(name);
  },

  listBuckets() {
    return [...buckets.keys()].sort(compareKeys).map((name) => ({ name, created: buckets.get(name).created }));
  },
};
