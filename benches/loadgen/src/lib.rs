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

/// A checkout of `lines`, as a shopper of the benchmark buys: shipped standard to an address
/// in the shop's country, paid with Stripe's test card that always authorizes (`pm_card_visa`,
/// which localstripe knows too).
pub fn checkout(lines: Vec<bookstore_model::LineRequest>, n: usize) -> bookstore_model::PlaceOrder {
    let address = bookstore_model::AddressInput {
        name: format!("Reader {n}"),
        line1: format!("{} Benchmark Street", 1 + n % 999),
        line2: None,
        city: "Berlin".into(),
        region: None,
        postal_code: format!("{:05}", 10000 + n % 90000),
        country: "DE".into(),
        phone: None,
    };
    bookstore_model::PlaceOrder::shipped_to(
        lines,
        address,
        "standard",
        bookstore_model::PaymentMethodId::parse("pm_card_visa").expect("a valid id"),
    )
}
