//! Nothing here: see `benches/compare.rs` and BENCHMARKS.md.
