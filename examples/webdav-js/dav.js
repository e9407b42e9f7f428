// The WebDAV side: the opened endpoint, one request through the host's `http`
// import (or a PUT whose body is written as it comes), bodies read or dropped, HTTP
// statuses as the contract's errors, PROPFIND.

import { send, start } from 'trove:driver/http@0.2.0';
import {
  base64Encode, driverError, fromMillis, internal, invalidArgument, unavailable, utf8Decode, utf8Encode,
} from 'trove-driver';

// Imported resources (a stream, a request on its way) are dropped with this method.
const DISPOSE = Symbol.dispose || Symbol.for('dispose');

let endpoint = null; // { base: 'http://host:port[/base]', authorization }

export function open(dsn) {
  const value = dsn.params.find(([k]) => k === 'endpoint')?.[1];
  if (!value) throw invalidArgument('the DSN needs ?endpoint=http://HOST:PORT[/BASE]');
  if (!/^https?:\/\//.test(value)) throw invalidArgument(`endpoint ${JSON.stringify(value)} is not an http:// or https:// URL`);
  const authorization = dsn.user != null ? `Basic ${base64Encode(`${dsn.user}:${dsn.password ?? ''}`)}` : undefined;
  endpoint = { base: value.replace(/\/+$/, ''), authorization };
}

/** The URL of `path` (below the endpoint, escaped, starting with `/`). */
export function url(path) {
  if (endpoint === null) throw internal('the webdav-js driver was not opened');
  return endpoint.base + path;
}

/** The host's `request` record, with the DSN's credentials. */
function httpRequest(method, path, headers) {
  const all = endpoint?.authorization ? [...headers, ['authorization', endpoint.authorization]] : headers;
  return { method, url: url(path), headers: all };
}

/**
 * One request. `body`: none, a string or a `Uint8Array`. Answers `{ status, headers,
 * body }`, `body` the response's input-stream; any status comes back (a refused or
 * failed request throws).
 */
export function request(method, path, headers = [], body = undefined) {
  let b = { tag: 'empty' };
  if (typeof body === 'string') b = { tag: 'bytes', val: utf8Encode(body) };
  else if (body !== undefined) b = { tag: 'bytes', val: body };
  const [response, stream] = send(httpRequest(method, path, headers), b);
  return { status: response.status, headers: response.headers, body: stream };
}

/**
 * Starts a PUT of `path` whose body is written as it comes (the host's `start`; `size`
 * its length when known, else it goes chunked): `write(chunk)` sends a chunk (the host
 * copies it), `finish()` ends the body and answers the status, `abort()` drops the
 * request unfinished. The host holds at most 4 chunks not yet sent.
 */
export function startPut(path, size) {
  const [writer, pending] = start(httpRequest('PUT', path, []), size);
  let open = true;
  const close = () => {
    if (open) [writer, pending].forEach((r) => r[DISPOSE]());
    open = false;
  };
  return {
    write: (chunk) => writer.write(chunk),
    finish() {
      try {
        writer.finish();
        const [response, stream] = pending.wait();
        drop(stream);
        return response.status;
      } finally {
        close();
      }
    },
    abort: close,
  };
}

/** A request whose answer's body is not needed (dropped unread): its status. */
export function call(method, path, headers, body) {
  const r = request(method, path, headers, body);
  drop(r.body);
  return r.status;
}

export function drop(stream) {
  stream[DISPOSE]();
}

/** The next chunk of `stream` (at most `max` bytes), or null at its end. */
function nextChunk(stream, max) {
  try {
    return stream.blockingRead(BigInt(max));
  } catch (e) {
    if (e?.payload?.tag === 'closed') return null;
    const why = e?.payload?.tag === 'last-operation-failed' ? e.payload.val.toDebugString() : String(e);
    throw unavailable(`reading an answer: ${why}`);
  }
}

/** A small answer's body as text (read whole, then dropped). */
export function readText(stream) {
  const chunks = [];
  try {
    for (let c = nextChunk(stream, 1 << 16); c !== null; c = nextChunk(stream, 1 << 16)) chunks.push(c);
  } finally {
    drop(stream);
  }
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((at, c) => (all.set(c, at), at + c.length), 0);
  return utf8Decode(all) ?? '';
}

/** A failed status as the contract's error (a 404 is `object-not-found`; callers that know better say so). */
export function statusError(status, what) {
  const m = `${what}: HTTP ${status}`;
  if (status === 412 || status === 304) return driverError('precondition-failed', m);
  if (status === 401 || status === 403) return driverError('permission-denied', m);
  if (status === 404 || status === 410) return driverError('object-not-found', m);
  if (status === 408) return driverError('timeout', m);
  if ([400, 411, 413, 414, 416].includes(status)) return driverError('invalid-argument', m);
  if (status === 501) return driverError('unsupported', m);
  if (status === 423 || status === 429 || status >= 500) return driverError('unavailable', m);
  return internal(m);
}

/** Throws `statusError` unless `status` is 2xx. */
export function ok(status, what) {
  if (status < 200 || status > 299) throw statusError(status, what);
}

const PROPFIND = '<?xml version="1.0" encoding="utf-8"?>\n'
  + '<propfind xmlns="DAV:"><prop><resourcetype/><creationdate/></prop></propfind>';

function propfind(path, depth) {
  return request('PROPFIND', path, [['depth', depth], ['content-type', 'application/xml; charset=utf-8']], PROPFIND);
}

/** Whether the collection at `path` exists (PROPFIND, Depth 0). */
export function exists(path) {
  const status = call('PROPFIND', path, [['depth', '0']]);
  if (status === 404) return false;
  ok(status, `PROPFIND ${path}`);
  return true;
}

// The elements of a PROPFIND answer, by local name (servers pick their own prefix).
const elements = (name, xml) =>
  [...xml.matchAll(new RegExp(`<(?:[\\w.-]+:)?${name}\\b[^>]*?(?:/>|>([\\s\\S]*?)</(?:[\\w.-]+:)?${name}\\s*>)`, 'g'))]
    .map((m) => m[1] ?? '');
const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unescapeXml = (s) =>
  s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (all, e) =>
    e[0] === '#' ? String.fromCodePoint(Number(e[1] === 'x' || e[1] === 'X' ? `0${e.slice(1)}` : e.slice(1))) : ENTITIES[e] ?? all);
