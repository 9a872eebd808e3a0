//! The storage interface, shaped after DynamoDB's data model so that the embedded store and
//! DynamoDB implement it the same way:
//!
//! - an item is a JSON object with a string partition key `pk` and sort key `sk`;
//! - writes are all-or-nothing transactions of at most [`MAX_TRANSACTION_ITEMS`] operations, each
//!   with an optional condition on the item's current state (`TransactWriteItems`);
//! - updates are upserts that set attributes or add to numbers (`UpdateItem`);
//! - reads are by key, or a query on one partition of the table or of a global secondary index,
//!   in key order either way, paginated by an exclusive start key (`Query` + `LastEvaluatedKey`).
//!
//! There is no scan: every read names its partition.

pub mod dynamo;
pub mod embedded;
pub mod expr;
pub mod keys;
mod raw;

use async_trait::async_trait;
use serde_json::{Map, Value};

/// A stored item: a JSON object holding at least the `pk` and `sk` attributes.
pub type Item = Map<String, Value>;

pub use raw::RawItem;

/// DynamoDB's limit on the number of items in one transaction.
pub const MAX_TRANSACTION_ITEMS: usize = 100;

/// DynamoDB's limits on key attributes, in UTF-8 bytes: a partition key (of the table or an
/// index), and a sort key. Every back end refuses larger keys alike ([`StoreError::TooLarge`]).
pub const MAX_PK_BYTES: usize = 2048;
pub const MAX_SK_BYTES: usize = 1024;

/// The primary key of an item.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }

    /// The key of a stored item, if it has one.
    pub fn of(item: &Item) -> Option<Self> {
        Some(Self::new(
            item.get("pk")?.as_str()?,
            item.get("sk")?.as_str()?,
        ))
    }
}

/// The path of an attribute: a top-level name, or a name inside a map attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path(pub Vec<String>);

impl Path {
    pub fn attr(name: &str) -> Self {
        Self(vec![name.to_owned()])
    }

    pub fn nested(map: &str, key: &str) -> Self {
        Self(vec![map.to_owned(), key.to_owned()])
    }
}

/// A condition on an item's state before a write (`ConditionExpression`).
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// The item exists.
    Exists,
    /// The item does not exist.
    NotExists,
    /// The number at the path is at least the value.
    Ge(Path, i64),
    /// The number at the path is at most the value.
    Le(Path, i64),
    /// The attribute at the path equals the value.
    Eq(Path, Value),
    /// Every condition holds.
    And(Vec<Cond>),
    /// At least one condition holds (none: never), e.g. a counter that is missing or below a
    /// bound.
    Or(Vec<Cond>),
}

/// One operation of a transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOp {
    /// Writes the whole item (which carries its key).
    Put {
        item: Item,
        cond: Option<Cond>,
    },
    /// Creates the item if missing, then sets attributes and adds to numbers (a missing number
    /// counts as 0). Map attributes named in `set` or `add` paths must exist or be set here.
    Update {
        key: Key,
        set: Vec<(Path, Value)>,
        add: Vec<(Path, i64)>,
        cond: Option<Cond>,
    },
    Delete {
        key: Key,
        cond: Option<Cond>,
    },
    /// Writes nothing; the transaction fails unless the condition holds.
    Check {
        key: Key,
        cond: Cond,
    },
}

impl WriteOp {
    pub fn key(&self) -> Option<Key> {
        match self {
            Self::Put { item, .. } => Key::of(item),
            Self::Update { key, .. } | Self::Delete { key, .. } | Self::Check { key, .. } => {
                Some(key.clone())
            }
        }
    }
}

/// A read of one partition, in sort-key order.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// `None` queries the table; otherwise one of [`keys::INDEXES`] by name.
    pub index: Option<&'static str>,
    /// The partition: the value of the table's or the index's partition-key attribute.
    pub pk: String,
    /// Only items whose (table) sort key starts with this.
    pub sk_prefix: Option<String>,
    /// Ascending sort-key order if true.
    pub forward: bool,
    pub limit: usize,
    /// The `last_key` of the previous page.
    pub start: Option<Item>,
}

/// A page of a query: the items and, if there may be more, where to continue.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueryPage {
    pub items: Vec<Item>,
    /// The key attributes of the last item (table key plus index key), as DynamoDB's
    /// `LastEvaluatedKey`; `None` when the partition is exhausted.
    pub last_key: Option<Item>,
}

/// A [`QueryPage`] whose items are JSON text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawPage {
    pub items: Vec<RawItem>,
    pub last_key: Option<Item>,
}

