//! The schemas of an address's fields ([`crate::AddressInput`]) and of a country.
use super::{VISIBLE, WS, string};
use crate::CountryCode;
use crate::address::{
    MAX_CITY_CHARS, MAX_LINE_CHARS, MAX_PHONE_DIGITS, MAX_POSTAL_CODE_CHARS, MAX_RECIPIENT_CHARS,
    MAX_REGION_CHARS, MIN_PHONE_DIGITS,
};
use crate::country::COUNTRY_CODES;
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{RefOr, Schema};

/// Not a control character.
const LINE: &str = r"[^\x00-\x1f\x7f-\x9f]";

/// One line of an address: after trimming, 1..=`max` characters, no control characters; if
/// `optional`, blank too (then absent).
fn address_text(what: &str, max: usize, optional: bool, example: &str) -> Schema {
    let body = format!("{VISIBLE}(?:{LINE}{{0,{}}}{VISIBLE})?", max - 2);
    let (ty, pattern, blank) = if optional {
        (
            SchemaType::from_iter([Type::String, Type::Null]),
            format!("^{WS}*(?:{body})?{WS}*$"),
            "; blank or null: absent",
        )
    } else {
        (
            SchemaType::Type(Type::String),
            format!("^{WS}*{body}{WS}*$"),
            "",
        )
    };
    ObjectBuilder::new()
        .schema_type(ty)
        .description(Some(format!(
            "{what}: 1 to {max} characters once surrounding white space is trimmed (it is); no \
control characters{blank}."
        )))
        .pattern(Some(pattern))
        .examples([example])
        .build()
        .into()
}

/// `Address::name`: the recipient.
pub fn address_recipient() -> Schema {
    address_text("The recipient", MAX_RECIPIENT_CHARS, false, "Ada Lovelace")
}

pub fn address_line1() -> Schema {
    address_text(
        "The street address",
        MAX_LINE_CHARS,
        false,
        "12 St James's Square",
    )
}

pub fn address_line2() -> Schema {
    address_text("More of the address", MAX_LINE_CHARS, true, "Flat 3")
}

pub fn address_city() -> Schema {
    address_text("The city or town", MAX_CITY_CHARS, false, "London")
}

pub fn address_region() -> Schema {
    address_text(
        "State, province or county",
        MAX_REGION_CHARS,
        true,
        "Greater London",
    )
}

pub fn postal_code_pattern() -> String {
    format!(
        "^{WS}*[0-9A-Za-z](?:[- 0-9A-Za-z]{{0,{}}}[0-9A-Za-z])?{WS}*$",
        MAX_POSTAL_CODE_CHARS - 2
    )
}

pub fn postal_code() -> Schema {
    string(
        format!(
            "A postal code: 1 to {MAX_POSTAL_CODE_CHARS} ASCII letters, digits, spaces or \
hyphens once surrounding white space is trimmed (it is), beginning and ending with a letter or \
digit."
        ),
        postal_code_pattern(),
        "SW1Y 4JH",
    )
    .build()
    .into()
}

pub fn phone_pattern() -> String {
    format!(
        "^{WS}*(?:\\+?[0-9](?: ?[0-9]){{{},{}}})?{WS}*$",
        MIN_PHONE_DIGITS - 1,
        MAX_PHONE_DIGITS - 1
    )
}

pub fn phone() -> Schema {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .description(Some(format!(
            "A phone number for the carrier: {MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS} digits, \
optionally after a `+`, single spaces between digits allowed; trimmed; blank or null: absent."
        )))
        .pattern(Some(phone_pattern()))
        .examples(["+44 20 7946 0000"])
        .build()
        .into()
}

/// A country as an address field takes it: exactly one of the assigned codes.
pub fn country() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "A country: an assigned ISO 3166-1 alpha-2 code, upper-case, taken as is.",
        ))
        .enum_values(Some(COUNTRY_CODES.iter().copied()))
        .examples(["DE"])
        .build()
        .into()
}

schema!(CountryCode, country());

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::tests::{pattern_of, samples};

    /// Each address field's pattern accepts what the address accepts in that field.
    #[test]
    fn address_patterns_accept_exactly_what_the_address_accepts() {
        use crate::{AddressId, AddressInput};
        let base = AddressInput {
            name: "A".into(),
            line1: "B".into(),
            line2: None,
            city: "C".into(),
            region: None,
            postal_code: "1".into(),
            country: "DE".into(),
            phone: None,
        };
        let ok = |a: AddressInput| a.into_address(AddressId::new(), chrono::Utc::now()).is_ok();
        let re = |s: Schema| pattern_of(s.into());
        let mut extra: Vec<String> = [
            "12345",
            "123456",
            "+123456",
            "+ 123456",
            "1 2 3 4 5 6",
            "1  23456",
            "+49 30 1234567",
            "+49-30",
            " 123456 ",
            "123456 \n",
            "12_34",
            "1-2",
            "-12",
            "12-",
            "A1 2BC",
            "ab cd",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for n in [5, 6, 15, 16, 17, 19, 20, 21] {
            extra.push("1".repeat(n));
            extra.push(format!("+{}", "2".repeat(n)));
            extra.push(format!("{} 1", "3".repeat(n - 1)));
        }
        let samples: Vec<String> = samples().into_iter().chain(extra).collect();
        type Set = fn(&mut AddressInput, String);
        let fields: [(&str, Schema, Set); 7] = [
            ("name", address_recipient(), |a, s| a.name = s),
            ("line1", address_line1(), |a, s| a.line1 = s),
            ("line2", address_line2(), |a, s| a.line2 = Some(s)),
            ("city", address_city(), |a, s| a.city = s),
            ("region", address_region(), |a, s| a.region = Some(s)),
            ("postal_code", postal_code(), |a, s| a.postal_code = s),
            ("phone", phone(), |a, s| a.phone = Some(s)),
        ];
        for (name, schema, set) in fields {
            let re = re(schema);
            for s in &samples {
                let mut a = base.clone();
                set(&mut a, s.clone());
                assert_eq!(re.is_match(s), ok(a), "{name}: {s:?}");
            }
        }
        let json = serde_json::to_value(country()).unwrap();
        let values = json["enum"].as_array().unwrap();
        assert_eq!(values.len(), COUNTRY_CODES.len());
        for s in samples.iter().map(String::as_str).chain(["DE", "US", "UK"]) {
            let listed = values.iter().any(|v| v == s);
            assert_eq!(listed, CountryCode::parse(s).is_ok(), "country: {s:?}");
        }
    }
}