const decodePath = (s) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};
// The path of a URL; a path stays as it is.
const pathOf = (u) => (u.includes('://') ? u.replace(/^[a-z]+:\/\/[^/]*/i, '') || '/' : u);

/**
 * The members of the collection at `path` (PROPFIND, Depth 1), itself left out:
 * `[{ name, collection, created }]`, `name` the last segment of each, decoded; null
 * when there is no such collection.
 */
export function members(path) {
  const r = propfind(path, '1');
  if (r.status === 404) {
    drop(r.body);
    return null;
  }
  if (r.status !== 207) {
    drop(r.body);
    throw statusError(r.status, `PROPFIND ${path}`);
  }
  const own = decodePath(pathOf(url(path))).replace(/\/+$/, '');
  const out = [];
  for (const response of elements('response', readText(r.body))) {
    const href = decodePath(pathOf(unescapeXml(elements('href', response)[0] ?? '').trim())).replace(/\/+$/, '');
    const name = href.slice(href.lastIndexOf('/') + 1);
    if (href === own || name === '') continue;
    const collection = elements('resourcetype', response).some((t) => /<(?:[\w.-]+:)?collection\b/.test(t));
    const date = Date.parse(elements('creationdate', response).find((d) => d.trim() !== '') ?? '');
    out.push({ name, collection, created: Number.isNaN(date) ? undefined : fromMillis(date) });
  }
  return out;
}
