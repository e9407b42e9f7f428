import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etagMatches, checkGet, checkPut } from '../index.js';

const failed = (fn) => assert.throws(fn, (e) => e.tag === 'precondition-failed' && typeof e.val === 'string');

test('matching', () => {
  assert.ok(etagMatches('*', 'abc'));
  assert.ok(etagMatches('abc', 'abc'));
  assert.ok(etagMatches('"abc"', 'abc'));
  assert.ok(etagMatches('W/"abc"', 'abc'));
  assert.ok(etagMatches('x, "abc"', 'abc'));
  assert.ok(etagMatches(' * ', 'abc'));
  assert.ok(!etagMatches('abd', 'abc'));
  assert.ok(!etagMatches('', 'abc'));
  assert.ok(!etagMatches('""', 'abc'));
  assert.ok(!etagMatches('"abc', 'abc'));
});

test('get', () => {
  checkGet(undefined, undefined, 'e');
  checkGet(null, null, 'e');
  checkGet('e', undefined, 'e');
  checkGet('*', undefined, 'e');
  failed(() => checkGet('f', undefined, 'e'));
  checkGet(undefined, 'f', 'e');
  failed(() => checkGet(undefined, 'e', 'e'));
  failed(() => checkGet(undefined, '*', 'e'));
  failed(() => checkGet('e', 'e', 'e'));
});

test('put', () => {
  checkPut(undefined, undefined, undefined);
  checkPut(undefined, undefined, 'e');
  checkPut(undefined, '*', undefined);
  checkPut(undefined, '*', null);
  failed(() => checkPut(undefined, '*', 'e'));
  checkPut('e', undefined, 'e');
  failed(() => checkPut('f', undefined, 'e'));
  failed(() => checkPut('e', undefined, undefined));
  failed(() => checkPut('*', undefined, undefined));
  checkPut('*', undefined, 'e');
});

test('put messages', () => {
  assert.throws(() => checkPut(undefined, '*', 'e'), { val: 'if-none-match "*": the object already exists' });
  assert.throws(() => checkPut(undefined, 'e', 'e'), { val: 'if-none-match "e" matches the current ETag e' });
  assert.throws(() => checkPut('e', undefined, undefined), { val: 'if-match "e": the object does not exist' });
  assert.throws(() => checkPut('f', undefined, 'e'), { val: 'if-match "f" does not match the current ETag e' });
});
