// An example trove driver in JavaScript: buckets and objects on a WebDAV server, every
// request sent through the host's `http` import (world ./wit/world.wit: `http-driver`).
// The contract's rules (names, conditions, ranges, listing pages, ETags) come from the
// trove-driver package; this file maps the operations onto WebDAV, dav.js sends the
// requests, layout.js says where things are on the server.
//
// DSN: dav://[USER:PASSWORD@]?endpoint=http://HOST:PORT[/BASE]
//
// WIT in JavaScript: an exported interface is an exported object (`core`), its
// resources classes on it; an error is thrown as `{ tag, val }`; u64 is a BigInt,
// list<u8> a Uint8Array, option<T> a T or undefined. An export may be async:
// componentize-js runs the event loop until its promise settles.

import { log } from 'trove:driver/log@0.2.0';
import {
  DigestHasher, SortedKeys, bucketExists, bucketNotEmpty, bucketNotFound, checkGet, checkPut,
  compareKeys, internal, invalidArgument, isBucketName, listRequest, now, objectNotFound,
  preconditionFailed, releaseBytes, resolveRange, unavailable, unsupported, validateBucket, validateKey,
} from 'trove-driver';
import * as dav from './dav.js';
import * as layout from './layout.js';

// ---- objects: meta, conditions, uploads ----

/** The parsed `meta` at `path`, or null when there is none. */
function metaAt(path) {
  const r = dav.request('GET', path);
  if (r.status !== 200) {
    dav.drop(r.body);
    if (r.status === 404) return null;
    throw dav.statusError(r.status, `GET ${path}`);
  }
  const text = dav.readText(r.body);
  try {
    return JSON.parse(text);
  } catch {
    throw internal(`${path}: not an object's meta`);
  }
}

/** The object's `meta`, or null; `bucket-not-found` when the bucket is missing. */
function readMeta(bucket, key) {
  const meta = metaAt(`${layout.objectPath(bucket, key)}meta`);
  if (meta === null && !dav.exists(layout.bucketPath(bucket))) throw bucketNotFound(`no bucket ${bucket}`);
  // A long key's name is a hash of it: make sure this is the key asked for.
  return meta !== null && meta.key === key ? meta : null;
}

function requireMeta(bucket, key) {
  const meta = readMeta(bucket, key);
  if (meta === null) throw objectNotFound(`no object ${JSON.stringify(key)} in bucket ${bucket}`);
  return meta;
}

/** A put's if-match / if-none-match against the object as it is now. */
function checkConditions(bucket, key, opts) {
  if (opts.ifMatch == null && opts.ifNoneMatch == null) return;
  checkPut(opts.ifMatch, opts.ifNoneMatch, readMeta(bucket, key)?.etag);
}

/**
 * A put in progress: the collection BUCKET/~up-ID/ (its MKCOL also tells whether the
 * bucket exists) that gets the body, then `meta`, then is MOVEd onto the object.
 */
class Upload {
  constructor(bucket) {
    this.bucket = bucket;
    this.id = layout.newId();
    this.path = layout.memberPath(bucket, layout.uploadName(this.id));
    this.body = this.path + this.id;
    const status = dav.call('MKCOL', this.path);
    if (status === 404 || status === 409) throw bucketNotFound(`no bucket ${bucket}`);
    dav.ok(status, `MKCOL ${this.path}`);
  }

  /** Writes `meta`, checks the conditions and MOVEs the upload into the object's place. */
  commit(key, { size, etag, contentType, headers, metadata }, opts) {
    const json = layout.metaJson({ key, size, etag, contentType, headers, metadata, modified: now(), id: this.id });
    dav.ok(dav.call('PUT', `${this.path}meta`, [['content-type', 'application/json']], json), `PUT ${this.path}meta`);
    checkConditions(this.bucket, key, opts);
    // `if-none-match: *` is also the MOVE's own condition: it fails if the object appeared since.
    const overwrite = opts.ifNoneMatch?.trim() === '*' ? 'F' : 'T';
    const move = [['destination', dav.url(layout.objectPath(this.bucket, key))], ['overwrite', overwrite]];
    // WsgiDAV's MOVE onto an existing object deletes it, then renames: two puts of one
    // key can trip over each other there (207 or 5xx, the upload left in place).
    for (let tries = 0; ; tries++) {
      const status = dav.call('MOVE', this.path, move);
      if (status === 201 || status === 204) return layout.info(JSON.parse(json));
      if (status === 412) throw preconditionFailed(`if-none-match "*": ${key} was created meanwhile`);
      if (status === 404 || status === 409) throw bucketNotFound(`no bucket ${this.bucket}`);
      if (!(status === 207 || status >= 500) || tries === 5) throw dav.statusError(status, `MOVE ${this.path}`);
    }
  }

