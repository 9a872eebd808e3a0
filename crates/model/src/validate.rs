//! Validated newtypes. Each has a `parse` constructor; serde goes through it. Their OpenAPI
//! schemas, which state every rule checked here, are in [`crate::schema`].
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a value was refused; shown to the client in a `validation_failed` problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValidationError(pub String);

impl ValidationError {
    pub fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}

macro_rules! string_newtype {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValidationError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

string_newtype!(
    /// An ISBN-13, stored as 13 digits. Input may contain hyphens or spaces; the check digit
    /// must be right. An ISBN-10 is converted to its ISBN-13 form.
    Isbn
);

impl Isbn {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let compact: String = input.chars().filter(|c| *c != '-' && *c != ' ').collect();
        let bad = || ValidationError::new(format!("`{input}` is not a valid ISBN-13"));
        match compact.len() {
            13 if compact.bytes().all(|b| b.is_ascii_digit()) => {
                let digits: Vec<u32> = compact.bytes().map(|b| u32::from(b - b'0')).collect();
                if isbn13_check_digit(&digits[..12]) == digits[12] {
                    Ok(Self(compact))
                } else {
                    Err(bad())
                }
            }
            10 => {
                let bytes = compact.as_bytes();
                if !bytes[..9].iter().all(u8::is_ascii_digit) {
                    return Err(bad());
                }
                let check = match bytes[9] {
                    b'X' | b'x' => 10,
                    b @ b'0'..=b'9' => u32::from(b - b'0'),
                    _ => return Err(bad()),
                };
                let sum: u32 = bytes[..9]
                    .iter()
                    .enumerate()
                    .map(|(i, b)| (10 - i as u32) * u32::from(b - b'0'))
                    .sum::<u32>()
                    + check;
                if !sum.is_multiple_of(11) {
                    return Err(bad());
                }
                let mut digits: Vec<u32> = vec![9, 7, 8];
                digits.extend(bytes[..9].iter().map(|b| u32::from(b - b'0')));
                let c = isbn13_check_digit(&digits);
                digits.push(c);
                Ok(Self(
                    digits.iter().map(|d| char::from(b'0' + *d as u8)).collect(),
                ))
            }
            _ => Err(bad()),
        }
    }
}

/// The ISBN-13 check digit of the first twelve digits.
pub fn isbn13_check_digit(first12: &[u32]) -> u32 {
    let sum: u32 = first12
        .iter()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { *d } else { 3 * d })
        .sum();
    (10 - sum % 10) % 10
}

string_newtype!(
    /// An e-mail address, trimmed and lower-cased so that lookups are case-insensitive.
    Email
);

impl Email {
    /// In bytes (UTF-8), after trimming and lower-casing.
    pub const MAX_BYTES: usize = 254;

    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let s = input.trim().to_lowercase();
        let bad = || ValidationError::new("email must look like name@example.com");
        if s.len() > Self::MAX_BYTES || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
        {
            return Err(bad());
        }
        Ok(Self(s))
    }
}

/// A password as typed by the user. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Password(String);

impl Password {
    pub const MIN_LEN: usize = 8;
    pub const MAX_LEN: usize = 128;

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let n = s.chars().count();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&n) {
            return Err(ValidationError::new(format!(
                "password must be {} to {} characters",
                Self::MIN_LEN,
                Self::MAX_LEN
            )));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Password {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Password> for String {
    fn from(p: Password) -> String {
        p.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Trims `s` and checks it has `1..=max` characters and no control characters.
pub(crate) fn bounded_text(s: &str, what: &str, max: usize) -> Result<String, ValidationError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(ValidationError::new(format!("{what} must not be empty")));
    }
    if t.chars().count() > max {
        return Err(ValidationError::new(format!(
            "{what} must be at most {max} characters"
        )));
    }
    if t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ValidationError::new(format!(
            "{what} must not contain control characters"
        )));
    }
    Ok(t.to_owned())
}

string_newtype!(
    /// A person's display name (1..=100 characters).
    PersonName
);

impl PersonName {
    /// In characters, after trimming.
    pub const MAX_CHARS: usize = 100;

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        bounded_text(s, "name", Self::MAX_CHARS).map(Self)
    }
}

string_newtype!(
    /// An API key's name, to recognise it by (1..=100 characters).
    ApiKeyName
);

impl ApiKeyName {
    /// In characters, after trimming.
    pub const MAX_CHARS: usize = 100;

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        bounded_text(s, "name", Self::MAX_CHARS).map(Self)
    }
}

string_newtype!(
    /// A book title (1..=300 characters).
    Title
);

impl Title {
    /// In characters, after trimming.
    pub const MAX_CHARS: usize = 300;

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        bounded_text(s, "title", Self::MAX_CHARS).map(Self)
    }
}

string_newtype!(
    /// An author's name (1..=200 characters).
    AuthorName
);

impl AuthorName {
    /// In characters, after trimming.
    pub const MAX_CHARS: usize = 200;

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        bounded_text(s, "author", Self::MAX_CHARS).map(Self)
    }
}

string_newtype!(
    /// A genre slug: lower-case letters, digits and single hyphens, 1..=40 characters.
    Genre
);

