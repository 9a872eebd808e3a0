//! DynamoDB's side of items and expressions: JSON values to attribute values and back, and the
//! condition and update expressions of the store's write operations.
use super::errors::invalid;
use crate::{Cond, Item, Key, Path, StoreError, WriteOp};
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update,
};
use serde_json::Value;
use std::collections::HashMap;

// serde_dynamo converts every attribute type both ways: JSON has no binary, so a binary
// attribute (written by something else) is an error rather than a silent null.
pub(super) fn to_av(v: &Value) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(v).map_err(|e| invalid(format!("not storable: {e}")))
}

pub(super) fn to_attrs(item: &Item) -> Result<HashMap<String, AttributeValue>, StoreError> {
    serde_dynamo::to_item(item).map_err(|e| invalid(format!("not storable: {e}")))
}

/// An item as read, taken from the SDK's answer (serde_dynamo moves its strings into the JSON).
pub(super) fn from_attrs(attrs: HashMap<String, AttributeValue>) -> Result<Item, StoreError> {
    serde_dynamo::from_item(attrs)
        .map_err(|e| StoreError::Internal(format!("an item read is not JSON: {e}")))
}

pub(super) fn key_attrs(key: &Key) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(key.pk.clone())),
        ("sk".to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

/// Collects placeholder names and values while an expression is written.
#[derive(Default)]
pub(super) struct Expr {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expr {
    pub(super) fn name(&mut self, n: &str) -> String {
        if let Some((k, _)) = self.names.iter().find(|(_, v)| v.as_str() == n) {
            return k.clone();
        }
        let k = format!("#n{}", self.names.len());
        self.names.insert(k.clone(), n.to_owned());
        k
    }

    pub(super) fn path(&mut self, p: &Path) -> String {
        p.0.iter()
            .map(|part| self.name(part))
            .collect::<Vec<_>>()
            .join(".")
    }

    pub(super) fn value(&mut self, v: AttributeValue) -> String {
        let k = format!(":v{}", self.values.len());
        self.values.insert(k.clone(), v);
        k
    }

    pub(super) fn cond(&mut self, c: &Cond) -> Result<String, StoreError> {
        Ok(match c {
            Cond::Exists => format!("attribute_exists({})", self.name("pk")),
            Cond::NotExists => format!("attribute_not_exists({})", self.name("pk")),
            Cond::Ge(p, n) => {
                let p = self.path(p);
                format!("{p} >= {}", self.value(AttributeValue::N(n.to_string())))
            }
            Cond::Le(p, n) => {
                let p = self.path(p);
                format!("{p} <= {}", self.value(AttributeValue::N(n.to_string())))
            }
            Cond::Eq(p, v) => {
                let p = self.path(p);
                format!("{p} = {}", self.value(to_av(v)?))
            }
            Cond::And(all) if all.is_empty() => format!(
                "attribute_exists({}) OR attribute_not_exists({})",
                self.name("pk"),
                self.name("pk")
            ),
            Cond::And(all) => all
                .iter()
                .map(|c| Ok(format!("({})", self.cond(c)?)))
                .collect::<Result<Vec<_>, StoreError>>()?
                .join(" AND "),
            Cond::Or(any) if any.is_empty() => format!(
                "attribute_exists({}) AND attribute_not_exists({})",
                self.name("pk"),
                self.name("pk")
            ),
            Cond::Or(any) => any
                .iter()
                .map(|c| Ok(format!("({})", self.cond(c)?)))
                .collect::<Result<Vec<_>, StoreError>>()?
                .join(" OR "),
        })
    }

    pub(super) fn update(
        &mut self,
        set: &[(Path, Value)],
        add: &[(Path, i64)],
    ) -> Result<String, StoreError> {
        let mut parts = Vec::new();
        for (p, v) in set {
            let p = self.path(p);
            let v = self.value(to_av(v)?);
            parts.push(format!("{p} = {v}"));
        }
        let zero = if add.is_empty() {
            String::new()
        } else {
            self.value(AttributeValue::N("0".into()))
        };
        for (p, d) in add {
            let p = self.path(p);
            let d = self.value(AttributeValue::N(d.to_string()));
            parts.push(format!("{p} = if_not_exists({p}, {zero}) + {d}"));
        }
        if parts.is_empty() {
            // An update that only creates the item if missing: touch the key.
            let pk = self.name("pk");
            return Ok(format!("SET {pk} = {pk}"));
        }
        Ok(format!("SET {}", parts.join(", ")))
    }

    pub(super) fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    pub(super) fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

pub(super) fn transact_item(table: &str, op: &WriteOp) -> Result<TransactWriteItem, StoreError> {
    let mut e = Expr::default();
    let item = match op {
        WriteOp::Put { item, cond } => {
            let c = cond.as_ref().map(|c| e.cond(c)).transpose()?;
            TransactWriteItem::builder().put(
                Put::builder()
                    .table_name(table)
                    .set_item(Some(to_attrs(item)?))
                    .set_condition_expression(c)
                    .set_expression_attribute_names(e.names())
                    .set_expression_attribute_values(e.values())
                    .build()
                    .map_err(invalid)?,
            )
        }
        WriteOp::Update {
            key,
            set,
            add,
            cond,
        } => {
            let u = e.update(set, add)?;
            let c = cond.as_ref().map(|c| e.cond(c)).transpose()?;
            TransactWriteItem::builder().update(
                Update::builder()
                    .table_name(table)
                    .set_key(Some(key_attrs(key)))
                    .update_expression(u)
                    .set_condition_expression(c)
                    .set_expression_attribute_names(e.names())
                    .set_expression_attribute_values(e.values())
                    .build()
                    .map_err(invalid)?,
            )
        }
        WriteOp::Delete { key, cond } => {
            let c = cond.as_ref().map(|c| e.cond(c)).transpose()?;
            TransactWriteItem::builder().delete(
                Delete::builder()
                    .table_name(table)
                    .set_key(Some(key_attrs(key)))
                    .set_condition_expression(c)
                    .set_expression_attribute_names(e.names())
                    .set_expression_attribute_values(e.values())
                    .build()
                    .map_err(invalid)?,
            )
        }
        WriteOp::Check { key, cond } => {
            let c = e.cond(cond)?;
            TransactWriteItem::builder().condition_check(
                ConditionCheck::builder()
                    .table_name(table)
                    .set_key(Some(key_attrs(key)))
                    .condition_expression(c)
                    .set_expression_attribute_names(e.names())
                    .set_expression_attribute_values(e.values())
                    .build()
                    .map_err(invalid)?,
            )
        }
    };
    Ok(item.build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::primitives::Blob;
    use serde_json::json;

    #[test]
    fn every_json_value_round_trips() {
        let item: Item = json!({
            "pk": "BOOK#1", "sk": "BOOK", "n": -42, "big": 9_007_199_254_740_993_i64,
            "f": 1.5, "t": true, "none": null, "empty": "", "list": [1, "a", [], {}],
            "map": {"nested": {"deep": [null, false]}}
        })
        .as_object()
        .cloned()
        .unwrap_or_default();
        let attrs = to_attrs(&item).expect("storable");
        assert_eq!(attrs["n"], AttributeValue::N("-42".into()));
        assert_eq!(attrs["none"], AttributeValue::Null(true));
        assert_eq!(from_attrs(attrs).expect("readable"), item);
    }

    /// Sets read as arrays; binary, which JSON cannot hold, is an error, never a silent null.
    #[test]
    fn sets_are_arrays_and_binary_is_refused() {
        let attrs = HashMap::from([
            (
                "ns".to_owned(),
                AttributeValue::Ns(vec!["1".into(), "2.5".into()]),
            ),
            ("ss".to_owned(), AttributeValue::Ss(vec!["a".into()])),
        ]);
        assert_eq!(
            Value::Object(from_attrs(attrs).expect("readable")),
            json!({"ns": [1, 2.5], "ss": ["a"]})
        );
        for binary in [
            AttributeValue::B(Blob::new(vec![0, 1])),
            AttributeValue::Bs(vec![Blob::new(vec![2])]),
        ] {
            let attrs = HashMap::from([("b".to_owned(), binary)]);
            assert!(matches!(from_attrs(attrs), Err(StoreError::Internal(_))));
        }
    }
}
