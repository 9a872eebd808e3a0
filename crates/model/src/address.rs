//! The address book: where a customer's orders can be shipped.
//!
//! The request body holds plain strings, checked by [`AddressInput::into_address`], so that a
//! refusal names the field it is about (two lines share one rule, which a newtype per rule
//! could not tell apart). Its schemas ([`crate::schema`]) state exactly these rules.
use crate::validate::ValidationError;
use crate::{AddressId, CountryCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most addresses one account may keep.
pub const MAX_ADDRESSES: usize = 20;

/// Field limits, in characters after trimming.
pub const MAX_RECIPIENT_CHARS: usize = 100;
pub const MAX_LINE_CHARS: usize = 200;
pub const MAX_CITY_CHARS: usize = 100;
pub const MAX_REGION_CHARS: usize = 100;
pub const MAX_POSTAL_CODE_CHARS: usize = 16;
/// Digits in a phone number (ITU E.164 allows 15; a few more for extensions typed in).
pub const MIN_PHONE_DIGITS: usize = 6;
pub const MAX_PHONE_DIGITS: usize = 20;

/// The body of `POST` and `PUT /api/v1/me/addresses[/{id}]`. Text is trimmed; an optional
/// field left blank is absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    /// The recipient.
    #[schema(schema_with = crate::schema::address_recipient)]
    pub name: String,
    #[schema(schema_with = crate::schema::address_line1)]
    pub line1: String,
    #[serde(default)]
    #[schema(schema_with = crate::schema::address_line2)]
    pub line2: Option<String>,
    #[schema(schema_with = crate::schema::address_city)]
    pub city: String,
    /// State, province or county, where the post needs one.
    #[serde(default)]
    #[schema(schema_with = crate::schema::address_region)]
    pub region: Option<String>,
    #[schema(schema_with = crate::schema::postal_code)]
    pub postal_code: String,
    #[schema(value_type = CountryCode)]
    pub country: String,
    /// For the carrier.
    #[serde(default)]
    #[schema(schema_with = crate::schema::phone)]
    pub phone: Option<String>,
}

/// An address in the address book, as stored and answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Address {
    pub id: AddressId,
    #[schema(schema_with = crate::schema::address_recipient)]
    pub name: String,
    #[schema(schema_with = crate::schema::address_line1)]
    pub line1: String,
    #[schema(schema_with = crate::schema::address_line2)]
    pub line2: Option<String>,
    #[schema(schema_with = crate::schema::address_city)]
    pub city: String,
    #[schema(schema_with = crate::schema::address_region)]
    pub region: Option<String>,
    #[schema(schema_with = crate::schema::postal_code)]
    pub postal_code: String,
    pub country: CountryCode,
    #[schema(schema_with = crate::schema::phone)]
    pub phone: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl AddressInput {
    /// Checks every field (the first bad one is named) and gives the address it describes,
    /// trimmed.
    pub fn into_address(
        self,
        id: AddressId,
        created_at: DateTime<Utc>,
    ) -> Result<Address, ValidationError> {
        Ok(Address {
            id,
            name: single_line(&self.name, "name", MAX_RECIPIENT_CHARS)?,
            line1: single_line(&self.line1, "line1", MAX_LINE_CHARS)?,
            line2: optional_line(self.line2.as_deref(), "line2", MAX_LINE_CHARS)?,
            city: single_line(&self.city, "city", MAX_CITY_CHARS)?,
            region: optional_line(self.region.as_deref(), "region", MAX_REGION_CHARS)?,
            postal_code: postal_code(&self.postal_code)?,
            country: CountryCode::parse(&self.country)?,
            phone: self.phone.as_deref().map(phone).transpose()?.flatten(),
            created_at,
        })
    }
}

impl From<&Address> for AddressInput {
    fn from(a: &Address) -> Self {
        Self {
            name: a.name.clone(),
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            region: a.region.clone(),
            postal_code: a.postal_code.clone(),
            country: a.country.to_string(),
            phone: a.phone.clone(),
        }
    }
}

/// Trims `s` and checks it has `1..=max` characters and no control characters at all (a line
/// break has no place on an address label).
fn single_line(s: &str, what: &str, max: usize) -> Result<String, ValidationError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(ValidationError::new(format!("{what} must not be empty")));
    }
    if t.chars().count() > max {
        return Err(ValidationError::new(format!(
            "{what} must be at most {max} characters"
        )));
    }
    if t.chars().any(char::is_control) {
        return Err(ValidationError::new(format!(
            "{what} must not contain control characters"
        )));
    }
    Ok(t.to_owned())
}

