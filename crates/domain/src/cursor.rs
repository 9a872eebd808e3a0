//! Opaque, tamper-proof pagination cursors: the store's start key (or an offset), bound to the
//! listing it came from, encoded as base64url JSON and signed with HMAC-SHA256. An edited or
//! foreign cursor is refused with 400 before the store sees it.
use crate::error::Error;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bookstore_model::ProblemCode;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of the HMAC a cursor carries (of SHA-256's 32): 128 bits is beyond guessing, and only
/// a tag of exactly this length is accepted.
const TAG_LEN: usize = 16;

pub struct CursorCodec {
    key: Vec<u8>,
}

impl CursorCodec {
    /// Derives its own key from the server secret, so a cursor's MAC is never a valid token's.
    /// A codec with a random key, for a process whose cursors never outlive it (the CLI).
    pub fn ephemeral() -> Self {
        Self::new(uuid::Uuid::new_v4().as_bytes())
    }

    pub fn new(secret: &[u8]) -> Self {
        let mut mac = mac_with(secret);
        mac.update(b"bookstore cursor key v1");
        Self {
            key: mac.finalize().into_bytes().to_vec(),
        }
    }

    /// Encodes `state` for the listing named `scope` (e.g. `books:title:fiction`).
    pub fn encode(&self, scope: &str, state: &Value) -> String {
        let body = json!({ "s": scope, "k": state }).to_string();
        let body = URL_SAFE_NO_PAD.encode(body);
        let mut mac = mac_with(&self.key);
        mac.update(body.as_bytes());
        let tag = URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..TAG_LEN]);
        format!("{body}.{tag}")
    }

    pub fn decode(&self, scope: &str, cursor: &str) -> Result<Value, Error> {
        let bad = || {
            Error::BadRequest(
                ProblemCode::InvalidCursor,
                "the cursor is invalid or belongs to another listing".into(),
            )
        };
        let (body, tag) = cursor.split_once('.').ok_or_else(bad)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| bad())?;
        // `verify_truncated_left` alone accepts any prefix of the tag, down to one byte (a
        // forgery in 256 tries): the length is checked first, then the bytes in constant time.
        if tag.len() != TAG_LEN {
            return Err(bad());
        }
        let mut mac = mac_with(&self.key);
        mac.update(body.as_bytes());
        mac.verify_truncated_left(&tag).map_err(|_| bad())?;
        let body = URL_SAFE_NO_PAD.decode(body).map_err(|_| bad())?;
        let mut v: Value = serde_json::from_slice(&body).map_err(|_| bad())?;
        if v.get("s").and_then(Value::as_str) != Some(scope) {
            return Err(bad());
        }
        Ok(v.get_mut("k").map(Value::take).unwrap_or(Value::Null))
    }
}

fn mac_with(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length.
    <HmacSha256 as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_tampering() {
        let c = CursorCodec::new(b"secret");
        let cur = c.encode("books:title", &json!({"pk": "BOOK#1"}));
        assert_eq!(
            c.decode("books:title", &cur).unwrap(),
            json!({"pk": "BOOK#1"})
        );
        assert!(c.decode("books:price", &cur).is_err());
        let (body, tag) = cur.split_once('.').unwrap();
        let forged = URL_SAFE_NO_PAD.encode(r#"{"s":"books:title","k":{"pk":"USER#x"}}"#);
        assert!(c.decode("books:title", &format!("{forged}.{tag}")).is_err());
        assert!(c.decode("books:title", body).is_err());
        assert!(
            CursorCodec::new(b"other")
                .decode("books:title", &cur)
                .is_err()
        );
    }

    /// A tag cut short is refused: with a one-byte tag, one of the 256 possible bytes would
    /// sign any body.
    #[test]
    fn only_a_whole_tag_is_accepted() {
        let c = CursorCodec::new(b"secret");
        let cur = c.encode("books:title", &json!({"pk": "BOOK#1"}));
        let (body, tag) = cur.split_once('.').unwrap();
        let tag = URL_SAFE_NO_PAD.decode(tag).unwrap();
        assert_eq!(tag.len(), TAG_LEN);
        for n in 1..TAG_LEN {
            let cut = URL_SAFE_NO_PAD.encode(&tag[..n]);
            assert!(
                c.decode("books:title", &format!("{body}.{cut}")).is_err(),
                "{n} bytes"
            );
        }
        let forged = URL_SAFE_NO_PAD.encode(r#"{"s":"books:title","k":{"pk":"USER#x"}}"#);
        for byte in 0..=u8::MAX {
            let guess = URL_SAFE_NO_PAD.encode([byte]);
            assert!(
                c.decode("books:title", &format!("{forged}.{guess}"))
                    .is_err()
            );
        }
    }
}
