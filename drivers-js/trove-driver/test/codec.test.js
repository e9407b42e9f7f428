import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  hexEncode, hexDecode, utf8Encode, utf8Decode, utf8Length, base64Encode, sha256Hex, releaseBytes,
} from '../index.js';

test('hex round trip', () => {
  const bytes = new Uint8Array([0, 1, 0x7f, 0x80, 0xff]);
  assert.equal(hexEncode(bytes), '00017f80ff');
  assert.deepEqual(hexDecode('00017f80ff'), bytes);
  assert.deepEqual(hexDecode('0A'), new Uint8Array([10]));
  assert.deepEqual(hexDecode(''), new Uint8Array(0));
  assert.equal(hexDecode('abc'), null);
  assert.equal(hexDecode('zz'), null);
  assert.equal(hexDecode('+1'), null);
});

test('utf-8', () => {
  for (const s of ['', 'a', 'é', '€', '\u{10FFFF}', 'a\u{1F600}b', '\uFFFF']) {
    assert.equal(utf8Length(s), Buffer.byteLength(s), s);
    assert.equal(utf8Decode(utf8Encode(s)), s);
  }
  assert.equal(utf8Length('\uD800'), 3); // a lone surrogate encodes as U+FFFD
  assert.equal(utf8Decode(new Uint8Array([0xff])), null);
  assert.equal(utf8Decode(new Uint8Array([0xc3])), null);
});

test('base64 and sha-256 agree with node', () => {
  for (const s of ['', 'f', 'fo', 'foo', 'user:pässword', 'a'.repeat(55), 'a'.repeat(56), 'a'.repeat(64), 'x'.repeat(1000)]) {
    assert.equal(base64Encode(s), Buffer.from(s).toString('base64'), s);
    assert.equal(sha256Hex(s), createHash('sha256').update(s).digest('hex'), s);
  }
  const bytes = new Uint8Array(300).map((_, i) => i);
  assert.equal(base64Encode(bytes), Buffer.from(bytes).toString('base64'));
  assert.equal(sha256Hex(bytes), createHash('sha256').update(bytes).digest('hex'));
});

test('releaseBytes frees an array that owns its buffer, and nothing else', () => {
  const whole = new Uint8Array(1024);
  const part = new Uint8Array(new ArrayBuffer(64), 8, 8);
  const released = releaseBytes(whole);
  if (typeof ArrayBuffer.prototype.transfer === 'function') {
    assert.ok(released);
    assert.equal(whole.length, 0);
  } else {
    assert.ok(!released); // an engine without transfer: left alone
    assert.equal(whole.length, 1024);
  }
  assert.ok(!releaseBytes(part));
  assert.equal(part.length, 8);
  const wasm = new WebAssembly.Memory({ initial: 1 });
  assert.ok(!releaseBytes(new Uint8Array(wasm.buffer)));
  assert.equal(wasm.buffer.byteLength, 65536);
});