/// [`single_line`] for an optional field: blank is absent.
fn optional_line(
    s: Option<&str>,
    what: &str,
    max: usize,
) -> Result<Option<String>, ValidationError> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => single_line(t, what, max).map(Some),
    }
}

fn postal_code(s: &str) -> Result<String, ValidationError> {
    let t = s.trim();
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let ok = (1..=MAX_POSTAL_CODE_CHARS).contains(&t.len())
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        && alnum(t.chars().next())
        && alnum(t.chars().last());
    if ok {
        Ok(t.to_owned())
    } else {
        Err(ValidationError::new(format!(
            "postal_code must be 1 to {MAX_POSTAL_CODE_CHARS} letters, digits, spaces or \
             hyphens, beginning and ending with a letter or digit"
        )))
    }
}

/// A phone number as typed: an optional `+`, then digits with single spaces between them;
/// blank is absent.
fn phone(s: &str) -> Result<Option<String>, ValidationError> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let bad = || {
        ValidationError::new(format!(
            "phone must be {MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS} digits, optionally after a \
             +, with single spaces between digits allowed, e.g. +49 30 1234567"
        ))
    };
    let rest = t.strip_prefix('+').unwrap_or(t);
    let (mut digits, mut prev_space) = (0, true);
    for b in rest.bytes() {
        match b {
            b'0'..=b'9' => {
                digits += 1;
                prev_space = false;
            }
            b' ' if !prev_space => prev_space = true,
            _ => return Err(bad()),
        }
    }
    if prev_space || !(MIN_PHONE_DIGITS..=MAX_PHONE_DIGITS).contains(&digits) {
        return Err(bad());
    }
    Ok(Some(t.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> AddressInput {
        AddressInput {
            name: " Ada Lovelace ".into(),
            line1: "12 St James's Square".into(),
            line2: Some("  ".into()),
            city: "London".into(),
            region: None,
            postal_code: " SW1Y 4JH ".into(),
            country: "GB".into(),
            phone: Some("+44 20 7946 0000".into()),
        }
    }

    fn check(a: AddressInput) -> Result<Address, ValidationError> {
        a.into_address(AddressId::new(), Utc::now())
    }

    #[test]
    fn a_valid_address_is_trimmed_and_blank_optionals_are_absent() {
        let a = check(input()).unwrap();
        assert_eq!(a.name, "Ada Lovelace");
        assert_eq!(a.postal_code, "SW1Y 4JH");
        assert_eq!(a.line2, None);
        assert_eq!(a.country.as_str(), "GB");
        assert_eq!(a.phone.as_deref(), Some("+44 20 7946 0000"));
    }

    #[test]
    fn each_refusal_names_its_field() {
        type Change = Box<dyn Fn(&mut AddressInput)>;
        let cases: Vec<(&str, Change)> = vec![
            ("name", Box::new(|a| a.name = " ".into())),
            ("name", Box::new(|a| a.name = "x".repeat(101))),
            ("line1", Box::new(|a| a.line1 = "a\nb".into())),
            ("line2", Box::new(|a| a.line2 = Some("x".repeat(201)))),
            ("city", Box::new(|a| a.city = "".into())),
            ("region", Box::new(|a| a.region = Some("bell\u{7}".into()))),
            ("postal_code", Box::new(|a| a.postal_code = "-123".into())),
            ("postal_code", Box::new(|a| a.postal_code = "12_34".into())),
            ("postal_code", Box::new(|a| a.postal_code = "1".repeat(17))),
            ("country", Box::new(|a| a.country = "gb".into())),
            ("country", Box::new(|a| a.country = "UK".into())),
            ("phone", Box::new(|a| a.phone = Some("12345".into()))),
            (
                "phone",
                Box::new(|a| a.phone = Some("+49  301234567".into())),
            ),
            (
                "phone",
                Box::new(|a| a.phone = Some("+49-30-1234567".into())),
            ),
            ("phone", Box::new(|a| a.phone = Some("1".repeat(21)))),
        ];
        for (field, change) in cases {
            let mut a = input();
            change(&mut a);
            let e = check(a).unwrap_err();
            assert!(e.0.starts_with(field), "{field}: {e}");
        }
    }

    #[test]
    fn unknown_fields_are_refused() {
        let mut json = serde_json::to_value(input()).unwrap();
        json["email"] = "a@b.c".into();
        assert!(serde_json::from_value::<AddressInput>(json).is_err());
    }
}
