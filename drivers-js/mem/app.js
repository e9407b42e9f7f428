// An in-memory trove driver written in JavaScript (world trove:driver/mem-driver@0.1.0).
//
// The same semantics as the Rust `mem` driver (drivers/mem), as wit/README.md states
// them. Built into a component by scripts/build-other-drivers.sh with componentize-js:
//
//   componentize-js app.js --wit wit --world-name trove:driver/mem-driver@0.1.0 \
//     -d http -d fetch-event -o mem_js.wasm
//
// How WIT maps to JavaScript here: the exported interface `core` is the exported
// object `core`; its resources are classes on it (`Reader`, `Writer`); a `result`'s
// error is thrown as `{ tag: 'invalid-argument', val: 'message' }`; u64/s64 are
// BigInt; list<u8> is a Uint8Array; option<T> is T or undefined.

import { log } from 'trove:driver/log@0.1.0';

const MAX_KEYS = 1000;
const MAX_READ = 16 << 20;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

// ---- names, conditions, ranges (drivers/common in the Rust drivers) ----

function fail(tag, val) {
  return { tag, val };
}
const invalid = (msg) => fail('invalid-argument', msg);
const precondition = (msg) => fail('precondition-failed', msg);

function validateBucket(name) {
  if (name.length === 0) throw invalid('bucket name is empty');
  const bad = [...name].find((c) => !/^[a-z0-9._-]$/.test(c));
  if (bad !== undefined) {
    throw invalid(`bucket name ${JSON.stringify(name)} contains ${JSON.stringify(bad)}; allowed are a-z, 0-9, '.', '_' and '-'`);
  }
  if (name.length > 63) throw invalid(`bucket name is ${name.length} characters long, the limit is 63`);
  if (name.startsWith('.')) throw invalid(`bucket name ${JSON.stringify(name)} starts with '.'`);
}

function validateKey(key) {
  if (key.length === 0) throw invalid('key is empty');
  const len = encoder.encode(key).length;
  if (len > 1024) throw invalid(`key is ${len} bytes long, the limit is 1024`);
  if (key.includes('\0')) throw invalid('key contains a NUL character');
}

function etagMatches(value, etag) {
  return value.split(',').some((raw) => {
    let item = raw.trim();
    if (item === '*') return true;
    if (item.startsWith('W/')) item = item.slice(2);
    if (item.length >= 2 && item.startsWith('"') && item.endsWith('"')) item = item.slice(1, -1);
    return item.length > 0 && item === etag;
  });
}

function checkGet(ifMatch, ifNoneMatch, etag) {
  if (ifMatch != null && !etagMatches(ifMatch, etag)) {
    throw precondition(`if-match ${JSON.stringify(ifMatch)} does not match the current ETag ${etag}`);
  }
  if (ifNoneMatch != null && etagMatches(ifNoneMatch, etag)) {
    throw precondition(`if-none-match ${JSON.stringify(ifNoneMatch)} matches the current ETag ${etag}`);
  }
}

function checkPut(ifMatch, ifNoneMatch, current) {
  if (ifNoneMatch != null && current != null && etagMatches(ifNoneMatch, current)) {
    throw precondition(`if-none-match ${JSON.stringify(ifNoneMatch)}: the object already exists`);
  }
  if (ifMatch != null) {
    if (current == null) throw precondition(`if-match ${JSON.stringify(ifMatch)}: the object does not exist`);
    if (!etagMatches(ifMatch, current)) {
      throw precondition(`if-match ${JSON.stringify(ifMatch)} does not match the current ETag ${current}`);
    }
  }
}

// [offset, length] (numbers) of a byte range against an object of `size` bytes.
function resolveRange(range, size) {
  if (range == null) return [0, size];
  const big = BigInt(size);
  if (range.tag === 'span') {
    const [offset, length] = range.val;
    if (size === 0) {
      if (offset > 0n) throw invalid(`range offset ${offset} is past the end of an empty object`);
      return [0, 0];
    }
    if (offset >= big) throw invalid(`range offset ${offset} is at or past the end of the object (${size} bytes)`);
    const rest = big - offset;
    const len = length == null || length > rest ? rest : length;
    return [Number(offset), Number(len)];
  }
  const n = range.val;
  if (n === 0n && size > 0) throw invalid('a suffix range of 0 bytes selects nothing');
  const len = n < big ? Number(n) : size;
  return [size - len, len];
}

