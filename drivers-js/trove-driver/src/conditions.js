// Preconditions: if-match / if-none-match for get and put (wit/README.md).
//
// A condition value is `*` or a comma-separated list of ETags; surrounding quotes and
// a weak `W/` marker are ignored, so `"abc"` and `abc` both match the ETag `abc`.
// An absent condition is `undefined` (or `null`).

import { preconditionFailed } from './errors.js';

/** True when the condition `value` names `etag` (or is `*`). */
export function etagMatches(value, etag) {
  return value.split(',').some((raw) => {
    let item = raw.trim();
    if (item === '*') return true;
    if (item.startsWith('W/')) item = item.slice(2);
    if (item.length >= 2 && item.startsWith('"') && item.endsWith('"')) item = item.slice(1, -1);
    return item.length > 0 && item === etag;
  });
}

/**
 * Checks a get against the object's current `etag`: an `ifMatch` that does not match,
 * or an `ifNoneMatch` that does, throws `precondition-failed`.
 */
export function checkGet(ifMatch, ifNoneMatch, etag) {
  if (ifMatch != null && !etagMatches(ifMatch, etag)) {
    throw preconditionFailed(`if-match ${JSON.stringify(ifMatch)} does not match the current ETag ${etag}`);
  }
  if (ifNoneMatch != null && etagMatches(ifNoneMatch, etag)) {
    throw preconditionFailed(`if-none-match ${JSON.stringify(ifNoneMatch)} matches the current ETag ${etag}`);
  }
}

/**
 * Checks a put against the ETag of the object it would replace (`current`: `undefined`
 * or `null` when there is none). An `ifNoneMatch` that matches (`*` matches any existing
 * object) fails; an `ifMatch` fails when the object is missing or its ETag differs.
 */
export function checkPut(ifMatch, ifNoneMatch, current) {
  if (ifNoneMatch != null && current != null && etagMatches(ifNoneMatch, current)) {
    throw preconditionFailed(
      ifNoneMatch.trim() === '*'
        ? 'if-none-match "*": the object already exists'
        : `if-none-match ${JSON.stringify(ifNoneMatch)} matches the current ETag ${current}`,
    );
  }
  if (ifMatch != null) {
    if (current == null) throw preconditionFailed(`if-match ${JSON.stringify(ifMatch)}: the object does not exist`);
    if (!etagMatches(ifMatch, current)) {
      throw preconditionFailed(`if-match ${JSON.stringify(ifMatch)} does not match the current ETag ${current}`);
    }
  }
}
