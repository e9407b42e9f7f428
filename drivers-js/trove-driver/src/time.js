// Wall-clock timestamps as the WIT `timestamp` record: `{ seconds: BigInt, nanoseconds }`.

/** The timestamp of `ms` milliseconds since the Unix epoch. */
export function fromMillis(ms) {
  const whole = Math.floor(ms);
  const seconds = Math.floor(whole / 1000);
  return { seconds: BigInt(seconds), nanoseconds: (whole - seconds * 1000) * 1_000_000 };
}

/** Now. */
export function now() {
  return fromMillis(Date.now());
}
