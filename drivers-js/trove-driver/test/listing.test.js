import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_KEYS, SortedKeys, listPage, listRequest, encodeCursor, decodeCursor, prefixSuccessor,
  lowerBound, wantsUnder, compareKeys,
} from '../index.js';

const req = (prefix, delimiter, maxKeys, cursor) => listRequest({ prefix, delimiter, maxKeys, cursor });
const ident = (k) => k;

function page(keys, r) {
  return new SortedKeys(keys).page(r, ident);
}

// A source that ignores every hint and yields all keys: checks listPage's own filters.
function dumbSource(keys) {
  const sorted = new SortedKeys(keys).keys;
  let i = 0;
  return { next: () => sorted[i++] };
}

// Every page in turn: the entries (objects as `o:key`, prefixes as `p:cp`, in key
// order) and the number of pages.
function allPages(keys, prefix, delimiter, maxKeys, dumb = false) {
  const set = new SortedKeys(keys);
  const out = [];
  let cursor;
  let pages = 0;
  for (;;) {
    const r = req(prefix, delimiter, maxKeys, cursor);
    const p = dumb ? listPage(r, dumbSource(keys), ident) : set.page(r, ident);
    pages += 1;
    const n = p.objects.length + p.commonPrefixes.length;
    assert.ok(n <= r.maxKeys, `page of ${n} with max ${r.maxKeys}`);
    const entries = [...p.objects.map((k) => [k, `o:${k}`]), ...p.commonPrefixes.map((c) => [c, `p:${c}`])];
    entries.sort((a, b) => compareKeys(a[0], b[0]));
    out.push(...entries.map((e) => e[1]));
    if (p.nextCursor === undefined) break;
    assert.equal(n, r.maxKeys, 'a page with a cursor is full');
    cursor = p.nextCursor;
    assert.ok(pages < 10_000);
  }
  return { entries: out, pages };
}

// The reference: the whole listing, the obvious way.
function reference(keys, prefix, delimiter) {
  const out = [];
  const seen = new Set();
  for (const k of new SortedKeys(keys)) {
    if (!k.startsWith(prefix)) continue;
    const i = delimiter ? k.indexOf(delimiter, prefix.length) : -1;
    if (i < 0) out.push(`o:${k}`);
    else {
      const cp = k.slice(0, i + delimiter.length);
      if (!seen.has(cp)) out.push(`p:${cp}`);
      seen.add(cp);
    }
  }
  return out;
}

test('request defaults', () => {
  assert.deepEqual(listRequest({}), { prefix: '', delimiter: null, maxKeys: 1000, after: null });
  assert.deepEqual(listRequest(), { prefix: '', delimiter: null, maxKeys: 1000, after: null });
  assert.equal(MAX_KEYS, 1000);
  assert.equal(listRequest({ maxKeys: 0 }).maxKeys, 1000);
  assert.equal(listRequest({ maxKeys: 5000 }).maxKeys, 1000);
  assert.equal(listRequest({ maxKeys: 7 }).maxKeys, 7);
  assert.equal(listRequest({ delimiter: '', cursor: '' }).delimiter, null);
  assert.equal(listRequest({ cursor: '' }).after, null);
});

test('cursors', () => {
  for (const pos of [
    { kind: 'key', value: 'a/b' },
    { kind: 'prefix', value: 'x/' },
    { kind: 'key', value: 'ünï\u{10FFFF}' },
    { kind: 'key', value: '' },
  ]) {
    const c = encodeCursor(pos);
    assert.match(c, /^[0-9a-f]+$/);
    assert.deepEqual(decodeCursor(c), pos);
    assert.deepEqual(decodeCursor(c.toUpperCase()), pos);
  }
  assert.equal(encodeCursor({ kind: 'key', value: 'a' }), '6b61');
  for (const bad of ['zz', '6', '', '78', '6bff', 'not a cursor']) {
    assert.throws(() => decodeCursor(bad), { tag: 'invalid-argument', val: `invalid list cursor ${JSON.stringify(bad)}` });
  }
  assert.throws(() => listRequest({ cursor: 'not a cursor' }), { tag: 'invalid-argument' });
});

test('flat listing', () => {
  const p = page(['b', 'a', 'c/d', 'a-b', 'a/b'], req('', '', 0));
  assert.deepEqual(p.objects, ['a', 'a-b', 'a/b', 'b', 'c/d']);
  assert.deepEqual(p.commonPrefixes, []);
  assert.equal(p.nextCursor, undefined);
});

