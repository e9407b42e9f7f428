// The ETag: derived from the content, never from the length alone (wit/README.md).
//
// A 128-bit digest (four 32-bit multiply-xorshift lanes over the little-endian 32-bit
// words of the content, then its length), as 32 lowercase hex digits and `-m128`,
// without quotes: a shape no S3 client takes for an MD5 (README "ETags").
// Plain JavaScript: not a cryptographic hash, and not the Rust drivers' xxh3 (an
// ETag only has to change with the content and stay put without it). Incremental, so
// a driver hashes a body as it streams past; how the body is cut into chunks does
// not change the result.

export class Hasher {
  constructor() {
    this.h = new Uint32Array([0x9e3779b1, 0x85ebca77, 0xc2b2ae3d, 0x27d4eb2f]);
    this.length = 0;
    this.words = 0; // words hashed so far: the position of the next one
    this.tail = new Uint8Array(0);
  }

  /** Adds `bytes` (a `Uint8Array`). */
  update(bytes) {
    let data = bytes;
    if (this.tail.length) {
      data = new Uint8Array(this.tail.length + bytes.length);
      data.set(this.tail);
      data.set(bytes, this.tail.length);
    }
    this.length += bytes.length;
    const words = data.length >>> 2;
    // A typed-array view reads faster than a DataView in an interpreter; the host is
    // little-endian (WebAssembly always is), so both read the same words.
    const aligned = data.byteOffset % 4 === 0;
    const u32 = aligned ? new Uint32Array(data.buffer, data.byteOffset, words) : null;
    const view = aligned ? null : new DataView(data.buffer, data.byteOffset, data.byteLength);
    const h = this.h;
    const base = this.words;
    let h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3];
    for (let i = 0; i < words; i++) {
      const w = aligned ? u32[i] : view.getUint32(i << 2, true);
      h0 = Math.imul(h0 ^ w, 0x85ebca6b); h0 ^= h0 >>> 13;
      h1 = Math.imul(h1 + w, 0xc2b2ae35); h1 ^= h1 >>> 16;
      h2 = Math.imul(h2 ^ (w + base + i), 0x27d4eb2f); h2 ^= h2 >>> 15;
      h3 = Math.imul((h3 << 5 | h3 >>> 27) ^ w, 0x165667b1); h3 ^= h3 >>> 12;
    }
    h[0] = h0; h[1] = h1; h[2] = h2; h[3] = h3;
    this.words = (base + words) >>> 0;
    this.tail = data.slice(words << 2);
    return this;
  }

  /** The ETag of everything added so far (the hasher can go on). */
  finish() {
    const h = Uint32Array.from(this.h);
    const n = this.length;
    const extra = [...this.tail, n >>> 24, n >>> 16, n >>> 8, n, Math.floor(n / 2 ** 32)];
    for (const b of extra) {
      for (let j = 0; j < 4; j++) {
        h[j] = Math.imul(h[j] ^ (b & 0xff), 0x01000193);
        h[j] ^= h[(j + 1) & 3] >>> 7;
      }
    }
    for (let r = 0; r < 4; r++) {
      for (let j = 0; j < 4; j++) {
        h[j] = Math.imul(h[j] ^ (h[(j + 3) & 3] >>> 15), 0x2c1b3c6d);
      }
    }
    return [...h].map((x) => x.toString(16).padStart(8, '0')).join('') + '-m128';
  }
}

/** The ETag of `bytes` in one go. */
export function etagOf(bytes) {
  return new Hasher().update(bytes).finish();
}

const BLOCK = 1 << 20;

/**
 * Another content ETag, computed natively: SHA-256 (the engine's `crypto.subtle`) of
 * each 1 MiB block of the content, then of those digests and the length; its first
 * 128 bits as 32 hex digits and `-sha256`. Chunking does not change it. `update` and `finish`
 * return promises, so a driver uses it from async exports (componentize-js runs the
 * event loop until an export's promise settles); in componentize-js's interpreter it
 * is some fifty times faster than `Hasher`. Its ETags differ from `Hasher`'s: use
 * one or the other in a driver.
 */
export class DigestHasher {
  constructor() {
    this.block = new Uint8Array(BLOCK);
    this.filled = 0;
    this.digests = [];
    this.length = 0;
    this.done = false;
  }

  /** Adds `bytes` (a `Uint8Array`). */
  async update(bytes) {
    if (this.done) throw new Error('DigestHasher: update after finish');
    let at = 0;
    while (at < bytes.length) {
      if (this.filled === 0 && bytes.length - at >= BLOCK) {
        await this.digest(bytes.subarray(at, at + BLOCK)); // a whole block: no copy
        at += BLOCK;
        continue;
      }
      const n = Math.min(BLOCK - this.filled, bytes.length - at);
      this.block.set(bytes.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      if (this.filled === BLOCK) {
        await this.digest(this.block);
        this.filled = 0;
      }
    }
    this.length += bytes.length;
    return this;
  }

  async digest(block) {
    this.digests.push(new Uint8Array(await crypto.subtle.digest('SHA-256', block)));
  }

  /** The ETag of everything added (the hasher is done then). */
  async finish() {
    if (!this.done && this.filled > 0) await this.digest(this.block.subarray(0, this.filled));
    this.done = true;
    const all = new Uint8Array(this.digests.length * 32 + 8);
    this.digests.forEach((d, i) => all.set(d, i * 32));
    const view = new DataView(all.buffer);
    view.setUint32(all.length - 8, Math.floor(this.length / 2 ** 32));
    view.setUint32(all.length - 4, this.length >>> 0);
    const sum = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
    let hex = '';
    for (let i = 0; i < 16; i++) hex += sum[i].toString(16).padStart(2, '0');
    return hex + '-sha256';
  }
}

/** The `DigestHasher` ETag of `bytes` in one go. */
export async function digestEtagOf(bytes) {
  return (await new DigestHasher().update(bytes)).finish();
}