impl Genre {
    pub const MAX_LEN: usize = 40;

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let s = s.trim().to_lowercase();
        let ok = !s.is_empty()
            && s.len() <= Self::MAX_LEN
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if ok {
            Ok(Self(s))
        } else {
            Err(ValidationError::new(
                "genre must be 1 to 40 lower-case letters, digits or single hyphens",
            ))
        }
    }
}

string_newtype!(
    /// A book description (0..=5000 characters).
    Description
);

impl Description {
    /// In characters, after trimming.
    pub const MAX_CHARS: usize = 5000;

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let t = s.trim();
        if t.chars().count() > Self::MAX_CHARS {
            return Err(ValidationError::new(
                "description must be at most 5000 characters",
            ));
        }
        // Paragraphs (newlines) and tabs are text; other control characters are not.
        if t.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(ValidationError::new(
                "description must not contain control characters",
            ));
        }
        Ok(Self(t.to_owned()))
    }
}

string_newtype!(
    /// An ISO 4217 currency code, three upper-case letters.
    Currency
);

impl Currency {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        if s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValidationError::new(
                "currency must be a three-letter ISO 4217 code such as USD",
            ))
        }
    }
}

string_newtype!(
    /// Why a customer returns books (1..=500 characters).
    ReturnReason
);

impl ReturnReason {
    /// In characters, after trimming.
    pub const MAX_CHARS: usize = 500;

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        bounded_text(s, "reason", Self::MAX_CHARS).map(Self)
    }
}

/// A quantity of copies in an order or return line: 1..=1000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u32")]
pub struct Quantity(u32);

impl Quantity {
    pub const MAX: u32 = 1000;

    pub fn parse(n: i64) -> Result<Self, ValidationError> {
        if (1..=i64::from(Self::MAX)).contains(&n) {
            Ok(Self(n as u32))
        } else {
            Err(ValidationError::new(format!(
                "quantity must be between 1 and {}",
                Self::MAX
            )))
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for Quantity {
    type Error = ValidationError;
    fn try_from(n: i64) -> Result<Self, Self::Error> {
        Self::parse(n)
    }
}

impl From<Quantity> for u32 {
    fn from(q: Quantity) -> u32 {
        q.0
    }
}

/// A price in minor units (cents): 0..=100,000,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct PriceCents(i64);

impl PriceCents {
    pub const MAX: i64 = 100_000_000;

    pub fn parse(n: i64) -> Result<Self, ValidationError> {
        if (0..=Self::MAX).contains(&n) {
            Ok(Self(n))
        } else {
            Err(ValidationError::new(
                "price_cents must be between 0 and 100000000",
            ))
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for PriceCents {
    type Error = ValidationError;
    fn try_from(n: i64) -> Result<Self, Self::Error> {
        Self::parse(n)
    }
}

impl From<PriceCents> for i64 {
    fn from(p: PriceCents) -> i64 {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_adjustments_are_bounded_and_plain_text() {
        let adj = |delta: i64, reason: Option<&str>| crate::StockAdjustment {
            delta,
            reason: reason.map(str::to_owned),
        };
        assert!(adj(5, Some("delivery")).validate().is_ok());
        assert!(adj(-1_000_000, None).validate().is_ok());
        for bad in [0, 1_000_001, -1_000_001, i64::MIN, i64::MAX] {
            assert!(adj(bad, None).validate().is_err(), "{bad}");
        }
        assert!(adj(1, Some("   ")).validate().is_err());
        assert!(adj(1, Some("bell\u{7}")).validate().is_err());
        assert!(adj(1, Some(&"x".repeat(501))).validate().is_err());
    }

    #[test]
    fn descriptions_keep_paragraphs_but_no_other_control_characters() {
        assert!(Description::parse("One.\n\nTwo,\tthree.").is_ok());
        assert!(Description::parse("escape\u{1b}[31m").is_err());
    }

    #[test]
    fn isbn_checksums() {
        assert_eq!(
            Isbn::parse("978-0-14-143951-8").unwrap().as_str(),
            "9780141439518"
        );
        assert!(Isbn::parse("9780141439519").is_err());
        assert!(Isbn::parse("97801414395").is_err());
        assert!(Isbn::parse("978014143951X").is_err());
        // ISBN-10 of the same book converts to its ISBN-13.
        assert_eq!(
            Isbn::parse("0-14-143951-3").unwrap().as_str(),
            "9780141439518"
        );
        assert!(Isbn::parse("0141439514").is_err());
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            Email::parse(" Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in ["", "a", "a@b", "@b.c", "a@@b.c", "a b@c.d", "a@.c", "a@c."] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn quantities_and_prices_are_bounded() {
        assert!(Quantity::parse(0).is_err());
        assert!(Quantity::parse(-1).is_err());
        assert!(Quantity::parse(1001).is_err());
        assert_eq!(Quantity::parse(3).unwrap().get(), 3);
        assert!(PriceCents::parse(-1).is_err());
        assert!(serde_json::from_str::<Quantity>("2.5").is_err());
    }

    #[test]
    fn genres_are_slugs() {
        assert_eq!(
            Genre::parse("Science-Fiction").unwrap().as_str(),
            "science-fiction"
        );
        for bad in ["", "-a", "a-", "a--b", "a b", "x".repeat(41).as_str()] {
            assert!(Genre::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_debug_is_redacted() {
        let p = Password::parse("correct horse").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
        assert!(Password::parse("short").is_err());
    }
}
