import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as t from '../index.js';

test('errors are the WIT variant as componentize-js throws it', () => {
  assert.deepEqual(t.invalidArgument('bad'), { tag: 'invalid-argument', val: 'bad' });
  assert.deepEqual(t.bucketNotFound('no'), { tag: 'bucket-not-found', val: 'no' });
  assert.deepEqual(t.driverError('timeout', 'slow'), { tag: 'timeout', val: 'slow' });
  assert.equal(t.ERROR_TAGS.length, 11);
  for (const tag of t.ERROR_TAGS) assert.ok(t.isDriverError(t.driverError(tag, 'm')));
  assert.throws(() => t.driverError('nope', 'm'), TypeError);
});

test('anything else becomes internal', () => {
  const e = t.invalidArgument('x');
  assert.equal(t.asDriverError(e), e);
  assert.deepEqual(t.asDriverError(new TypeError('boom')), { tag: 'internal', val: 'TypeError: boom' });
  assert.deepEqual(t.asDriverError('text'), { tag: 'internal', val: 'text' });
  // What an import throws: an Error carrying the variant as its payload.
  const thrown = Object.assign(new Error('see error.payload'), { payload: t.unavailable('down') });
  assert.deepEqual(t.asDriverError(thrown), { tag: 'unavailable', val: 'down' });
  assert.ok(!t.isDriverError({ tag: 'other', val: 'x' }));
  assert.ok(!t.isDriverError(null));
});

test('timestamps', () => {
  assert.deepEqual(t.fromMillis(1_700_000_000_123), { seconds: 1_700_000_000n, nanoseconds: 123_000_000 });
  assert.deepEqual(t.fromMillis(0), { seconds: 0n, nanoseconds: 0 });
  const n = t.now();
  assert.equal(typeof n.seconds, 'bigint');
  assert.ok(n.nanoseconds >= 0 && n.nanoseconds < 1e9);
});
