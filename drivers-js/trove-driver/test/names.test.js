import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateBucket, validateKey, isBucketName, validateNames } from '../index.js';

const invalid = (fn, message) =>
  assert.throws(fn, (e) => e.tag === 'invalid-argument' && (message === undefined || e.val === message));

test('bucket names', () => {
  for (const ok of ['a', 'abc', 'my-bucket.v2_x', '0', 'a.', 'a'.repeat(63)]) {
    validateBucket(ok);
    assert.ok(isBucketName(ok), ok);
  }
  for (const bad of ['', '.a', 'A', 'a b', 'a/b', 'ä', 'a\0', 'a'.repeat(64), '\u{1F600}']) {
    invalid(() => validateBucket(bad));
    assert.ok(!isBucketName(bad), bad);
  }
});

test('bucket name messages', () => {
  invalid(() => validateBucket(''), 'bucket name is empty');
  invalid(() => validateBucket('aBc'), `bucket name "aBc" contains "B"; allowed are a-z, 0-9, '.', '_' and '-'`);
  invalid(() => validateBucket('a'.repeat(64)), 'bucket name is 64 characters long, the limit is 63');
  invalid(() => validateBucket('.a'), `bucket name ".a" starts with '.'`);
});

test('keys', () => {
  for (const ok of ['a', 'a/b/c', '/x', 'ünï', ' ', 'k'.repeat(1024), 'é'.repeat(512), '\u{10FFFF}'.repeat(256)]) {
    validateKey(ok);
  }
  for (const bad of ['', 'a\0b', 'k'.repeat(1025), 'é'.repeat(513), '\u{10FFFF}'.repeat(257)]) {
    invalid(() => validateKey(bad));
  }
});

test('key messages', () => {
  invalid(() => validateKey(''), 'key is empty');
  invalid(() => validateKey('é'.repeat(513)), 'key is 1026 bytes long, the limit is 1024');
  invalid(() => validateKey('a\0'), 'key contains a NUL character');
});

test('names together: the bucket first', () => {
  validateNames('b', 'k');
  validateNames('b');
  invalid(() => validateNames('B', ''), `bucket name "B" contains "B"; allowed are a-z, 0-9, '.', '_' and '-'`);
  invalid(() => validateNames('b', ''), 'key is empty');
});