test('exact fit has no cursor', () => {
  let p = page(['a', 'b', 'c'], req('', '', 3));
  assert.deepEqual(p.objects, ['a', 'b', 'c']);
  assert.equal(p.nextCursor, undefined);

  const keys = ['a', 'b', 'c', 'd'];
  const p1 = page(keys, req('', '', 2));
  assert.deepEqual(p1.objects, ['a', 'b']);
  assert.ok(p1.nextCursor, 'more remain');
  const p2 = page(keys, req('', '', 2, p1.nextCursor));
  assert.deepEqual(p2.objects, ['c', 'd']);
  assert.equal(p2.nextCursor, undefined);
});

test('exact fit with prefixes', () => {
  let p = page(['a/1', 'a/2', 'b', 'c/1'], req('', '/', 3));
  assert.deepEqual(p.objects, ['b']);
  assert.deepEqual(p.commonPrefixes, ['a/', 'c/']);
  assert.equal(p.nextCursor, undefined);
  // Keys after the prefix's range do not make a cursor either.
  p = page(['p/1', 'p/2', 'q'], req('p/', '', 2));
  assert.deepEqual(p.objects, ['p/1', 'p/2']);
  assert.equal(p.nextCursor, undefined);
  // Nor do more keys under the last common prefix.
  p = page(['a', 'b/1', 'b/2', 'b/3'], req('', '/', 2));
  assert.deepEqual(p.objects, ['a']);
  assert.deepEqual(p.commonPrefixes, ['b/']);
  assert.equal(p.nextCursor, undefined);
});

test('a thousand and one', () => {
  const keys = Array.from({ length: 1001 }, (_, i) => `k${String(i).padStart(5, '0')}`);
  const p1 = page(keys, listRequest({}));
  assert.equal(p1.objects.length, 1000);
  assert.deepEqual(p1.objects, keys.slice(0, 1000));
  assert.ok(p1.nextCursor, 'one left');
  const p2 = page(keys, listRequest({ maxKeys: 0, cursor: p1.nextCursor }));
  assert.deepEqual(p2.objects, ['k01000']);
  assert.equal(p2.nextCursor, undefined);
  // Exactly 1000: one page, no cursor.
  const p = page(keys.slice(0, 1000), listRequest({ maxKeys: 5000 }));
  assert.equal(p.objects.length, 1000);
  assert.equal(p.nextCursor, undefined);
});

test('the delimiter rolls keys up', () => {
  const p = page(['a/1', 'a/2', 'a/b/3', 'b', 'c/1', 'c/2/x', 'd'], req('', '/', 0));
  assert.deepEqual(p.objects, ['b', 'd']);
  assert.deepEqual(p.commonPrefixes, ['a/', 'c/']);
  assert.equal(p.nextCursor, undefined);
});

test('paging with a delimiter gives each prefix once', () => {
  const keys = ['a/1', 'a/2', 'a/b/3', 'b', 'c/1', 'c/2/x', 'd'];
  const want = ['p:a/', 'o:b', 'p:c/', 'o:d'];
  for (const dumb of [false, true]) {
    assert.deepEqual(allPages(keys, '', '/', 1, dumb), { entries: want, pages: 4 });
    assert.deepEqual(allPages(keys, '', '/', 2, dumb), { entries: want, pages: 2 });
    assert.deepEqual(allPages(keys, '', '/', 3, dumb), { entries: want, pages: 2 });
  }
});

test('prefix and delimiter', () => {
  const keys = ['c', 'c/', 'c/1', 'c/2/x', 'c/2/y', 'c/3', 'cd', 'd/1'];
  let p = page(keys, req('c/', '/', 0));
  assert.deepEqual(p.objects, ['c/', 'c/1', 'c/3']);
  assert.deepEqual(p.commonPrefixes, ['c/2/']);
  p = page(keys, req('c', '/', 0));
  assert.deepEqual(p.objects, ['c', 'cd']);
  assert.deepEqual(p.commonPrefixes, ['c/']);
  p = page(keys, req('c/2', '', 0));
  assert.deepEqual(p.objects, ['c/2/x', 'c/2/y']);
  p = page(keys, req('zz', '/', 0));
  assert.deepEqual([p.objects, p.commonPrefixes, p.nextCursor], [[], [], undefined]);
  for (const dumb of [false, true]) {
    assert.deepEqual(allPages(keys, 'c/', '/', 1, dumb).entries, ['o:c/', 'o:c/1', 'p:c/2/', 'o:c/3']);
  }
});

