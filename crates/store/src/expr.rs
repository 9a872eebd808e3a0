//! Evaluates conditions and applies updates to JSON items, for back ends that store items
//! themselves (the embedded store). Semantics follow DynamoDB's.
use super::{Cond, Item, Key, Path, StoreError, WriteOp};
use serde_json::Value;

fn lookup<'a>(item: &'a Item, path: &Path) -> Option<&'a Value> {
    let (first, rest) = path.0.split_first()?;
    let mut v = item.get(first)?;
    for part in rest {
        v = v.as_object()?.get(part)?;
    }
    Some(v)
}

/// Whether `cond` holds for `current` (`None`: the item does not exist).
pub fn holds(cond: &Cond, current: Option<&Item>) -> bool {
    match cond {
        Cond::Exists => current.is_some(),
        Cond::NotExists => current.is_none(),
        Cond::Ge(p, n) => num(current, p).is_some_and(|v| v >= *n),
        Cond::Le(p, n) => num(current, p).is_some_and(|v| v <= *n),
        Cond::Eq(p, want) => current
            .and_then(|i| lookup(i, p))
            .is_some_and(|v| v == want),
        Cond::And(all) => all.iter().all(|c| holds(c, current)),
        Cond::Or(any) => any.iter().any(|c| holds(c, current)),
    }
}

fn num(item: Option<&Item>, path: &Path) -> Option<i64> {
    lookup(item?, path)?.as_i64()
}

fn slot<'a>(item: &'a mut Item, path: &Path) -> Result<&'a mut Value, StoreError> {
    let (last, parents) = path
        .0
        .split_last()
        .ok_or_else(|| StoreError::Invalid("empty attribute path".into()))?;
    let mut map = item;
    for part in parents {
        map = map
            .get_mut(part)
            .and_then(Value::as_object_mut)
            .ok_or_else(|| StoreError::Invalid(format!("no map attribute `{part}`")))?;
    }
    Ok(map.entry(last.clone()).or_insert(Value::Null))
}

/// The item after `op`, given the item before it. `Ok(None)` means deleted (or untouched
/// for a check, which the caller does not write).
pub fn apply(op: &WriteOp, current: Option<Item>) -> Result<Option<Item>, StoreError> {
    match op {
        WriteOp::Put { item, .. } => Ok(Some(item.clone())),
        WriteOp::Delete { .. } => Ok(None),
        WriteOp::Check { .. } => Ok(current),
        WriteOp::Update { key, set, add, .. } => {
            let mut item = current.unwrap_or_else(|| key_item(key));
            for (path, value) in set {
                *slot(&mut item, path)? = value.clone();
            }
            for (path, delta) in add {
                let v = slot(&mut item, path)?;
                let old = match &*v {
                    Value::Null => 0,
                    other => other.as_i64().ok_or_else(|| {
                        StoreError::Invalid(format!("ADD on a non-number at {path:?}"))
                    })?,
                };
                let new = old
                    .checked_add(*delta)
                    .ok_or_else(|| StoreError::Invalid("number overflow".into()))?;
                *v = Value::from(new);
            }
            Ok(Some(item))
        }
    }
}

pub fn key_item(key: &Key) -> Item {
    let mut item = Item::new();
    item.insert("pk".into(), Value::String(key.pk.clone()));
    item.insert("sk".into(), Value::String(key.sk.clone()));
    item
}

pub fn cond_of(op: &WriteOp) -> Option<&Cond> {
    match op {
        WriteOp::Put { cond, .. } | WriteOp::Update { cond, .. } | WriteOp::Delete { cond, .. } => {
            cond.as_ref()
        }
        WriteOp::Check { cond, .. } => Some(cond),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(v: Value) -> Item {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn conditions_follow_dynamodb() {
        let i = item(json!({"pk": "a", "sk": "b", "stock": 3, "m": {"x": 1}}));
        assert!(holds(&Cond::Ge(Path::attr("stock"), 3), Some(&i)));
        assert!(!holds(&Cond::Ge(Path::attr("stock"), 4), Some(&i)));
        assert!(holds(&Cond::Le(Path::nested("m", "x"), 1), Some(&i)));
        assert!(!holds(&Cond::Ge(Path::attr("missing"), 0), Some(&i)));
        assert!(!holds(&Cond::Exists, None));
        assert!(holds(&Cond::NotExists, None));
        assert!(!holds(&Cond::Eq(Path::attr("stock"), json!(3)), None));
    }

    #[test]
    fn updates_upsert_and_add() {
        let op = WriteOp::Update {
            key: Key::new("a", "b"),
            set: vec![(Path::attr("m"), json!({}))],
            add: vec![(Path::attr("n"), 2), (Path::nested("m", "x"), 5)],
            cond: None,
        };
        let out = apply(&op, None).unwrap().unwrap();
        assert_eq!(
            Value::Object(out),
            json!({"pk": "a", "sk": "b", "n": 2, "m": {"x": 5}})
        );
    }
}