  /** Deletes what the upload wrote. */
  discard() {
    try {
      dav.call('DELETE', this.path);
    } catch {
      // Left as BUCKET/~up-ID/: never listed, deleted with the bucket.
    }
  }
}

/** Runs `f(upload)` in a new upload of `bucket`, which is deleted if `f` fails. */
function uploading(bucket, f) {
  const up = new Upload(bucket);
  try {
    return f(up);
  } catch (e) {
    up.discard();
    throw e;
  }
}

// ---- the exported resources ----

// Unused: `get` hands back the server's stream (a `host` body), never a guest reader.
class Reader {
  read() {
    return new Uint8Array(0);
  }
}

// A put: an upload whose body goes out in one PUT as the host writes it (1 MiB
// chunks, through the `http` import's `start`), each chunk hashed on the way (the
// ETag must come from the content) and then freed, so the body is sent once and never
// held whole. A failure discards the upload.
class Writer {
  constructor(bucket, key, opts) {
    Object.assign(this, { key, opts, hasher: new DigestHasher(), up: new Upload(bucket) });
    try {
      this.body = dav.startPut(this.up.body, opts.size);
    } catch (e) {
      this.up.discard();
      throw e;
    }
  }
  async write(chunk) {
    await this.guard(async () => {
      await this.hasher.update(chunk);
      this.body.write(chunk);
    });
    // Its memory now: the engine collects large buffers late (a 256 MiB put would
    // grow the instance by over 100 MiB).
    releaseBytes(chunk);
  }
  finish() {
    return this.guard(async () => {
      const status = this.body.finish();
      if (status === 404 || status === 409) throw bucketNotFound(`no bucket ${this.up.bucket}`);
      dav.ok(status, `PUT ${this.up.body}`);
      const { key, opts, hasher } = this;
      const object = {
        size: hasher.length,
        etag: await hasher.finish(),
        contentType: opts.contentType,
        headers: opts.headers,
        metadata: opts.metadata,
      };
      const info = this.up.commit(key, object, opts);
      this.up = null; // committed: nothing to discard
      return info;
    });
  }
  abort() {
    this.body?.abort();
    this.up?.discard();
    this.up = null;
  }
  /** Runs `f` on an unfinished upload, aborting it if `f` fails. */
  async guard(f) {
    if (this.up === null) throw invalidArgument('the upload is finished');
    try {
      return await f();
    } catch (e) {
      this.abort();
      throw e;
    }
  }
}

// ---- the exports ----

