// Key order. The contract sorts keys by their UTF-8 bytes, which is the order of
// their code points. JavaScript compares strings by UTF-16 units, which differs only
// where a character above U+FFFF (a surrogate pair, units D800–DFFF) meets one in
// U+E000–U+FFFF: UTF-16 puts the pair first, UTF-8 after.

// A unit at D800 or above: only two strings that both hold one can be misordered.
const HIGH = /[\ud800-\uffff]/;

/** -1, 0 or 1: `a` against `b` in byte order of their UTF-8 (code point order). */
export function compareKeys(a, b) {
  if (a === b) return 0;
  if (!HIGH.test(a) || !HIGH.test(b)) return a < b ? -1 : 1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // Surrogates (a code point above U+FFFF) sort after E000–FFFF.
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : 1;
}

/** `keys` sorted in byte order (a new array). */
export function sortKeys(keys) {
  return [...keys].sort(compareKeys);
}