function now() {
  const ms = Date.now();
  return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1_000_000 };
}

// Keys compare by their UTF-8 bytes (= by code point), not by UTF-16 units.
function compareKeys(a, b) {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done === y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0);
    const cy = y.value.codePointAt(0);
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

// The ETag: a 128-bit digest of the content (four 32-bit multiply-xorshift lanes
// over 32-bit words, then the length), as 32 hex digits. Incremental.
class Hasher {
  constructor() {
    this.h = new Uint32Array([0x9e3779b1, 0x85ebca77, 0xc2b2ae3d, 0x27d4eb2f]);
    this.len = 0;
    this.tail = new Uint8Array(0);
  }
  update(bytes) {
    let data = bytes;
    if (this.tail.length) {
      data = new Uint8Array(this.tail.length + bytes.length);
      data.set(this.tail);
      data.set(bytes, this.tail.length);
    }
    this.len += bytes.length;
    const words = data.length >>> 2;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const h = this.h;
    let h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3];
    for (let i = 0; i < words; i++) {
      const w = view.getUint32(i << 2, true);
      h0 = Math.imul(h0 ^ w, 0x85ebca6b); h0 ^= h0 >>> 13;
      h1 = Math.imul(h1 + w, 0xc2b2ae35); h1 ^= h1 >>> 16;
      h2 = Math.imul(h2 ^ (w + i), 0x27d4eb2f); h2 ^= h2 >>> 15;
      h3 = Math.imul((h3 << 5 | h3 >>> 27) ^ w, 0x165667b1); h3 ^= h3 >>> 12;
    }
    h[0] = h0; h[1] = h1; h[2] = h2; h[3] = h3;
    this.tail = data.slice(words << 2);
  }
  finish() {
    const h = Uint32Array.from(this.h);
    const extra = [...this.tail, this.len >>> 24, this.len >>> 16, this.len >>> 8, this.len, Math.floor(this.len / 2 ** 32)];
    for (const b of extra) {
      for (let j = 0; j < 4; j++) {
        h[j] = Math.imul(h[j] ^ (b & 0xff), 0x01000193);
        h[j] ^= h[(j + 1) & 3] >>> 7;
      }
    }
    for (let r = 0; r < 4; r++) {
      for (let j = 0; j < 4; j++) {
        h[j] = Math.imul(h[j] ^ (h[(j + 3) & 3] >>> 15), 0x2c1b3c6d);
      }
    }
    return [...h].map((x) => x.toString(16).padStart(8, '0')).join('');
  }
}

// ---- the store ----

const buckets = new Map(); // name -> { created, objects: Map(key -> object) }

function bucket(name) {
  validateBucket(name);
  const b = buckets.get(name);
  if (b === undefined) throw fail('bucket-not-found', `bucket ${JSON.stringify(name)} does not exist`);
  return b;
}

function find(bucketName, key) {
  validateBucket(bucketName);
  validateKey(key);
  const o = bucket(bucketName).objects.get(key);
  if (o === undefined) {
    throw fail('object-not-found', `no object ${JSON.stringify(key)} in bucket ${JSON.stringify(bucketName)}`);
  }
  return o;
}

function info(key, o) {
  return {
    key,
    size: BigInt(o.data.length),
    etag: o.etag,
    contentType: o.contentType,
    lastModified: o.modified,
    metadata: o.metadata.map(([k, v]) => [k, v]),
    versionId: undefined,
    storageClass: undefined,
  };
}

