//! The storage interface on DynamoDB: single writes, transactions, reads and queries.
use super::DynamoStore;
use super::convert::{Expr, from_attrs, key_attrs, to_attrs, to_av, transact_item};
use super::errors::{invalid, query_error, read_error, too_large_reason, write_error};
use super::table::numeric_key;
use crate::keys::{IndexDef, index};
use crate::{
    Item, Key, MAX_PK_BYTES, MAX_SK_BYTES, Query, QueryPage, Store, StoreError, WriteOp,
    check_query, check_transaction, last_key,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

/// Retries of a transaction that DynamoDB cancelled for a conflict with a concurrent one.
const CONFLICT_RETRIES: u32 = 8;

impl DynamoStore {
    /// One operation without a transaction: half the write cost, same conditions.
    async fn single(&self, op: &WriteOp) -> Result<(), StoreError> {
        let mut e = Expr::default();
        match op {
            WriteOp::Put { item, cond } => {
                let c = cond.as_ref().map(|c| e.cond(c)).transpose()?;
                self.client
                    .put_item()
                    .table_name(&self.table)
                    .set_item(Some(to_attrs(item)?))
                    .set_condition_expression(c)
                    .set_expression_attribute_names(e.names())
                    .set_expression_attribute_values(e.values())
                    .send()
                    .await
                    .map(drop)
                    .map_err(write_error)
            }
            WriteOp::Update {
                key,
                set,
                add,
                cond,
            } => {
                let u = e.update(set, add)?;
                let c = cond.as_ref().map(|c| e.cond(c)).transpose()?;
                self.client
                    .update_item()
                    .table_name(&self.table)
                    .set_key(Some(key_attrs(key)))
                    .update_expression(u)
                    .set_condition_expression(c)
                    .set_expression_attribute_names(e.names())
                    .set_expression_attribute_values(e.values())
                    .send()
                    .await
                    .map(drop)
                    .map_err(write_error)
            }
            WriteOp::Delete { key, cond } => {
                let c = cond.as_ref().map(|c| e.cond(c)).transpose()?;
                self.client
                    .delete_item()
                    .table_name(&self.table)
                    .set_key(Some(key_attrs(key)))
                    .set_condition_expression(c)
                    .set_expression_attribute_names(e.names())
                    .set_expression_attribute_values(e.values())
                    .send()
                    .await
                    .map(drop)
                    .map_err(write_error)
            }
            WriteOp::Check { .. } => self.transaction(std::slice::from_ref(op)).await,
        }
    }

    async fn transaction(&self, ops: &[WriteOp]) -> Result<(), StoreError> {
        let items = ops
            .iter()
            .map(|op| transact_item(&self.table, op))
            .collect::<Result<Vec<_>, _>>()?;
        let mut backoff = Duration::from_millis(5);
        for attempt in 0..=CONFLICT_RETRIES {
            let res = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let err = match res {
                Ok(_) => return Ok(()),
                Err(e) => e,
            };
            // Cancelled: DynamoDB answered, and applied nothing. Any other failure may hide an
            // applied attempt (see `write_error`).
            let SdkError::ServiceError(se) = &err else {
                return Err(write_error(err));
            };
            let aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(tc) = se.err() else {
                return Err(write_error(err));
            };
            let reasons = tc.cancellation_reasons();
            let failed: Vec<usize> = reasons
                .iter()
                .enumerate()
                .filter(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
                .map(|(i, _)| i)
                .collect();
            if !failed.is_empty() {
                return Err(StoreError::ConditionFailed(failed));
            }
            let conflict = reasons
                .iter()
                .any(|r| r.code() == Some("TransactionConflict"));
            let throttled = reasons.iter().any(|r| {
                matches!(
                    r.code(),
                    Some("ThrottlingError" | "ProvisionedThroughputExceeded")
                )
            });
            if (conflict || throttled) && attempt < CONFLICT_RETRIES {
                // Another transaction held one of these items: back off with jitter and retry.
                let jitter = u64::from(uuid::Uuid::new_v4().as_bytes()[0])
                    % (backoff.as_millis() as u64 + 1);
                tokio::time::sleep(backoff + Duration::from_millis(jitter)).await;
                backoff = (backoff * 2).min(Duration::from_millis(200));
                continue;
            }
            if conflict || throttled {
                return Err(StoreError::Unavailable(
                    "transaction conflicts persisted".into(),
                ));
            }
            if reasons
                .iter()
                .any(|r| too_large_reason(r.code(), r.message()))
            {
                return Err(StoreError::TooLarge(format!(
                    "transaction cancelled: {reasons:?}"
                )));
            }
            return Err(StoreError::Internal(format!(
                "transaction cancelled: {reasons:?}"
            )));
        }
        Err(StoreError::Unavailable(
            "transaction conflicts persisted".into(),
        ))
    }

    /// The current items behind index keys (indexes project keys only), in index order.
    /// An item deleted since the index was read is left out.
    async fn hydrate(&self, keys: &[Item]) -> Result<Vec<Item>, StoreError> {
        let keys: Vec<Key> = keys.iter().filter_map(Key::of).collect();
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(100) {
            out.extend(self.batch_get(chunk).await?.into_iter().flatten());
        }
        Ok(out)
    }

    /// The start key in DynamoDB's form, checked against the query it continues: the key
    /// attributes of the table (and index), of their types and sizes, in the query's partition
    /// and within its sort key prefix (DynamoDB refuses any other).
    fn start_key(
        q: &Query,
        def: Option<&IndexDef>,
    ) -> Result<Option<HashMap<String, AttributeValue>>, StoreError> {
        let Some(start) = &q.start else {
            return Ok(None);
        };
        let bad = |why: String| Err(StoreError::InvalidStart(why));
        let mut names = vec![("pk", MAX_PK_BYTES), ("sk", MAX_SK_BYTES)];
        if let Some(d) = def {
            names.extend([(d.pk, MAX_PK_BYTES), (d.sk, MAX_SK_BYTES)]);
        }
        let mut out = HashMap::new();
        for (n, max) in names {
            let ok = match start.get(n) {
                Some(Value::String(s)) => !numeric_key(n) && s.len() <= max,
                Some(Value::Number(v)) => numeric_key(n) && v.is_i64(),
                _ => false,
            };
            if !ok {
                return bad(format!("start key lacks a valid `{n}`"));
            }
            out.insert(n.to_owned(), to_av(&start[n])?);
        }
        let partition = def.map_or("pk", |d| d.pk);
        if start.get(partition).and_then(Value::as_str) != Some(q.pk.as_str()) {
            return bad("start key of another partition".into());
        }
        if start.len() != out.len() {
            return bad("start key has extra attributes".into());
        }
        if let Some(prefix) = &q.sk_prefix {
            let sk_attr = def.map_or("sk", |d| d.sk);
            if !start[sk_attr]
                .as_str()
                .is_some_and(|s| s.starts_with(prefix))
            {
                return bad("start key outside the sort key prefix".into());
            }
        }
        Ok(Some(out))
    }
}

#[async_trait]
impl Store for DynamoStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_attrs(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(read_error)?;
        out.item.map(from_attrs).transpose()
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        if keys.len() > 100 {
            return Err(StoreError::Invalid(
                "batch_get takes at most 100 keys".into(),
            ));
        }
        let mut found: HashMap<Key, Item> = HashMap::with_capacity(keys.len());
        let mut unique: Vec<&Key> = keys.iter().collect();
        unique.sort();
        unique.dedup();
        let mut pending: Vec<HashMap<String, AttributeValue>> =
            unique.into_iter().map(key_attrs).collect();
        let mut backoff = Duration::from_millis(5);
        while !pending.is_empty() {
            let ka = KeysAndAttributes::builder()
                .set_keys(Some(pending))
                .consistent_read(true)
                .build()
                .map_err(invalid)?;
            let mut out = self
                .client
                .batch_get_item()
                .request_items(&self.table, ka)
                .send()
                .await
                .map_err(read_error)?;
            for attrs in out
                .responses
                .as_mut()
                .and_then(|r| r.remove(&self.table))
                .into_iter()
                .flatten()
            {
                let item = from_attrs(attrs)?;
                if let Some(k) = Key::of(&item) {
                    found.insert(k, item);
                }
            }
            pending = out
                .unprocessed_keys()
                .and_then(|u| u.get(&self.table))
                .map(|k| k.keys().to_vec())
                .unwrap_or_default();
            if !pending.is_empty() {
                // Unprocessed keys mean throttling: back off before asking again.
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_millis(500));
            }
        }
        Ok(keys.iter().map(|k| found.get(k).cloned()).collect())
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        check_transaction(&ops)?;
        if ops.len() == 1 {
            self.single(&ops[0]).await
        } else {
            self.transaction(&ops).await
        }
    }

    async fn query(&self, q: &Query) -> Result<QueryPage, StoreError> {
        check_query(q)?;
        let def = match q.index {
            Some(name) => {
                Some(index(name).ok_or_else(|| StoreError::Invalid(format!("no index {name}")))?)
            }
            None => None,
        };
        let (pk_attr, sk_attr) = def.map_or(("pk", "sk"), |d| (d.pk, d.sk));
        let limit = q.limit.max(1);
        let mut e = Expr::default();
        let mut cond = format!(
            "{} = {}",
            e.name(pk_attr),
            e.value(AttributeValue::S(q.pk.clone()))
        );
        if let Some(prefix) = &q.sk_prefix {
            cond = format!(
                "{cond} AND begins_with({}, {})",
                e.name(sk_attr),
                e.value(AttributeValue::S(prefix.clone()))
            );
        }
        let mut start = Self::start_key(q, def)?;
        let mut items = Vec::new();
        // Ask for one item more than the page, so that the last page carries no cursor; keep
        // going when DynamoDB stops early at its 1 MB response limit.
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(q.index.map(str::to_owned))
                .key_condition_expression(&cond)
                .set_expression_attribute_names(e.names())
                .set_expression_attribute_values(e.values())
                .scan_index_forward(q.forward)
                .limit(i32::try_from(limit + 1 - items.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start)
                .consistent_read(def.is_none())
                .send()
                .await
                .map_err(|e| query_error(e, q.start.is_some()))?;
            start = out.last_evaluated_key;
            for attrs in out.items.into_iter().flatten() {
                items.push(from_attrs(attrs)?);
            }
            if items.len() > limit || start.is_none() {
                break;
            }
        }
        let more = items.len() > limit;
        items.truncate(limit);
        let last_key = if more {
            items.last().map(|i| last_key(i, def))
        } else {
            None
        };
        if let Some(d) = def {
            items = self.hydrate(&items).await?;
            // An item whose partition in the index changed between the index read and the
            // table read (an order returned while listing orders by status, a book moved to
            // another genre) is no longer in this listing: left out, as an embedded store's
            // snapshot would. `last_key` is the index row's, so paging goes on past it.
            items.retain(|i| i.get(d.pk).and_then(Value::as_str) == Some(q.pk.as_str()));
        }
        Ok(QueryPage { items, last_key })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .map_err(read_error)?;
        Ok(())
    }
}
