// A byte-range option resolved against an object's size (wit/README.md, "Get").

import { invalidArgument } from './errors.js';

/**
 * The part of an object of `size` bytes (a number or a BigInt) that a get returns,
 * as `{ offset, length }` in numbers. `range` is the WIT `option<byte-range>` as
 * componentize-js passes it: `undefined`, `{ tag: 'span', val: [offset, length?] }` or
 * `{ tag: 'suffix', val: n }`, with BigInt values.
 *
 * - no range: the whole object;
 * - `span(offset, len)`: clipped at the end; an offset at or past the end of a
 *   non-empty object, or any offset > 0 of an empty one, is `invalid-argument`;
 *   a span at offset 0 of an empty object is the (empty) object;
 * - `suffix(n)`: the last `n` bytes, the whole object when `n` is larger;
 *   `suffix(0)` of a non-empty object selects nothing and is `invalid-argument`.
 */
export function resolveRange(range, size) {
  const total = BigInt(size);
  if (range == null) return { offset: 0, length: Number(total) };
  if (range.tag === 'span') {
    const [offset, length] = range.val;
    const at = BigInt(offset);
    if (total === 0n) {
      if (at > 0n) throw invalidArgument(`range offset ${at} is past the end of an empty object`);
      return { offset: 0, length: 0 };
    }
    if (at >= total) throw invalidArgument(`range offset ${at} is at or past the end of the object (${total} bytes)`);
    const rest = total - at;
    const len = length == null || BigInt(length) > rest ? rest : BigInt(length);
    return { offset: Number(at), length: Number(len) };
  }
  if (range.tag === 'suffix') {
    const n = BigInt(range.val);
    if (n === 0n && total > 0n) throw invalidArgument('a suffix range of 0 bytes selects nothing');
    const len = n < total ? n : total;
    return { offset: Number(total - len), length: Number(len) };
  }
  throw invalidArgument(`unknown byte range ${JSON.stringify(range.tag)}`);
}

/** True when `resolved` covers the whole object of `size` bytes. */
export function isWhole(resolved, size) {
  return resolved.offset === 0 && resolved.length === Number(size);
}
