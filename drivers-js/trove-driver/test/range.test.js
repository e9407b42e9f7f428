import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveRange, isWhole } from '../index.js';

const U64_MAX = 2n ** 64n - 1n;
const span = (offset, length) => ({ tag: 'span', val: [BigInt(offset), length === undefined ? undefined : BigInt(length)] });
const suffix = (n) => ({ tag: 'suffix', val: BigInt(n) });
const ok = (offset, length) => ({ offset, length });
const invalid = (fn) => assert.throws(fn, (e) => e.tag === 'invalid-argument');

test('whole', () => {
  assert.deepEqual(resolveRange(undefined, 10), ok(0, 10));
  assert.deepEqual(resolveRange(undefined, 0), ok(0, 0));
  assert.deepEqual(resolveRange(undefined, 10n), ok(0, 10));
  assert.ok(isWhole(resolveRange(undefined, 10), 10));
  assert.ok(isWhole(resolveRange(undefined, 10n), 10n));
  assert.ok(!isWhole(resolveRange(span(1), 10), 10));
});

test('spans', () => {
  assert.deepEqual(resolveRange(span(0, 4), 10), ok(0, 4));
  assert.deepEqual(resolveRange(span(2, 3), 10), ok(2, 3));
  assert.deepEqual(resolveRange(span(2), 10), ok(2, 8));
  assert.deepEqual(resolveRange(span(8, 100), 10), ok(8, 2));
  assert.deepEqual(resolveRange(span(9, U64_MAX), 10), ok(9, 1));
  assert.deepEqual(resolveRange(span(3, 0), 10), ok(3, 0));
  invalid(() => resolveRange(span(10), 10));
  invalid(() => resolveRange(span(11, 1), 10));
  invalid(() => resolveRange(span(U64_MAX), 10));
});

test('empty object', () => {
  assert.deepEqual(resolveRange(span(0), 0), ok(0, 0));
  assert.deepEqual(resolveRange(span(0, 5), 0), ok(0, 0));
  invalid(() => resolveRange(span(1), 0));
  assert.deepEqual(resolveRange(suffix(5), 0), ok(0, 0));
  assert.deepEqual(resolveRange(suffix(0), 0), ok(0, 0));
});

test('suffixes', () => {
  assert.deepEqual(resolveRange(suffix(3), 10), ok(7, 3));
  assert.deepEqual(resolveRange(suffix(10), 10), ok(0, 10));
  assert.deepEqual(resolveRange(suffix(11), 10), ok(0, 10));
  assert.deepEqual(resolveRange(suffix(U64_MAX), 10), ok(0, 10));
  invalid(() => resolveRange(suffix(0), 10));
});

test('large objects stay exact', () => {
  const size = 5n * 2n ** 40n; // 5 TiB
  assert.deepEqual(resolveRange(span(size - 1n), size), ok(Number(size - 1n), 1));
  assert.deepEqual(resolveRange(suffix(2n ** 33n), size), ok(Number(size - 2n ** 33n), 2 ** 33));
});
