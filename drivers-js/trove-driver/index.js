// trove-driver: helpers for trove storage drivers written in JavaScript and built
// into components with componentize-js. The same semantics as the Rust drivers'
// shared crate (drivers/common) and the contract (wit/README.md). No dependencies.

export * from './src/errors.js';
export * from './src/names.js';
export * from './src/keys.js';
export * from './src/conditions.js';
export * from './src/range.js';
export * from './src/etag.js';
export * from './src/listing.js';
export * from './src/codec.js';
export * from './src/time.js';