test('other delimiters', () => {
  let keys = ['a--b', 'a--c', 'a-d', 'b::x::y', 'b::z'];
  let p = page(keys, req('', '--', 0));
  assert.deepEqual(p.objects, ['a-d', 'b::x::y', 'b::z']);
  assert.deepEqual(p.commonPrefixes, ['a--']);
  p = page(keys, req('b::', '::', 0));
  assert.deepEqual(p.objects, ['b::z']);
  assert.deepEqual(p.commonPrefixes, ['b::x::']);
  keys = ['aéb', 'aéc', 'ab'];
  p = page(keys, req('', 'é', 0));
  assert.deepEqual(p.objects, ['ab']);
  assert.deepEqual(p.commonPrefixes, ['aé']);
  // A delimiter that is a character above U+FFFF.
  keys = ['x\u{1F600}1', 'x\u{1F600}2', 'x\u{FFFF}', 'y'];
  p = page(keys, req('', '\u{1F600}', 0));
  assert.deepEqual(p.objects, ['x\u{FFFF}', 'y']);
  assert.deepEqual(p.commonPrefixes, ['x\u{1F600}']);
});

test('keys sort in byte order, not UTF-16 order', () => {
  const keys = ['\u{10000}', '\u{FFFF}', 'a', '\u{E000}/1', '\u{E000}/2'];
  const p = page(keys, req('', '/', 0));
  assert.deepEqual(p.objects, ['a', '\u{FFFF}', '\u{10000}']);
  assert.deepEqual(p.commonPrefixes, ['\u{E000}/']);
  assert.deepEqual(allPages(keys, '', '', 1).entries, ['o:a', 'o:\u{E000}/1', 'o:\u{E000}/2', 'o:\u{FFFF}', 'o:\u{10000}']);
});

test('paging gives the single page, for every prefix, delimiter and page size', () => {
  const keys = [];
  for (const a of ['', 'a', 'a/', 'a-', 'b/']) {
    for (const b of ['x', 'x/y', 'x/z/w', 'y', 'é/1', '\u{10FFFF}', '\u{FFFF}/q']) keys.push(a + b);
  }
  for (const prefix of ['', 'a', 'a/', 'b/', 'a/x/', 'nothing', '\u{10FFFF}']) {
    for (const delim of ['', '/', 'x', '/z/']) {
      const whole = allPages(keys, prefix, delim, 1000);
      assert.equal(whole.pages, 1);
      assert.deepEqual(whole.entries, reference(keys, prefix, delim), `prefix ${prefix} delim ${delim}`);
      for (const max of [1, 2, 3, 5, 7, 100]) {
        for (const dumb of [false, true]) {
          const paged = allPages(keys, prefix, delim, max, dumb);
          assert.deepEqual(paged.entries, whole.entries, `prefix ${prefix} delim ${delim} max ${max}`);
        }
      }
    }
  }
});

test('random key sets agree with the reference', () => {
  let seed = 42;
  const rand = (n) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const alphabet = ['a', 'b', '/', '-', 'é', '\u{FFFF}', '\u{10000}'];
  for (let round = 0; round < 60; round++) {
    const keys = Array.from({ length: 1 + rand(40) }, () =>
      Array.from({ length: 1 + rand(6) }, () => alphabet[rand(alphabet.length)]).join(''));
    const prefix = ['', 'a', 'a/', 'b', 'é'][rand(5)];
    const delim = ['', '/', '-', 'a/', '\u{10000}'][rand(5)];
    const want = reference(keys, prefix, delim);
    for (const max of [1, 2, 3, 10]) {
      assert.deepEqual(allPages(keys, prefix, delim, max).entries, want, JSON.stringify({ keys, prefix, delim, max }));
    }
  }
});

test('vanished keys are left out', () => {
  const keys = ['a', 'b', 'c'];
  let p = new SortedKeys(keys).page(req('', '', 2), (k) => (k === 'b' ? undefined : k));
  assert.deepEqual(p.objects, ['a', 'c']);
  assert.equal(p.nextCursor, undefined);
  // The look-ahead key vanished: no cursor.
  p = new SortedKeys(keys).page(req('', '', 2), (k) => (k === 'c' ? null : k));
  assert.deepEqual(p.objects, ['a', 'b']);
  assert.equal(p.nextCursor, undefined);
});

test('a cursor from another listing, before the prefix or past everything', () => {
  const keys = ['a', 'b/1', 'b/2', 'c'];
  // Before the prefix: start at the prefix.
  let p = page(keys, req('b/', '', 0, encodeCursor({ kind: 'key', value: 'a' })));
  assert.deepEqual(p.objects, ['b/1', 'b/2']);
  // Past every key.
  p = page(keys, req('', '', 0, encodeCursor({ kind: 'key', value: 'z' })));
  assert.deepEqual([p.objects, p.nextCursor], [[], undefined]);
  // After a prefix that no longer exists: keys under it stay skipped.
  p = page(['b/0', 'b/9', 'c'], req('', '', 0, encodeCursor({ kind: 'prefix', value: 'b/' })));
  assert.deepEqual(p.objects, ['c']);
});

