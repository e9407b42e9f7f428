// One page of a listing (wit/README.md, "List").
//
// A driver hands `listPage` its keys in byte order through a key source and a way to
// fetch one key's info; `listPage` applies the prefix, the delimiter roll-up,
// max-keys and the cursor:
//
// - with a delimiter, a key that contains it after the prefix is rolled up into one
//   common prefix: the prefix up to and including the first delimiter after it;
// - max-keys (0 or absent: 1000, capped at 1000) counts objects and common prefixes
//   together;
// - the cursor is opaque: hex of a tag (`k` key, `p` common prefix) and the last
//   entry returned. Resuming after a common prefix skips every key under it, so each
//   common prefix appears once across all pages;
// - a page has a cursor only when one more entry exists: none on the last page, also
//   when it is exactly full (the page looks one entry ahead to know).
//
// A key source is `{ next(), skipPrefix(prefix) }`: `next()` returns the next key
// (strictly increasing byte order) or `undefined` at the end; it may start at
// `lowerBound(req)` and leave out keys the request does not want. `skipPrefix` is a
// hint (optional) that no key starting with `prefix` is needed any more: a sorted
// source seeks past them instead of walking them. `SortedKeys` is such a source over
// a sorted array.

import { compareKeys } from './keys.js';
import { hexDecode, hexEncode, utf8Decode, utf8Encode } from './codec.js';
import { invalidArgument } from './errors.js';

/** Default and largest max-keys. */
export const MAX_KEYS = 1000;

/**
 * The opaque cursor for a position: `{ kind: 'key' | 'prefix', value }`, the last
 * entry a page returned.
 */
export function encodeCursor(position) {
  const tag = position.kind === 'prefix' ? 'p' : 'k';
  return hexEncode(utf8Encode(tag + position.value));
}

/** The position a cursor from `encodeCursor` names; anything else is `invalid-argument`. */
export function decodeCursor(cursor) {
  const bytes = hexDecode(cursor);
  const text = bytes && bytes.length > 0 ? utf8Decode(bytes) : null;
  if (text === null || (text[0] !== 'k' && text[0] !== 'p')) {
    throw invalidArgument(`invalid list cursor ${JSON.stringify(cursor)}`);
  }
  return { kind: text[0] === 'k' ? 'key' : 'prefix', value: text.slice(1) };
}

/**
 * The WIT `list-options` (`{ prefix, delimiter, maxKeys, cursor }`, each optional),
 * checked and normalised: `{ prefix: string ('' when absent), delimiter: string or
 * null (absent or empty), maxKeys: 1..1000, after: position or null }`. A bad cursor
 * is `invalid-argument`.
 */
export function listRequest(opts = {}) {
  const { prefix, delimiter, maxKeys, cursor } = opts;
  return {
    prefix: prefix ?? '',
    delimiter: delimiter ? delimiter : null,
    maxKeys: !maxKeys ? MAX_KEYS : Math.min(Number(maxKeys), MAX_KEYS),
    after: cursor ? decodeCursor(cursor) : null,
  };
}

/**
 * The lowest key this page can contain, `{ key, exclusive }`: a source may start
 * there (after `key` when `exclusive`).
 */
export function lowerBound(req) {
  if (req.after !== null && compareKeys(req.after.value, req.prefix) >= 0) {
    return { key: req.after.value, exclusive: true };
  }
  return { key: req.prefix, exclusive: false };
}

/** True when key `k` may belong to this page or a later one: under the prefix and past the cursor. */
export function wantsKey(req, k) {
  if (!k.startsWith(req.prefix)) return false;
  const after = req.after;
  if (after === null) return true;
  if (after.kind === 'key') return compareKeys(k, after.value) > 0;
  return compareKeys(k, after.value) > 0 && !k.startsWith(after.value);
}

/**
 * True when some key starting with `dir` (a folder such as `a/b/`) may be wanted: a
 * source walking a tree can skip a whole subtree for which this is false.
 */
export function wantsUnder(req, dir) {
  const p = req.prefix;
  if (!(dir.startsWith(p) || p.startsWith(dir))) return false;
  const after = req.after;
  if (after === null) return true;
  if (after.kind === 'prefix' && dir.startsWith(after.value)) return false;
  // Every key under `dir` sorts after `dir`; a cursor past `dir` and not inside it
  // is past all of them.
  return compareKeys(after.value, dir) < 0 || after.value.startsWith(dir);
}

