//! Criterion benchmarks for facesim live in `benches/`; this library is empty on purpose.