function hex(bytes) {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function encodeCursor(tag, s) {
  return hex(encoder.encode(tag + s));
}

function decodeCursor(c) {
  const bad = () => invalid(`invalid list cursor ${JSON.stringify(c)}`);
  if (c.length === 0 || c.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(c)) throw bad();
  const bytes = new Uint8Array(c.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(c.slice(2 * i, 2 * i + 2), 16);
  let s;
  try {
    s = decoder.decode(bytes);
  } catch {
    throw bad();
  }
  const tag = s[0];
  if (tag !== 'k' && tag !== 'p') throw bad();
  return [tag, s.slice(1)];
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

class Writer {
  constructor(bucketName, key, opts) {
    this.bucket = bucketName;
    this.key = key;
    this.opts = opts;
    this.parts = [];
    this.size = 0;
    this.hasher = new Hasher();
  }
  open() {
    if (this.parts === null) throw invalid('the upload was already finished or aborted');
    return this.parts;
  }
  write(chunk) {
    const copy = chunk.slice();
    this.open().push(copy);
    this.size += copy.length;
    this.hasher.update(copy);
  }
  finish() {
    const parts = this.open();
    this.parts = null;
    const b = bucket(this.bucket);
    const current = b.objects.get(this.key);
    checkPut(this.opts.ifMatch, this.opts.ifNoneMatch, current && current.etag);
    const data = new Uint8Array(this.size);
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.length;
    }
    const o = {
      data,
      etag: this.hasher.finish(),
      contentType: this.opts.contentType,
      metadata: this.opts.metadata.map(([k, v]) => [k, v]),
      modified: now(),
    };
    b.objects.set(this.key, o);
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
    if (opts.versionId != null) throw fail('unsupported', 'the mem-js driver keeps no versions');
    const o = find(bucketName, key);
    checkGet(opts.ifMatch, opts.ifNoneMatch, o.etag);
    const [offset, length] = resolveRange(opts.range, o.data.length);
    return [info(key, o), { tag: 'guest', val: new Reader(o.data, offset, length) }];
  },

  head(bucketName, key) {
    return info(key, find(bucketName, key));
  },

  delete(bucketName, key) {
    validateBucket(bucketName);
    validateKey(key);
    bucket(bucketName).objects.delete(key);
  },

  list(bucketName, opts) {
    const after = opts.cursor ? decodeCursor(opts.cursor) : null;
    const maxKeys = !opts.maxKeys ? MAX_KEYS : Math.min(opts.maxKeys, MAX_KEYS);
    const prefix = opts.prefix ?? '';
    const delim = opts.delimiter ? opts.delimiter : null;
    const objects = bucket(bucketName).objects;
    const page = { objects: [], commonPrefixes: [], nextCursor: undefined };
    let count = 0;
    let last = null;
    let more = false;
    for (const key of [...objects.keys()].sort(compareKeys)) {
      if (!key.startsWith(prefix)) continue;
      if (after !== null) {
        const [tag, pos] = after;
        if (compareKeys(key, pos) <= 0 || (tag === 'p' && key.startsWith(pos))) continue;
      }
      let rolled = null;
      if (delim !== null) {
        const i = key.indexOf(delim, prefix.length);
        if (i >= 0) rolled = key.slice(0, i + delim.length);
      }
      if (rolled !== null) {
        if (last !== null && last[0] === 'p' && last[1] === rolled) continue;
        if (count === maxKeys) {
          more = true;
          break;
        }
        page.commonPrefixes.push(rolled);
        last = ['p', rolled];
      } else {
        if (count === maxKeys) {
          more = true;
          break;
        }
        page.objects.push(info(key, objects.get(key)));
        last = ['k', key];
      }
      count += 1;
    }
    if (more && last !== null) page.nextCursor = encodeCursor(last[0], last[1]);
    return page;
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
    dst.objects.set(dstKey, o);
    return info(dstKey, o);
  },

  createBucket(name) {
    validateBucket(name);
    if (buckets.has(name)) throw fail('bucket-exists', `bucket ${JSON.stringify(name)} already exists`);
    buckets.set(name, { created: now(), objects: new Map() });
  },

  deleteBucket(name) {
    if (bucket(name).objects.size > 0) throw fail('bucket-not-empty', `bucket ${JSON.stringify(name)} is not empty`);
    buckets.delete(name);
  },

  listBuckets() {
    return [...buckets.keys()].sort(compareKeys).map((name) => ({ name, created: buckets.get(name).created }));
  },
};
