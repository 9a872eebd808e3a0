//! Benchmarks of the bookstore: emulated TPC-W shoppers driving a running shop over HTTP
//! ([`shop`]), the dataset generator ([`dataset`]), a YCSB-like benchmark of the storage
//! interface ([`storebench`]) and a raw-SDK DynamoDB comparator ([`dynraw`]). The binary
//! `bookstore-loadgen` exposes each as a subcommand; `benches/README.md` shows how to
//! reproduce every figure.
pub mod chart;
pub mod dataset;
pub mod dynraw;
pub mod outbox;
pub mod rng;
pub mod shop;
pub mod stats;
pub mod storebench;
pub mod zipf;