test('a page never walks the whole set', () => {
  // 20,000 keys under one common prefix, between two plain keys.
  const keys = ['a', ...Array.from({ length: 20_000 }, (_, i) => `m/${i}`), 'z'];
  const set = new SortedKeys(keys);
  let calls = 0;
  const counted = (r) => {
    const s = set.source(r);
    return { next: () => (calls++, s.next()), skipPrefix: s.skipPrefix };
  };
  const r = req('', '/', 0);
  const p = listPage(r, counted(r), ident);
  assert.deepEqual([p.objects, p.commonPrefixes], [['a', 'z'], ['m/']]);
  assert.ok(calls <= 5, `${calls} keys read for a page of 3`);

  // Paging one key at a time deep into the set reads a few keys per page.
  calls = 0;
  let cursor = encodeCursor({ kind: 'key', value: 'm/5000' });
  for (let i = 0; i < 10; i++) {
    const r2 = req('m/', '', 1, cursor);
    const p2 = listPage(r2, counted(r2), ident);
    assert.equal(p2.objects.length, 1);
    cursor = p2.nextCursor;
  }
  assert.ok(calls <= 20, `${calls} keys read for 10 pages of 1`);

  // Resuming after a common prefix seeks past it.
  calls = 0;
  const r3 = req('', '/', 1, encodeCursor({ kind: 'prefix', value: 'm/' }));
  const p3 = listPage(r3, counted(r3), ident);
  assert.deepEqual(p3.objects, ['z']);
  assert.ok(calls <= 2, `${calls} keys read after a skipped prefix`);
});

test('sorted keys: insert, remove, has', () => {
  const s = new SortedKeys(['b', 'a', 'b']);
  assert.deepEqual([...s], ['a', 'b']);
  assert.ok(s.insert('\u{10000}'));
  assert.ok(s.insert('\u{FFFF}'));
  assert.ok(!s.insert('a'));
  assert.ok(s.insert('ab'));
  assert.deepEqual([...s], ['a', 'ab', 'b', '\u{FFFF}', '\u{10000}']);
  assert.equal(s.size, 5);
  assert.ok(s.has('ab') && !s.has('abc'));
  assert.ok(s.remove('ab'));
  assert.ok(!s.remove('ab'));
  assert.ok(!s.remove('zz'));
  assert.deepEqual([...s], ['a', 'b', '\u{FFFF}', '\u{10000}']);
  assert.equal(s.search('aa'), 1);
  assert.equal(s.search('~~'), 2);
});

test('lower bound and subtree pruning', () => {
  assert.deepEqual(lowerBound(req('p/', '', 0)), { key: 'p/', exclusive: false });
  assert.deepEqual(lowerBound(req('p/', '', 0, encodeCursor({ kind: 'key', value: 'p/x' }))), { key: 'p/x', exclusive: true });
  assert.deepEqual(lowerBound(req('p/', '', 0, encodeCursor({ kind: 'key', value: 'a' }))), { key: 'p/', exclusive: false });

  let r = req('a/b', '', 0);
  assert.ok(wantsUnder(r, 'a/'));
  assert.ok(wantsUnder(r, 'a/b/'));
  assert.ok(wantsUnder(r, 'a/bc/'));
  assert.ok(!wantsUnder(r, 'b/'));
  assert.ok(!wantsUnder(r, 'a/c/'));
  r = req('', '', 0, encodeCursor({ kind: 'key', value: 'm/n' }));
  assert.ok(!wantsUnder(r, 'a/'));
  assert.ok(wantsUnder(r, 'm/'));
  assert.ok(wantsUnder(r, 'z/'));
  r = req('', '/', 0, encodeCursor({ kind: 'prefix', value: 'm/' }));
  assert.ok(!wantsUnder(r, 'm/'));
  assert.ok(!wantsUnder(r, 'm/x/'));
  assert.ok(wantsUnder(r, 'n/'));
});

test('prefix successors', () => {
  assert.equal(prefixSuccessor('a/'), 'a0');
  assert.equal(prefixSuccessor('ab'), 'ac');
  assert.equal(prefixSuccessor('a\u{10FFFF}'), 'b');
  assert.equal(prefixSuccessor('\u{D7FF}'), '\u{E000}');
  assert.equal(prefixSuccessor('a\u{FFFF}'), 'a\u{10000}');
  assert.equal(prefixSuccessor('a\u{1F600}'), 'a\u{1F601}');
  assert.equal(prefixSuccessor('\u{10FFFF}'), null);
  assert.equal(prefixSuccessor(''), null);
});
