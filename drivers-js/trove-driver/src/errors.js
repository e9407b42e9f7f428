// Errors as componentize-js maps a WIT `result`'s error: a driver function throws the
// `error` variant of wit/types.wit as `{ tag, val }`, e.g.
// `{ tag: 'invalid-argument', val: 'key is empty' }`.

/** Every kind of the WIT `error` variant. `unavailable` and `timeout` are retryable. */
export const ERROR_TAGS = Object.freeze([
  'object-not-found',
  'bucket-not-found',
  'bucket-exists',
  'bucket-not-empty',
  'invalid-argument',
  'permission-denied',
  'precondition-failed',
  'unsupported',
  'unavailable',
  'timeout',
  'internal',
]);

/** The error `tag` with a human-readable `message`, ready to `throw`. */
export function driverError(tag, message) {
  if (!ERROR_TAGS.includes(tag)) throw new TypeError(`not a trove error kind: ${tag}`);
  return { tag, val: String(message) };
}

export const objectNotFound = (m) => driverError('object-not-found', m);
export const bucketNotFound = (m) => driverError('bucket-not-found', m);
export const bucketExists = (m) => driverError('bucket-exists', m);
export const bucketNotEmpty = (m) => driverError('bucket-not-empty', m);
export const invalidArgument = (m) => driverError('invalid-argument', m);
export const permissionDenied = (m) => driverError('permission-denied', m);
export const preconditionFailed = (m) => driverError('precondition-failed', m);
export const unsupported = (m) => driverError('unsupported', m);
export const unavailable = (m) => driverError('unavailable', m);
export const timeout = (m) => driverError('timeout', m);
export const internal = (m) => driverError('internal', m);

/** True when `e` is a `{ tag, val }` error of one of the kinds above. */
export function isDriverError(e) {
  return e !== null && typeof e === 'object' && ERROR_TAGS.includes(e.tag) && typeof e.val === 'string';
}

/**
 * `e` as a trove error: a driver error stays as it is, one an import threw (wrapped by
 * componentize-js in an `Error` whose `payload` is the variant) is unwrapped, and
 * anything else (a bug, a `TypeError`) becomes `internal` with its message, instead
 * of trapping the instance.
 */
export function asDriverError(e) {
  if (isDriverError(e)) return e;
  if (e !== null && typeof e === 'object' && isDriverError(e.payload)) return e.payload;
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return internal(message);
}
