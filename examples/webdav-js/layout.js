// Where things live on the server, below the endpoint:
//
//   BUCKET/              a bucket: a top-level collection
//   BUCKET/NAME/         an object: a collection, NAME made from its key
//   BUCKET/NAME/meta     its JSON: key, size, ETag, content type, metadata, time, id
//   BUCKET/NAME/ID       its body, named after the put that wrote it
//   BUCKET/~up-ID/       a put in progress, MOVEd onto BUCKET/NAME/ when complete
//
// One MOVE makes a body and the `meta` that describes it visible together; a reader
// that finds `meta` but not the body it names saw the object replaced, and reads again.
//
// NAME is the key with every byte outside [A-Za-z0-9._-] (and a leading `.`)
// percent-encoded, so `/` never makes a directory; a key whose NAME would be longer
// than 200 bytes is `~h-` and the SHA-256 of the key (the key itself is in `meta`).
// Names starting with `~` are never an encoded key.

import { hexEncode, sha256Hex, utf8Encode } from 'trove-driver';

const MAX_NAME = 200; // file systems hold 255 bytes
const PLAIN = /[A-Za-z0-9_-]/;

/** The name on the server of the object `key`. */
export function nameOf(key) {
  let name = '';
  utf8Encode(key).forEach((b, i) => {
    const c = String.fromCharCode(b);
    name += PLAIN.test(c) || (c === '.' && i > 0) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  });
  return name.length > MAX_NAME ? `~h-${sha256Hex(key)}` : name;
}

/** What a bucket's member is: `{ key }` (an object whose name encodes its key), `{ hashed: true }` (a long key's object) or null. */
export function member(name) {
  if (name.startsWith('~h-')) return { hashed: true };
  let key;
  try {
    key = decodeURIComponent(name);
  } catch {
    return null;
  }
  // Only a name this driver would have made for that key is an object.
  return key !== '' && nameOf(key) === name ? { key } : null;
}

/** A name in a URL path: the names above hold no character that needs escaping there but `%`. */
const escape = (name) => name.replaceAll('%', '%25');

export const bucketPath = (bucket) => `/${bucket}/`;
export const memberPath = (bucket, name) => `/${bucket}/${escape(name)}/`;
export const objectPath = (bucket, key) => memberPath(bucket, nameOf(key));

/** A new id for a put: 16 random hex digits. */
export function newId() {
  return hexEncode(crypto.getRandomValues(new Uint8Array(8)));
}

export const uploadName = (id) => `~up-${id}`;

/** The WIT `content-headers` fields, with the names the `meta` JSON keeps them under. */
const HEADERS = [
  ['cacheControl', 'cache-control'],
  ['contentDisposition', 'content-disposition'],
  ['contentEncoding', 'content-encoding'],
  ['contentLanguage', 'content-language'],
  ['expires', 'expires'],
];

/** WIT `content-headers` as the `meta` JSON keeps them: [name, value] pairs, absent ones left out. */
export function headerPairs(h) {
  return HEADERS.filter(([f]) => h?.[f] != null).map(([f, name]) => [name, h[f]]);
}

/** The WIT `content-headers` of `meta` JSON pairs (absent in a `meta` written before 0.2.0). */
export function headersOf(pairs) {
  const h = {};
  for (const [f, name] of HEADERS) h[f] = (pairs ?? []).find(([n]) => n === name)?.[1];
  return h;
}

/** The `meta` JSON of an object (the fields the Rust example writes, and its body's id). */
export function metaJson({ key, size, etag, contentType, headers, metadata, modified, id }) {
  const pairs = headerPairs(headers);
  return JSON.stringify({
    key,
    size,
    etag,
    content_type: contentType ?? null,
    ...(pairs.length ? { headers: pairs } : {}),
    metadata,
    modified: [Number(modified.seconds), modified.nanoseconds],
    id,
  });
}

/** The WIT `object-info` of a parsed `meta`. */
export function info(meta) {
  return {
    key: meta.key,
    size: BigInt(meta.size),
    etag: meta.etag,
    contentType: meta.content_type ?? undefined,
    headers: headersOf(meta.headers),
    lastModified: { seconds: BigInt(meta.modified[0]), nanoseconds: meta.modified[1] },
    metadata: meta.metadata.map(([k, v]) => [k, v]),
    versionId: undefined,
    storageClass: undefined,
  };
}
