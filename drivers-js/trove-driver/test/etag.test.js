import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hasher, DigestHasher, etagOf, digestEtagOf, utf8Encode } from '../index.js';

const data = new Uint8Array(100_003).map((_, i) => (i * 7) % 251);

test('incremental equals one shot, however the body is cut', () => {
  const whole = etagOf(data);
  for (const step of [1, 3, 4, 5, 4093, 65536]) {
    const h = new Hasher();
    for (let i = 0; i < data.length; i += step) h.update(data.subarray(i, i + step));
    assert.equal(h.length, data.length);
    assert.equal(h.finish(), whole, `chunks of ${step}`);
  }
});

test('unaligned views hash like aligned ones', () => {
  const buf = new Uint8Array(data.length + 3);
  buf.set(data, 3);
  assert.equal(etagOf(buf.subarray(3)), etagOf(data));
});

test('shape', () => {
  const e = etagOf(new Uint8Array(0));
  assert.match(e, /^[0-9a-f]{32}-m128$/);
  assert.equal(new Hasher().finish(), e);
  assert.notEqual(etagOf(utf8Encode('a')), etagOf(utf8Encode('b')));
  // Same length, different content: a different tag.
  assert.notEqual(etagOf(utf8Encode('ab')), etagOf(utf8Encode('ba')));
  assert.notEqual(etagOf(utf8Encode('abcdabcd')), etagOf(utf8Encode('abcdabce')));
  // Zeros of different lengths differ.
  assert.notEqual(etagOf(new Uint8Array(4)), etagOf(new Uint8Array(8)));
  // finish() does not end the hasher.
  const h = new Hasher().update(utf8Encode('ab'));
  h.finish();
  assert.equal(h.update(utf8Encode('c')).finish(), etagOf(utf8Encode('abc')));
});

test('the digest ETag: the same however the body is cut', async () => {
  const big = new Uint8Array((3 << 20) + 12345).map((_, i) => (i * 13) % 256);
  const whole = await digestEtagOf(big);
  assert.match(whole, /^[0-9a-f]{32}-sha256$/);
  for (const step of [1000, 65536, 1 << 20, (1 << 20) + 1, 3 << 20]) {
    const h = new DigestHasher();
    for (let i = 0; i < big.length; i += step) await h.update(big.subarray(i, i + step));
    assert.equal(h.length, big.length);
    assert.equal(await h.finish(), whole, `chunks of ${step}`);
  }
});

test('the digest ETag follows the content and its length', async () => {
  const empty = await digestEtagOf(new Uint8Array(0));
  assert.match(empty, /^[0-9a-f]{32}-sha256$/);
  assert.equal(await new DigestHasher().finish(), empty);
  assert.notEqual(await digestEtagOf(utf8Encode('ab')), await digestEtagOf(utf8Encode('ba')));
  assert.notEqual(await digestEtagOf(new Uint8Array(4)), await digestEtagOf(new Uint8Array(8)));
  assert.notEqual(await digestEtagOf(new Uint8Array(1 << 20)), await digestEtagOf(new Uint8Array((1 << 20) + 1)));
  assert.equal(await digestEtagOf(utf8Encode('abc')), await digestEtagOf(utf8Encode('abc')));
  const h = new DigestHasher();
  await h.finish();
  await assert.rejects(() => h.update(new Uint8Array(1)));
});
