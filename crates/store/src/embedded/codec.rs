//! The order-preserving key encoding of items and index entries, and the ranges queries scan.
use super::*;

/// A stored item's JSON.
pub(super) fn parse(raw: &[u8]) -> Result<Item, StoreError> {
    serde_json::from_slice(raw).map_err(internal)
}

/// Appends `bytes` escaped: 0x00 becomes 0x00 0xFF, every other byte stays.
pub(super) fn push_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        if b == 0 {
            out.extend_from_slice(&[0, 0xFF]);
        } else {
            out.push(b);
        }
    }
}

/// Appends one component of a composite key: escaped, then terminated by 0x00 0x00. The
/// terminator sorts below any continuation (an escaped 0x00 is 0x00 0xFF, anything else is
/// above 0x00), so a component sorts before every longer one it is a prefix of, and byte order
/// of whole keys is the order of their component tuples. No encoded component is a prefix of
/// another, so the encoding of leading components is a prefix of exactly the keys that have
/// them.
pub(super) fn push_component(out: &mut Vec<u8>, bytes: &[u8]) {
    push_escaped(out, bytes);
    out.extend_from_slice(&[0, 0]);
}

/// The offset just past the first `n` components of an encoded key.
pub(super) fn skip_components(key: &[u8], n: usize) -> Result<usize, StoreError> {
    let mut seen = 0;
    let mut i = 0;
    while seen < n {
        // Only 0x00 is special: 0x00 0xFF is an escaped zero, 0x00 0x00 ends a component.
        let zero = i + key[i..]
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| internal("truncated key"))?;
        match key.get(zero + 1) {
            Some(0) => seen += 1,
            Some(0xFF) => {}
            _ => return Err(internal("bad key escape")),
        }
        i = zero + 2;
    }
    Ok(i)
}

/// Splits an encoded key back into its components.
pub(super) fn split_components(mut key: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    while let Some((&b, rest)) = key.split_first() {
        key = rest;
        if b != 0 {
            cur.push(b);
            continue;
        }
        let (&next, rest) = key
            .split_first()
            .ok_or_else(|| internal("truncated key component"))?;
        key = rest;
        match next {
            0xFF => cur.push(0),
            0 => out.push(std::mem::take(&mut cur)),
            _ => return Err(internal("bad key escape")),
        }
    }
    if !cur.is_empty() {
        return Err(internal("unterminated key component"));
    }
    Ok(out)
}

pub(super) fn item_key(pk: &str, sk: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(pk.len() + sk.len() + 4);
    push_component(&mut out, pk.as_bytes());
    push_component(&mut out, sk.as_bytes());
    out
}

pub(super) fn index_key(name: &str, ipk: &str, isk: &[u8], pk: &str, sk: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len() + ipk.len() + isk.len() + pk.len() + sk.len() + 10);
    push_component(&mut out, name.as_bytes());
    push_component(&mut out, ipk.as_bytes());
    push_component(&mut out, isk);
    push_component(&mut out, pk.as_bytes());
    push_component(&mut out, sk.as_bytes());
    out
}

/// Encodes an index sort key so that byte order is value order: numbers before strings.
pub(super) fn encode_sk(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => {
            let mut out = Vec::with_capacity(s.len() + 1);
            out.push(2);
            out.extend_from_slice(s.as_bytes());
            Some(out)
        }
        Value::Number(n) => {
            let n = n.as_i64()?;
            let mut out = Vec::with_capacity(9);
            out.push(1);
            out.extend_from_slice(&((n as u64) ^ (1 << 63)).to_be_bytes());
            Some(out)
        }
        _ => None,
    }
}

/// The inverse of `encode_sk`.
pub(super) fn decode_sk(bytes: &[u8]) -> Result<Value, StoreError> {
    match bytes.split_first() {
        Some((2, s)) => Ok(Value::String(
            std::str::from_utf8(s).map_err(internal)?.to_owned(),
        )),
        Some((1, n)) => {
            let n: [u8; 8] = n.try_into().map_err(|_| internal("bad number sort key"))?;
            Ok(Value::from((u64::from_be_bytes(n) ^ (1 << 63)) as i64))
        }
        _ => Err(internal("bad sort key")),
    }
}

/// The table key of an encoded item key.
pub(super) fn key_of(encoded: &[u8]) -> Result<Key, StoreError> {
    let parts = split_components(encoded)?;
    let [pk, sk] = parts.as_slice() else {
        return Err(internal("item key without 2 components"));
    };
    key_from(pk, sk)
}

/// A table key from its decoded components.
pub(super) fn key_from(pk: &[u8], sk: &[u8]) -> Result<Key, StoreError> {
    Ok(Key::new(
        std::str::from_utf8(pk).map_err(internal)?,
        std::str::from_utf8(sk).map_err(internal)?,
    ))
}

pub(super) fn index_entries(
    item: &Item,
) -> impl Iterator<Item = (&'static IndexDef, &str, Vec<u8>)> {
    INDEXES.iter().filter_map(move |def| {
        let ipk = item.get(def.pk)?.as_str()?;
        let isk = encode_sk(item.get(def.sk)?)?;
        Some((def, ipk, isk))
    })
}

/// The encoded index keys of `item`, stored under `key`.
pub(super) fn index_keys(item: &Item, key: &Key) -> Vec<Vec<u8>> {
    index_entries(item)
        .map(|(def, ipk, isk)| index_key(def.name, ipk, &isk, &key.pk, &key.sk))
        .collect()
}

pub(super) fn start_str<'a>(start: &'a Item, attr: &str) -> Result<&'a str, StoreError> {
    start
        .get(attr)
        .and_then(Value::as_str)
        .ok_or_else(|| StoreError::InvalidStart(format!("start key lacks `{attr}`")))
}

/// The smallest key above every key that starts with `prefix`.
pub(super) fn prefix_end(prefix: &[u8]) -> Bound<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Bound::Excluded(end);
        }
    }
    Bound::Unbounded
}

pub(super) type Range = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// The keys starting with `prefix`, after (forward) or before (backward) the exclusive start
/// key; `None` if that leaves nothing.
pub(super) fn page_range(prefix: Vec<u8>, start: Option<Vec<u8>>, forward: bool) -> Option<Range> {
    let hi = prefix_end(&prefix);
    let below_hi = |k: &Vec<u8>| match &hi {
        Bound::Excluded(h) => k < h,
        _ => true,
    };
    match start {
        None => Some((Bound::Included(prefix), hi)),
        Some(s) if forward => {
            if s < prefix {
                Some((Bound::Included(prefix), hi))
            } else if below_hi(&s) {
                Some((Bound::Excluded(s), hi))
            } else {
                None
            }
        }
        Some(s) => {
            if s <= prefix {
                None
            } else if below_hi(&s) {
                Some((Bound::Included(prefix), Bound::Excluded(s)))
            } else {
                Some((Bound::Included(prefix), hi))
            }
        }
    }
}
