import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareKeys, sortKeys, utf8Encode } from '../index.js';

// The reference: compare the UTF-8 bytes.
function byBytes(a, b) {
  const x = utf8Encode(a);
  const y = utf8Encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return Math.sign(x.length - y.length);
}

const SAMPLES = [
  '', '\0', '\0\0', 'a', 'a\0', 'a\0b', 'ab', 'abcdefg', 'abcdefgh', 'abcdefgh\0', 'abcdefghi',
  'obj-1024-19999', 'obj-1024-2', 'obj-1024-20000', 'photos/2026/11/26/IMG_0001.jpg',
  'photos/2026/11/26/IMG_0001.jpg.xmp', 'é', 'z', '\u{7FF}', '\u{800}', '\u{D7FF}', '\u{E000}',
  '\u{FFFD}', '\u{FFFF}', '\u{10000}', '\u{1F600}', '\u{10FFFF}', 'a\u{FFFF}', 'a\u{10000}',
  '\u{FFFF}x', '\u{10000}x', 'x\u{E000}\u{10000}', 'x\u{10000}\u{E000}',
];

test('orders exactly as UTF-8 bytes do', () => {
  for (const a of SAMPLES) {
    for (const b of SAMPLES) {
      assert.equal(compareKeys(a, b), byBytes(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
  }
});

test('differs from the default sort where UTF-16 does', () => {
  const keys = ['\u{10000}', '\u{FFFF}', 'a'];
  assert.deepEqual([...keys].sort(), ['a', '\u{10000}', '\u{FFFF}']);
  assert.deepEqual(sortKeys(keys), ['a', '\u{FFFF}', '\u{10000}']);
  assert.deepEqual(keys, ['\u{10000}', '\u{FFFF}', 'a'], 'sortKeys leaves its argument alone');
});