export const core = {
  Reader,
  Writer,

  info() {
    // Everything lives on the server: the host may run several instances at once.
    return { name: 'webdav-js', version: '0.1.0', stateful: false };
  },
  name() {
    return 'webdav-js';
  },
  open(dsn) {
    dav.open(dsn);
    log('debug', `webdav-js driver opened for ${dsn.display}`);
  },
  close() {},
  ping() {
    if (!dav.exists('/')) throw unavailable('the endpoint has no collection at its root');
  },

  put(bucket, key, opts) {
    validateBucket(bucket);
    validateKey(key);
    checkConditions(bucket, key, opts);
    return new Writer(bucket, key, opts);
  },

  get(bucket, key, opts) {
    validateBucket(bucket);
    validateKey(key);
    if (opts.versionId != null) throw unsupported('the webdav-js driver keeps no versions');
    // A put may replace the object between reading its meta and its body (the body
    // is then gone): read both again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const meta = requireMeta(bucket, key);
      checkGet(opts.ifMatch, opts.ifNoneMatch, meta.etag);
      const { offset, length } = resolveRange(opts.range, meta.size);
      if (length === 0) return [layout.info(meta), { tag: 'bytes', val: new Uint8Array(0) }];
      const path = layout.objectPath(bucket, key) + meta.id;
      const r = dav.request('GET', path, [['range', `bytes=${offset}-${offset + length - 1}`]]);
      // The server's stream goes back to the host unread; a server that ignores
      // Range sends the whole body, which is fine from its start.
      if (r.status === 206 || (r.status === 200 && offset === 0)) {
        return [layout.info(meta), { tag: 'host', val: { data: r.body, limit: BigInt(length) } }];
      }
      dav.drop(r.body);
      if (r.status === 200) throw unsupported(`GET ${path}: the server ignored the Range header`);
      if (r.status !== 404) throw dav.statusError(r.status, `GET ${path}`);
    }
    throw unavailable(`${bucket}/${key} kept changing while being read`);
  },

  head(bucket, key) {
    validateBucket(bucket);
    validateKey(key);
    return layout.info(requireMeta(bucket, key));
  },

  delete(bucket, key) {
    validateBucket(bucket);
    validateKey(key);
    const path = layout.objectPath(bucket, key);
    const status = dav.call('DELETE', path);
    // Deleting a missing object succeeds, in a bucket that exists.
    if (status === 404 && !dav.exists(layout.bucketPath(bucket))) throw bucketNotFound(`no bucket ${bucket}`);
    if (status !== 404) dav.ok(status, `DELETE ${path}`);
  },

  // One PROPFIND of the bucket gives every key (WebDAV cannot start after one); the
  // page is cut from them sorted, and the `meta` of each object on it is read.
  list(bucket, opts) {
    validateBucket(bucket);
    const req = listRequest(opts);
    const entries = dav.members(layout.bucketPath(bucket));
    if (entries === null) throw bucketNotFound(`no bucket ${bucket}`);
    const keys = [];
    const known = new Map(); // long keys: only their meta knows them
    for (const { name, collection } of entries) {
      const m = collection ? layout.member(name) : null;
      if (m?.key !== undefined) keys.push(m.key);
      const meta = m?.hashed ? metaAt(`${layout.memberPath(bucket, name)}meta`) : null;
      if (meta !== null) {
        known.set(meta.key, meta);
        keys.push(meta.key);
      }
    }
    // An object deleted since the PROPFIND is left out.
    return new SortedKeys(keys).page(req, (key) => {
      const meta = known.get(key) ?? readMeta(bucket, key);
      return meta && layout.info(meta);
    });
  },

  // A server-side COPY of the body into an upload of the destination, committed like
  // a put with the source's ETag, content type and metadata.
  copy(srcBucket, srcKey, dstBucket, dstKey) {
    validateBucket(srcBucket);
    validateKey(srcKey);
    validateBucket(dstBucket);
    validateKey(dstKey);
    const src = requireMeta(srcBucket, srcKey);
    return uploading(dstBucket, (up) => {
      const from = layout.objectPath(srcBucket, srcKey) + src.id;
      const status = dav.call('COPY', from, [['destination', dav.url(up.body)], ['overwrite', 'T']]);
      if (status === 404) throw unavailable(`${srcBucket}/${srcKey} was replaced while being copied`);
      dav.ok(status, `COPY ${from}`);
      const object = {
        size: src.size,
        etag: src.etag,
        contentType: src.content_type ?? undefined,
        headers: layout.headersOf(src.headers),
        metadata: src.metadata,
      };
      return up.commit(dstKey, object, {});
    });
  },

  createBucket(bucket) {
    validateBucket(bucket);
    const status = dav.call('MKCOL', layout.bucketPath(bucket));
    // MKCOL of something that exists is "Method Not Allowed" (RFC 4918, 9.3.1).
    if (status === 405) throw bucketExists(`bucket ${bucket} exists`);
    dav.ok(status, `MKCOL ${bucket}`);
  },

  deleteBucket(bucket) {
    validateBucket(bucket);
    const entries = dav.members(layout.bucketPath(bucket));
    if (entries === null) throw bucketNotFound(`no bucket ${bucket}`);
    // Uploads in progress do not count (they go with the bucket); anything else does.
    if (entries.some((e) => !e.name.startsWith('~up-'))) throw bucketNotEmpty(`bucket ${bucket} is not empty`);
    const status = dav.call('DELETE', layout.bucketPath(bucket));
    if (status === 404) throw bucketNotFound(`no bucket ${bucket}`);
    dav.ok(status, `DELETE ${bucket}`);
  },

  listBuckets() {
    const entries = dav.members('/');
    if (entries === null) throw unavailable('the endpoint has no collection at its root');
    return entries
      .filter((e) => e.collection && isBucketName(e.name))
      .sort((a, b) => compareKeys(a.name, b.name))
      .map(({ name, created }) => ({ name, created }));
  },
};