fn to_raw(item: &Item) -> Result<RawItem, StoreError> {
    serde_json::to_vec(item)
        .map(RawItem::from)
        .map_err(|e| StoreError::Internal(e.to_string()))
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A condition did not hold; nothing was written. Holds the indexes of the failed
    /// operations within the transaction.
    #[error("condition failed on operations {0:?}")]
    ConditionFailed(Vec<usize>),
    /// The request itself is malformed (too many items, two operations on one item). A bug,
    /// never a transient problem.
    #[error("invalid store request: {0}")]
    Invalid(String),
    /// A query's start key does not continue that query (wrong partition, missing or mistyped
    /// key attributes). Start keys come from clients' cursors: this is the client's error.
    #[error("invalid start key: {0}")]
    InvalidStart(String),
    /// A value is beyond what the store can hold (a key over DynamoDB's size limits, an item
    /// over 400 KB). Caused by the request's input, not by the store's state.
    #[error("value beyond the store's limits: {0}")]
    TooLarge(String),
    /// The store is unreachable or overloaded; nothing was written, and the caller may retry
    /// later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A write was sent but not confirmed (a timeout, a lost connection): it may or may not have
    /// been applied. Only writes return this; readers find out by reading back.
    #[error("write outcome unknown: {0}")]
    Unknown(String),
    #[error("store failure: {0}")]
    Internal(String),
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;
    /// Reads up to 100 items; the answer is in the order of `keys`.
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError>;
    /// Applies every operation or none. Durable once it returns `Ok`.
    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError>;
    async fn query(&self, query: &Query) -> Result<QueryPage, StoreError>;
    /// Checks that the store answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// [`get`](Store::get), as JSON text. Back ends that keep items as JSON override the
    /// `*_raw` reads to hand out the stored bytes.
    async fn get_raw(&self, key: &Key) -> Result<Option<RawItem>, StoreError> {
        self.get(key).await?.as_ref().map(to_raw).transpose()
    }

    /// [`batch_get`](Store::batch_get), as JSON text.
    async fn batch_get_raw(&self, keys: &[Key]) -> Result<Vec<Option<RawItem>>, StoreError> {
        self.batch_get(keys)
            .await?
            .iter()
            .map(|i| i.as_ref().map(to_raw).transpose())
            .collect()
    }

    /// [`query`](Store::query), as JSON text.
    async fn query_raw(&self, query: &Query) -> Result<RawPage, StoreError> {
        let page = self.query(query).await?;
        Ok(RawPage {
            items: page.items.iter().map(to_raw).collect::<Result<_, _>>()?,
            last_key: page.last_key,
        })
    }
}

/// Checks the rules every back end enforces alike.
pub(crate) fn check_transaction(ops: &[WriteOp]) -> Result<(), StoreError> {
    if ops.is_empty() || ops.len() > MAX_TRANSACTION_ITEMS {
        return Err(StoreError::Invalid(format!(
            "a transaction has 1 to {MAX_TRANSACTION_ITEMS} operations, not {}",
            ops.len()
        )));
    }
    let mut seen = std::collections::HashSet::with_capacity(ops.len());
    for op in ops {
        let key = op
            .key()
            .ok_or_else(|| StoreError::Invalid("item without pk/sk".into()))?;
        check_key_sizes(&key.pk, &key.sk)?;
        match op {
            WriteOp::Put { item, .. } => check_index_keys(item.iter())?,
            WriteOp::Update { set, .. } => check_index_keys(
                set.iter()
                    .filter(|(p, _)| p.0.len() == 1)
                    .map(|(p, v)| (&p.0[0], v)),
            )?,
            WriteOp::Delete { .. } | WriteOp::Check { .. } => {}
        }
        if !seen.insert(key) {
            return Err(StoreError::Invalid("two operations on one item".into()));
        }
    }
    Ok(())
}

/// Checks a query's partition and sort key prefix against the key size limits.
pub(crate) fn check_query(q: &Query) -> Result<(), StoreError> {
    check_key_sizes(&q.pk, q.sk_prefix.as_deref().unwrap_or(""))
}

fn check_key_sizes(pk: &str, sk: &str) -> Result<(), StoreError> {
    if pk.len() > MAX_PK_BYTES || sk.len() > MAX_SK_BYTES {
        return Err(StoreError::TooLarge(format!(
            "a key of {} + {} bytes (at most {MAX_PK_BYTES} + {MAX_SK_BYTES})",
            pk.len(),
            sk.len()
        )));
    }
    Ok(())
}

/// Checks the index key attributes among `attrs` (names and values written to an item).
fn check_index_keys<'a>(
    attrs: impl Iterator<Item = (&'a String, &'a Value)>,
) -> Result<(), StoreError> {
    for (name, value) in attrs {
        let Value::String(s) = value else { continue };
        for def in keys::INDEXES {
            let max = if name == def.pk {
                MAX_PK_BYTES
            } else if name == def.sk {
                MAX_SK_BYTES
            } else {
                continue;
            };
            if s.len() > max {
                return Err(StoreError::TooLarge(format!(
                    "index key `{name}` of {} bytes (at most {max})",
                    s.len()
                )));
            }
        }
    }
    Ok(())
}

/// The key attributes DynamoDB returns as `LastEvaluatedKey` for `item`: the table key, plus the
/// index key when querying an index.
pub fn last_key(item: &Item, def: Option<&keys::IndexDef>) -> Item {
    let mut key = Item::new();
    let mut names = vec!["pk", "sk"];
    if let Some(def) = def {
        names.extend([def.pk, def.sk]);
    }
    for name in names {
        if let Some(v) = item.get(name) {
            key.insert(name.to_owned(), v.clone());
        }
    }
    key
}
