//! Stock crossings: which events a change of a book's stock raises (`stock.low` when it goes
//! from above its threshold to at or below it, `stock.back_in_stock` when a sold-out book gets
//! copies), exactly once per crossing without reading the book again.
//!
//! A writer reads the book (stock `s`), predicts the crossings of its change from `s`, and
//! conditions its write on a range of stocks with the same prediction: the exact stock `s`
//! when it carries an event (so the event tells the stock after), else the whole range of
//! stocks that raise nothing (so racing writers that raise nothing do not refuse each other).
//! A write whose prediction no longer holds fails its condition; the writer reads and retries.
use crate::store::{Cond, Item, Path};
use serde_json::Value;

/// The item attribute of a book's own threshold (absent or null: the shop's default).
pub(crate) const THRESHOLD: &str = "low_stock_threshold";

/// What a change of stock raises.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Crossing {
    pub low: bool,
    pub back_in_stock: bool,
}

/// A change of stock: the conditions on the stock its write carries and what it raises.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StockMove {
    pub cond: Vec<Cond>,
    pub crossing: Crossing,
}

/// A book's own threshold, as stored on its item.
pub(crate) fn own_threshold(item: &Item) -> Option<u32> {
    item.get(THRESHOLD)
        .and_then(Value::as_u64)
        .and_then(|t| u32::try_from(t).ok())
}

/// Moving the stock by `delta` from `stock` read, with the threshold `threshold`.
pub(crate) fn stock_move(stock: i64, delta: i64, threshold: u32) -> StockMove {
    let t = i64::from(threshold);
    // The stocks at which the change raises each event: (a, b].
    let low = if delta < 0 { (t, t - delta) } else { (0, 0) };
    let back = if delta > 0 { (-delta, 0) } else { (0, 0) };
    let (cond, hit) = partition(stock, &[low, back]);
    StockMove {
        cond,
        crossing: Crossing {
            low: hit[0],
            back_in_stock: hit[1],
        },
    }
}

/// Changing the threshold from `old` to `new` at the stock read: `stock.low` if the stock is
/// above the old one and at or below the new one.
pub(crate) fn threshold_move(stock: i64, old: u32, new: u32) -> StockMove {
    let (cond, hit) = partition(stock, &[(i64::from(old), i64::from(new))]);
    StockMove {
        cond,
        crossing: Crossing {
            low: hit[0],
            back_in_stock: false,
        },
    }
}

/// Which of the `spans` ((a, b]: the stocks at which an event is raised) hold `stock`, and the
/// condition that keeps that answer: the exact stock if any does, else the interval between
/// the spans' nearest ends around `stock`, on which no span starts or ends.
fn partition(stock: i64, spans: &[(i64, i64)]) -> (Vec<Cond>, Vec<bool>) {
    let spans: Vec<(i64, i64)> = spans.to_vec();
    let hit: Vec<bool> = spans
        .iter()
        .map(|&(a, b)| a < stock && stock <= b)
        .collect();
    let stock_path = || Path::attr("stock");
    if hit.iter().any(|h| *h) {
        return (vec![Cond::Eq(stock_path(), stock.into())], hit);
    }
    let ends = spans
        .iter()
        .filter(|(a, b)| a < b)
        .flat_map(|&(a, b)| [a, b]);
    let below = ends.clone().filter(|e| *e < stock).max();
    let above = ends.filter(|e| *e >= stock).min();
    let mut cond = Vec::new();
    if let Some(lo) = below {
        cond.push(Cond::Ge(stock_path(), lo + 1));
    }
    if let Some(hi) = above {
        cond.push(Cond::Le(stock_path(), hi));
    }
    (cond, hit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::expr::holds;
    use serde_json::json;

    fn book(stock: i64) -> Item {
        serde_json::from_value(json!({"pk": "B", "sk": "B", "stock": stock})).expect("item")
    }

    /// For every stock read and every actual stock, a write that succeeds raises exactly what
    /// the actual stock's change raises: no crossing is missed or counted twice.
    #[test]
    fn a_write_that_succeeds_raises_exactly_the_crossings_of_the_actual_stock() {
        for t in [0u32, 1, 5] {
            for delta in [-7i64, -3, -1, 1, 2, 6] {
                for read in 0..15i64 {
                    let m = stock_move(read, delta, t);
                    for actual in 0..15i64 {
                        let applies = m.cond.iter().all(|c| holds(c, Some(&book(actual))));
                        if applies {
                            let truth = stock_move(actual, delta, t).crossing;
                            assert_eq!(m.crossing, truth, "t {t} delta {delta} read {read}");
                        }
                    }
                    assert!(m.cond.iter().all(|c| holds(c, Some(&book(read)))));
                }
            }
        }
    }

    #[test]
    fn crossings_are_those_of_the_definition() {
        assert!(stock_move(6, -1, 5).crossing.low);
        assert!(stock_move(9, -4, 5).crossing.low);
        assert!(stock_move(9, -9, 5).crossing.low);
        assert!(!stock_move(5, -1, 5).crossing.low);
        assert!(!stock_move(10, -4, 5).crossing.low);
        assert!(stock_move(0, 3, 5).crossing.back_in_stock);
        assert!(!stock_move(1, 3, 5).crossing.back_in_stock);
        assert!(!stock_move(4, 3, 5).crossing.low);
        assert!(threshold_move(4, 3, 5).crossing.low);
        assert!(!threshold_move(4, 5, 3).crossing.low);
        assert!(!threshold_move(6, 3, 5).crossing.low);
        let racing = stock_move(20, -1, 5);
        assert_eq!(
            racing.cond,
            vec![Cond::Ge(Path::attr("stock"), 7)],
            "buyers far above the threshold only need to stay above its span"
        );
    }

    #[test]
    fn threshold_changes_pin_exactly_their_crossing() {
        for (old, new) in [(3u32, 5u32), (5, 3), (0, 10), (4, 4)] {
            for read in 0..12i64 {
                let m = threshold_move(read, old, new);
                for actual in 0..12i64 {
                    if m.cond.iter().all(|c| holds(c, Some(&book(actual)))) {
                        assert_eq!(m.crossing, threshold_move(actual, old, new).crossing);
                    }
                }
            }
        }
    }
}