/** The least string greater than every string that starts with `prefix`, or `null` if none. */
export function prefixSuccessor(prefix) {
  const last = prefix.charCodeAt(prefix.length - 1);
  if (last < 0xd7ff) return prefix.slice(0, -1) + String.fromCharCode(last + 1); // the usual case
  const cps = [...prefix].map((c) => c.codePointAt(0));
  while (cps.length > 0) {
    const c = cps.pop();
    if (c === 0x10ffff) continue;
    cps.push(c === 0xd7ff ? 0xe000 : c + 1);
    return String.fromCodePoint(...cps);
  }
  return null;
}

/**
 * One page: `{ objects, commonPrefixes, nextCursor }` (the WIT `list-page`).
 * `source` yields keys in byte order (see above); `info(key)` returns what goes into
 * `objects` for the key, or `null`/`undefined` when it vanished meanwhile (left out).
 */
export function listPage(req, source, info) {
  const { prefix, delimiter, maxKeys, after } = req;
  const skip = (p) => source.skipPrefix && source.skipPrefix(p);
  if (after !== null && after.kind === 'prefix') skip(after.value);

  const page = { objects: [], commonPrefixes: [], nextCursor: undefined };
  let count = 0;
  let last = null;
  let more = false;
  for (let key = source.next(); key !== undefined; key = source.next()) {
    if (!key.startsWith(prefix)) {
      if (compareKeys(key, prefix) > 0) break; // past every key with the prefix
      continue;
    }
    if (!wantsKey(req, key)) continue;
    let rolled = null;
    if (delimiter !== null) {
      const i = key.indexOf(delimiter, prefix.length);
      if (i >= 0) rolled = key.slice(0, i + delimiter.length);
    }
    if (rolled !== null) {
      if (last !== null && last.kind === 'prefix' && last.value === rolled) continue;
      if (count === maxKeys) {
        more = true;
        break;
      }
      skip(rolled);
      page.commonPrefixes.push(rolled);
      last = { kind: 'prefix', value: rolled };
      count += 1;
      continue;
    }
    const object = info(key);
    if (object == null) continue;
    if (count === maxKeys) {
      more = true;
      break;
    }
    page.objects.push(object);
    last = { kind: 'key', value: key };
    count += 1;
  }
  if (more && last !== null) page.nextCursor = encodeCursor(last);
  return page;
}

/**
 * A set of keys kept sorted in byte order (an array and binary search): insert and
 * remove in O(log n) comparisons plus one native array move, and a key source for
 * `listPage` that starts at the page's lower bound and seeks past rolled-up prefixes,
 * so a page costs O(page + log n), never a walk of the whole set.
 */
export class SortedKeys {
  /** From any iterable of keys (sorted here, duplicates dropped). */
  constructor(keys = []) {
    const sorted = [...keys].sort(compareKeys);
    this.keys = sorted.filter((k, i) => i === 0 || k !== sorted[i - 1]);
  }

  get size() {
    return this.keys.length;
  }

  /** The index of the first key not below `key` (`size` when there is none). */
  search(key, from = 0) {
    let lo = from;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(this.keys[mid], key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  has(key) {
    const i = this.search(key);
    return i < this.keys.length && this.keys[i] === key;
  }

  /** Adds `key`; false when it was there already. */
  insert(key) {
    const i = this.search(key);
    if (i < this.keys.length && this.keys[i] === key) return false;
    this.keys.splice(i, 0, key);
    return true;
  }

  /** Removes `key`; false when it was not there. */
  remove(key) {
    const i = this.search(key);
    if (i >= this.keys.length || this.keys[i] !== key) return false;
    this.keys.splice(i, 1);
    return true;
  }

  [Symbol.iterator]() {
    return this.keys[Symbol.iterator]();
  }

  /** A key source for `listPage(req, …)`. Do not change the set while it is in use. */
  source(req) {
    const keys = this.keys;
    const bound = lowerBound(req);
    let i = this.search(bound.key);
    if (bound.exclusive && keys[i] === bound.key) i += 1;
    return {
      next: () => (i < keys.length ? keys[i++] : undefined),
      skipPrefix: (p) => {
        const s = prefixSuccessor(p);
        i = s === null ? keys.length : Math.max(i, this.search(s, i));
      },
    };
  }

  /** One page of these keys: `listPage` over `source(req)`. */
  page(req, info) {
    return listPage(req, this.source(req), info);
  }
}
