//! A stored item as JSON text, shared rather than copied, with room for what a reader makes
//! of it.
use std::any::Any;
use std::fmt;
use std::sync::{Arc, OnceLock};

/// A stored item as JSON text (an object). Readers that only turn an item into one of their own
/// types deserialize this directly, skipping the [`Item`](crate::Item) map: for a page of books
/// that map is most of the cost of the request.
///
/// A clone shares the bytes. The embedded store's item cache hands out clones of what it
/// holds, so the reads of an unchanged cached item all get the same bytes and the same
/// [`memo`](Self::memo): a reader that derives something from the bytes (a book's public JSON)
/// keeps it there once, instead of finding it again by the bytes' content on every read. A
/// changed item is new bytes with an empty memo.
#[derive(Clone)]
pub struct RawItem(Arc<Shared>);

struct Shared {
    bytes: Box<[u8]>,
    memo: OnceLock<Arc<dyn Any + Send + Sync>>,
}

impl RawItem {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0.bytes
    }

    /// What a reader kept beside these bytes, if it is a `T`.
    pub fn memo<T: Any>(&self) -> Option<&T> {
        self.0.memo.get()?.downcast_ref()
    }

    /// Keeps `value` beside these bytes, unless something is kept already (the first reader's
    /// stays). It must follow from the bytes alone, and from what is fixed for the process:
    /// every later read of the same cached bytes gets it.
    pub fn set_memo<T: Any + Send + Sync>(&self, value: T) {
        let _ = self.0.memo.set(Arc::new(value));
    }

    /// A copy of the bytes that no other clone shares, with what is kept beside them: for a
    /// thread's own copy of a hot cached item (the embedded store's item cache).
    pub(crate) fn own_copy(&self) -> RawItem {
        let memo = OnceLock::new();
        if let Some(kept) = self.0.memo.get() {
            let _ = memo.set(kept.clone());
        }
        Self(Arc::new(Shared {
            bytes: self.0.bytes.clone(),
            memo,
        }))
    }
}

impl From<Vec<u8>> for RawItem {
    fn from(bytes: Vec<u8>) -> Self {
        Self::from(bytes.into_boxed_slice())
    }
}

impl From<Box<[u8]>> for RawItem {
    fn from(bytes: Box<[u8]>) -> Self {
        Self(Arc::new(Shared {
            bytes,
            memo: OnceLock::new(),
        }))
    }
}

impl From<&[u8]> for RawItem {
    fn from(bytes: &[u8]) -> Self {
        Self::from(Box::<[u8]>::from(bytes))
    }
}

impl std::ops::Deref for RawItem {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for RawItem {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// Equal bytes are equal items, whatever is kept beside them.
impl PartialEq for RawItem {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl fmt::Debug for RawItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawItem({})", String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_bytes_and_the_memo() {
        let a = RawItem::from(br#"{"pk":"a"}"#.to_vec());
        let b = a.clone();
        assert_eq!(a.memo::<u32>(), None);
        b.set_memo(7_u32);
        a.set_memo(8_u32);
        assert_eq!((a.memo::<u32>(), b.memo::<u32>()), (Some(&7), Some(&7)));
        assert_eq!(a.memo::<String>(), None, "another type: not this memo");
        assert!(std::ptr::eq(a.as_bytes(), b.as_bytes()));
        let c = RawItem::from(a.as_bytes());
        assert_eq!(c, a);
        assert_eq!(
            c.memo::<u32>(),
            None,
            "equal bytes read anew: their own memo"
        );
        let d = a.own_copy();
        assert!(!std::ptr::eq(a.as_bytes(), d.as_bytes()));
        assert_eq!((d.as_bytes(), d.memo::<u32>()), (a.as_bytes(), Some(&7)));
    }
}
