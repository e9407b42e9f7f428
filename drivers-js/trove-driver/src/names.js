// Bucket-name and key validation (wit/README.md, "Names").

import { invalidArgument } from './errors.js';
import { utf8Length } from './codec.js';

/** Longest bucket name, in characters. */
export const MAX_BUCKET_LEN = 63;
/** Longest key, in bytes of UTF-8. */
export const MAX_KEY_LEN = 1024;

const BUCKET_CHARS = /^[a-z0-9._-]*$/;

/** Throws `invalid-argument` unless `name` is 1–63 characters of `[a-z0-9._-]`, not starting with `.`. */
export function validateBucket(name) {
  if (name.length === 0) throw invalidArgument('bucket name is empty');
  if (!BUCKET_CHARS.test(name)) {
    const bad = [...name].find((c) => !BUCKET_CHARS.test(c));
    throw invalidArgument(
      `bucket name ${JSON.stringify(name)} contains ${JSON.stringify(bad)}; allowed are a-z, 0-9, '.', '_' and '-'`,
    );
  }
  if (name.length > MAX_BUCKET_LEN) {
    throw invalidArgument(`bucket name is ${name.length} characters long, the limit is ${MAX_BUCKET_LEN}`);
  }
  if (name.startsWith('.')) throw invalidArgument(`bucket name ${JSON.stringify(name)} starts with '.'`);
}

/** Throws `invalid-argument` unless `key` is non-empty, without NUL, at most 1024 bytes of UTF-8. */
export function validateKey(key) {
  if (key.length === 0) throw invalidArgument('key is empty');
  // A UTF-16 unit is 1 to 3 bytes of UTF-8: only a long key needs counting.
  if (key.length > MAX_KEY_LEN / 3) {
    const len = utf8Length(key);
    if (len > MAX_KEY_LEN) throw invalidArgument(`key is ${len} bytes long, the limit is ${MAX_KEY_LEN}`);
  }
  if (key.includes('\0')) throw invalidArgument('key contains a NUL character');
}

/** True when `name` is a valid bucket name. */
export function isBucketName(name) {
  try {
    validateBucket(name);
    return true;
  } catch {
    return false;
  }
}

/** Validates a bucket name and, when given, a key (the order every operation checks them in). */
export function validateNames(bucket, key) {
  validateBucket(bucket);
  if (key !== undefined) validateKey(key);
}
