//! DynamoDB's time to live on the embedded store: an item whose top-level `ttl` (epoch seconds)
//! has passed is removed when fjall next compacts the table holding it, as DynamoDB removes
//! such items some time after they expire. Without it, idempotency keys, spent links, fences
//! and per-minute operations figures would stay on disk for ever.
//!
//! Like DynamoDB, removal is lazy: until then an expired item still reads, so the shop's code
//! compares `ttl` with the clock wherever expiry matters (checkout's idempotency keys, links).
//! Items that carry an index attribute are kept: their index entries live in the other
//! keyspace, which a compaction of this one cannot touch (no such item has a `ttl` today).
use crate::keys::INDEXES;
use fjall::compaction::filter::{
    CompactionFilter, CompactionFilterResult, Context, Factory, ItemAccessor, Verdict,
};
use memchr::memmem::Finder;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use std::fmt;
use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// Hands each compaction of the `items` keyspace a filter that knows the time it started.
pub(super) struct Expiry;

impl Factory for Expiry {
    fn name(&self) -> &str {
        "ttl"
    }

    fn make_filter(&self, _: &Context) -> Box<dyn CompactionFilter> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        Box::new(ExpiryFilter { now })
    }
}

struct ExpiryFilter {
    now: i64,
}

impl CompactionFilter for ExpiryFilter {
    fn filter_item(&mut self, item: ItemAccessor<'_>, _: &Context) -> CompactionFilterResult {
        // A tombstone, not a silent drop: an older version of the item in a lower level must
        // not come back.
        Ok(if expired(&item.value()?, self.now) {
            Verdict::Remove
        } else {
            Verdict::Keep
        })
    }
}

/// Whether the stored item `raw` (its JSON) has a `ttl` before `now` and no index attribute.
/// Every record of the keyspace passes here at every compaction: most name no `ttl` and are
/// passed over by a vectorised search; the rest are read for two facts, their other values
/// skipped unparsed.
pub fn expired(raw: &[u8], now: i64) -> bool {
    static TTL: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"ttl\""));
    if TTL.find(raw).is_none() {
        return false;
    }
    serde_json::from_slice::<Probe>(raw).is_ok_and(|p| !p.indexed && p.ttl.is_some_and(|t| t < now))
}

/// What the filter needs of an item: its `ttl` (epoch seconds, if an integer) and whether it
/// carries an index attribute.
struct Probe {
    ttl: Option<i64>,
    indexed: bool,
}

impl<'de> Deserialize<'de> for Probe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ProbeVisitor)
    }
}

struct ProbeVisitor;

impl<'de> Visitor<'de> for ProbeVisitor {
    type Value = Probe;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a stored item (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Probe, A::Error> {
        let mut probe = Probe {
            ttl: None,
            indexed: false,
        };
        while let Some(name) = map.next_key::<Name>()? {
            match name {
                Name::Ttl => probe.ttl = map.next_value::<Value>()?.as_i64(),
                Name::Index => {
                    probe.indexed = true;
                    map.next_value::<IgnoredAny>()?;
                }
                Name::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(probe)
    }
}

/// An attribute's name, classified without keeping it.
enum Name {
    Ttl,
    Index,
    Other,
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Name;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an attribute name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Name, E> {
                Ok(if name == "ttl" {
                    Name::Ttl
                } else if INDEXES.iter().any(|i| i.pk == name) {
                    Name::Index
                } else {
                    Name::Other
                })
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::expired;

    #[test]
    fn only_a_top_level_integer_ttl_in_the_past_without_an_index_attribute_expires() {
        let now = 1_000;
        assert!(expired(br#"{"pk":"IDEM#u#k","ttl":999}"#, now));
        assert!(
            !expired(br#"{"pk":"IDEM#u#k","ttl":1000}"#, now),
            "due now: kept"
        );
        // Named elsewhere than at the top level: not the item's ttl.
        let nested = br#"{"a":{"ttl":1},"s":"\"ttl\": 1","l":[{"ttl":1}]}"#;
        assert!(!expired(nested, now));
        let after_nested = br#"{"a":{"ttl":1,"b":[1,{"c":null}]},"s":"x\"y","ttl":5}"#;
        assert!(expired(after_nested, now));
        assert!(!expired(br#"{"ttl":5,"order_user":"u"}"#, now), "indexed");
        assert!(!expired(br#"{"order_user":"u","ttl":5}"#, now), "indexed");
        assert!(!expired(br#"{"ttl":5.5}"#, now), "not an integer");
        assert!(!expired(br#"["ttl",5]"#, now), "not an item");
        assert!(!expired(br#"{"ttl":5"#, now), "not JSON");
    }
}
