//! The OpenAPI schemas of the validated newtypes. Each states every rule the type's `parse`
//! checks, so that a client generated from the document refuses what the server refuses, and
//! nothing the server accepts. Where a rule is no pattern (the ISBN check digit, a length in
//! bytes) the description says it.
//!
//! Patterns must mean the same in ECMA-262 (OpenAPI) and Python's `re` (the usual generators
//! and fuzzers): no lookaround, and explicit classes instead of `\s`, which differs between them.
use crate::{
    ApiKeyName, AuthorName, Currency, Description, Email, Genre, Isbn, Password, PaymentMethodId,
    PersonName, PriceCents, Quantity, ReturnReason, Title, WebhookUrl,
};
use utoipa::openapi::schema::{
    KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{RefOr, Schema};

/// The characters `str::trim` removes (Unicode White_Space).
pub const WS: &str = r"[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";
/// Neither white space nor a control character.
pub const VISIBLE: &str = r"[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";
/// Not a control character, except a line feed.
const TEXT: &str = r"[^\x00-\t\x0b-\x1f\x7f-\x9f]";
/// Not a control character, except tab, line feed and carriage return.
const PARAGRAPHS: &str = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]";

/// What `bounded_text` accepts: after trimming, 1..=`max` characters, none of them a control
/// character but line feeds.
pub fn bounded_text_pattern(max: usize) -> String {
    format!("^{WS}*{VISIBLE}(?:{TEXT}{{0,{}}}{VISIBLE})?{WS}*$", max - 2)
}

fn string(description: String, pattern: String, example: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .pattern(Some(pattern))
        .examples([example])
}

fn text(what: &str, max: usize, example: &str) -> ObjectBuilder {
    string(
        format!(
            "{what}: 1 to {max} characters once surrounding white space is trimmed (it is); \
no control characters but line feeds."
        ),
        bounded_text_pattern(max),
        example,
    )
}

macro_rules! schema {
    ($ty:ty, $schema:expr) => {
        impl utoipa::PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                $schema.into()
            }
        }
        impl utoipa::ToSchema for $ty {}
    };
}

schema!(
    Isbn,
    string(
        "An ISBN-13, answered as its 13 digits. Accepted: an ISBN-13 or an ISBN-10 (converted \
to its ISBN-13), hyphens and spaces anywhere ignored; the check digit must be right, which the \
pattern cannot say (format `isbn`)."
            .into(),
        r"^[- ]*(?:(?:[0-9][- ]*){13}|(?:[0-9][- ]*){9}[0-9Xx][- ]*)$".into(),
        "9780141439518",
    )
    .format(Some(SchemaFormat::Custom("isbn".into())))
);

schema!(Email, {
    // Whatever is neither white space, a control character nor `@` (nor, at the domain's ends,
    // a dot).
    let c = r"[^@\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";
    let edge = r"[^.@\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";
    string(
        format!(
            "An e-mail address, trimmed and lower-cased (answered so): a local part, `@`, and a \
domain with a dot, neither at its start nor its end; no white space or control characters; at \
most {} bytes (UTF-8) once lower-cased.",
            Email::MAX_BYTES
        ),
        format!("^{WS}*{c}+@{edge}(?:{c}*\\.{c}*){edge}{WS}*$"),
        "reader@example.com",
    )
});

schema!(
    Password,
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)))
        .description(Some(format!(
            "A password, {} to {} characters, taken as typed.",
            Password::MIN_LEN,
            Password::MAX_LEN
        )))
        .min_length(Some(Password::MIN_LEN))
        .max_length(Some(Password::MAX_LEN))
);

schema!(
    PersonName,
    text("A person's name", PersonName::MAX_CHARS, "Ada Lovelace")
);
schema!(
    ApiKeyName,
    text("An API key's name", ApiKeyName::MAX_CHARS, "Warehouse sync")
);
schema!(
    Title,
    text("A book title", Title::MAX_CHARS, "Pride and Prejudice")
);
schema!(
    AuthorName,
    text("An author's name", AuthorName::MAX_CHARS, "Jane Austen")
);
schema!(
    ReturnReason,
    text(
        "Why copies are returned",
        ReturnReason::MAX_CHARS,
        "Arrived damaged"
    )
);

/// What [`WebhookUrl::parse`] accepts (with `maxLength`).
pub fn webhook_url_pattern() -> String {
    let host = r"(?:\[[0-9A-Fa-f:.]{2,45}\]|[0-9A-Za-z](?:[-.0-9A-Za-z]{0,251}[0-9A-Za-z])?)";
    format!("^https?://{host}(?::[0-9]{{1,5}})?(?:[/?][!-~]*)?$")
}

schema!(
    WebhookUrl,
    string(
        "Where deliveries are POSTed: http or https, a host name or IP literal, an optional \
port, path and query; printable ASCII (percent-encode the rest), at most 2000 characters. In \
production the host must resolve to public addresses only (else `webhook_url_refused`)."
            .into(),
        webhook_url_pattern(),
        "https://example.com/hooks/bookstore",
    )
    .max_length(Some(WebhookUrl::MAX_LEN))
);

/// A genre slug, trimmed and lower-cased: ASCII letters and digits in runs joined by single
/// hyphens (`K`, the Kelvin sign, lower-cases to `k`), at most 40 characters: a lookahead
/// counts them, as no plain pattern can count while it checks the hyphens.
pub fn genre_pattern(optional: bool) -> String {
    let alnum = r"[0-9A-Za-z\u212a]";
    let max = Genre::MAX_LEN;
    let slug = format!("(?=[-0-9A-Za-z\\u212a]{{1,{max}}}{WS}*$){alnum}+(?:-{alnum}+)*");
    let slug = if optional {
        format!("(?:{slug})?")
    } else {
        slug
    };
    format!("^{WS}*{slug}{WS}*$")
}

schema!(
    Genre,
    string(
        format!(
            "A genre slug: letters, digits and single hyphens, 1 to {} characters once trimmed \
(answered lower-cased).",
            Genre::MAX_LEN
        ),
        genre_pattern(false),
        "fiction",
    )
);

schema!(
    Description,
    string(
        format!(
            "A book description: at most {} characters once surrounding white space is trimmed \
(it is); no control characters but tabs and line breaks.",
            Description::MAX_CHARS
        ),
        format!(
            "^{WS}*(?:{VISIBLE}(?:{PARAGRAPHS}{{0,{}}}{VISIBLE})?)?{WS}*$",
            Description::MAX_CHARS - 2
        ),
        "A witty novel of manners.",
    )
);

schema!(
    PaymentMethodId,
    string(
        format!(
            "A payment method made at the payment provider by the shopper's browser: `pm_`, \
`card_` or `src_` and then letters, digits or underscores, at most {} characters.",
            PaymentMethodId::MAX_LEN
        ),
        format!(
            "^(?:pm|card|src)_[0-9A-Za-z_]{{1,{}}}$",
            PaymentMethodId::MAX_LEN - 3
        ),
        "pm_card_visa",
    )
    .max_length(Some(PaymentMethodId::MAX_LEN))
);

schema!(
    Currency,
    string(
        "An ISO 4217 currency code: three upper-case letters.".into(),
        "^[A-Z]{3}$".into(),
        "USD",
    )
);

schema!(
    Quantity,
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .description(Some("Copies on an order or return line."))
        .minimum(Some(1))
        .maximum(Some(Quantity::MAX))
        .examples([1])
);

schema!(
    PriceCents,
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .description(Some("A price in minor units (cents)."))
        .minimum(Some(0))
        .maximum(Some(PriceCents::MAX))
        .examples([1299])
);

/// The `genre` filter of a listing: a genre, or blank for every genre.
pub fn genre_query() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(genre_pattern(true)))
        .build()
        .into()
}

/// The `books` of the live-stock stream.
pub fn book_id_list() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(book_id_list_pattern()))
        .build()
        .into()
}

/// A comma-separated list of book ids, each optionally surrounded by white space; empty
/// entries are skipped. A UUID may be hyphenated, 32 bare hex digits, braced or a URN.
pub fn book_id_list_pattern() -> String {
    let h = "[0-9A-Fa-f]";
    let hyphenated = format!("{h}{{8}}-{h}{{4}}-{h}{{4}}-{h}{{4}}-{h}{{12}}");
    let id = format!("(?:{hyphenated}|{h}{{32}}|\\{{{hyphenated}\\}}|urn:uuid:{hyphenated})");
    let entry = format!("{WS}*(?:{id})?{WS}*");
    format!("^{entry}(?:,{entry})*$")
}

/// `StockAdjustment::delta`: non-zero, at most 1,000,000 either way.
pub fn stock_delta() -> Schema {
    let range = |min: i64, max: i64| {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(min))
            .maximum(Some(max))
    };
    OneOfBuilder::new()
        .item(range(-1_000_000, -1))
        .item(range(1, 1_000_000))
        .description(Some(
            "Copies added (positive) or written off (negative); never 0.",
        ))
        .examples([12])
        .build()
        .into()
}

/// `StockAdjustment::reason`: optional text.
pub fn stock_reason() -> Schema {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .pattern(Some(bounded_text_pattern(500)))
        .build()
        .into()
}

/// `NewStaffInvitation::role`: a `Role`, but only the staff's (an invitation to be a customer is
/// refused).
pub fn staff_role() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["staff", "owner"]))
        .description(Some("`staff` or `owner`."))
        .build()
        .into()
}

// After `schema!`, which it uses.
mod address;
pub use address::*;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use utoipa::PartialSchema;

    pub(crate) fn pattern_of(schema: RefOr<Schema>) -> regex::Regex {
        let json = serde_json::to_value(schema).unwrap();
        let p = json["pattern"].as_str().expect("a pattern");
        regex::Regex::new(p).expect("the pattern compiles")
    }

    /// Strings near every rule's edge: white space of each kind, control characters, lengths.
    pub(crate) fn samples() -> Vec<String> {
        let mut out: Vec<String> = [
            "",
            " ",
            "a",
            " a ",
            "\ta\r\n",
            "\u{a0}a\u{3000}",
            "\u{feff}a",
            "a\u{85}",
            "a\nb",
            "a\tb",
            "a\rb",
            "a\u{7}b",
            "a\u{9f}",
            "\u{1b}[31m",
            "Ab",
            "ab-cd",
            "ab--cd",
            "-ab",
            "ab-",
            "AB-9",
            "\u{212a}",
            "x y",
            "x@y.z",
            " X@Y.Z ",
            "x@y",
            "@y.z",
            "x@@y.z",
            "x@.y",
            "x@y.",
            "x@y..z",
            "x y@z.w",
            "\u{e9}@\u{e9}.fr",
            "x@y.z\n",
            "USD",
            "usd",
            "US",
            "USDD",
            "9780141439518",
            "978-0-14-143951-8",
            "9780141439519",
            "0-14-143951-3",
            "014143951X",
            "97801414395",
            " 9780141439518 ",
            "978 0141439518\n",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for n in [
            39, 40, 41, 99, 100, 101, 199, 200, 201, 299, 300, 301, 499, 500, 501,
        ] {
            out.push("x".repeat(n));
            out.push(format!(" {} ", "y".repeat(n)));
            out.push(format!("{}\n", "z".repeat(n)));
        }
        out.push("d".repeat(5000));
        out.push(format!("\t{}\t", "d".repeat(5000)));
        out.push("d".repeat(5001));
        out.push(format!("{}@x.io", "e".repeat(249)));
        out.push(format!("{}@x.io", "e".repeat(250)));
        for url in [
            "http://a",
            "https://example.com/hooks?x=1#f",
            "https://127.0.0.1:8080/",
            "http://[::1]:99/x",
            "http://[::1",
            "http://[zz]/",
            "http://-a.com/",
            "http://a-.com",
            "http://a..b",
            "ftp://a.com",
            "http://a.com:/x",
            "http://a.com:123456",
            "http://a.com:65535",
            "http://a.com x",
            "http://a.com/\u{e9}",
            "http://a.com#x",
            "http://user@a.com/",
            "HTTP://a.com",
        ] {
            out.push(url.to_owned());
        }
        out.push(format!("http://a.com/{}", "x".repeat(1987)));
        out.push(format!("http://a.com/{}", "x".repeat(1988)));
        out.push(format!("http://{}.com", "x".repeat(249)));
        out.push(format!("http://{}.com", "x".repeat(250)));
        out
    }

    fn agree<T: PartialSchema>(name: &str, parse: impl Fn(&str) -> bool) {
        let re = pattern_of(T::schema());
        agree_with(name, re, parse);
    }

    fn agree_with(name: &str, re: regex::Regex, parse: impl Fn(&str) -> bool) {
        for s in samples() {
            assert_eq!(re.is_match(&s), parse(&s), "{name}: {s:?}");
        }
    }

    #[test]
    fn patterns_accept_exactly_what_parse_accepts() {
        agree::<PersonName>("PersonName", |s| PersonName::parse(s).is_ok());
        agree::<Title>("Title", |s| Title::parse(s).is_ok());
        agree::<ApiKeyName>("ApiKeyName", |s| ApiKeyName::parse(s).is_ok());
        agree::<AuthorName>("AuthorName", |s| AuthorName::parse(s).is_ok());
        agree::<ReturnReason>("ReturnReason", |s| ReturnReason::parse(s).is_ok());
        agree::<PaymentMethodId>("PaymentMethodId", |s| PaymentMethodId::parse(s).is_ok());
        agree::<Description>("Description", |s| Description::parse(s).is_ok());
        // The regex crate has no lookahead: Genre's length is checked apart.
        let genre = serde_json::to_value(Genre::schema()).unwrap()["pattern"]
            .as_str()
            .unwrap()
            .to_owned();
        let lookahead = format!(r"(?=[-0-9A-Za-z\u212a]{{1,40}}{WS}*$)");
        assert!(genre.contains(&lookahead), "{genre}");
        let structure = regex::Regex::new(&genre.replace(&lookahead, "")).unwrap();
        agree_with("Genre", structure, |s| {
            let t = s.trim();
            let slug = t
                .split('-')
                .all(|run| !run.is_empty() && run.bytes().all(|b| b.is_ascii_alphanumeric()));
            Genre::parse(s).is_ok() || t.len() > Genre::MAX_LEN && slug
        });
        agree::<Currency>("Currency", |s| Currency::parse(s).is_ok());
        // The length is `maxLength`'s to check, not the pattern's.
        agree::<WebhookUrl>("WebhookUrl", |s| {
            let max = WebhookUrl::MAX_LEN;
            WebhookUrl::parse(s).is_ok() || s.len() > max && WebhookUrl::parse(&s[..max]).is_ok()
        });
        // Nor does Email's count bytes: a long address passes it if a short one of its shape would.
        agree::<Email>("Email", |s| {
            let t = s.trim();
            let shape = t.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && Email::parse(&format!("a@{domain}")).is_ok()
            });
            Email::parse(s).is_ok() || t.len() > Email::MAX_BYTES && shape
        });
    }

    /// The ISBN pattern cannot check the check digit: it accepts the shape, nothing more.
    #[test]
    fn the_isbn_pattern_accepts_every_isbn_and_refuses_other_shapes() {
        let re = pattern_of(Isbn::schema());
        for s in samples() {
            if Isbn::parse(&s).is_ok() {
                assert!(re.is_match(&s), "{s:?}");
            }
        }
        for bad in [
            "97801414395",
            "978014143951X",
            "978-0-14-143951-8\n",
            "x9780141439518",
        ] {
            assert!(!re.is_match(bad), "{bad:?}");
        }
    }

    #[test]
    fn stock_reasons_are_documented_as_validated() {
        let json = serde_json::to_value(stock_reason()).unwrap();
        let re = regex::Regex::new(json["pattern"].as_str().unwrap()).unwrap();
        for s in samples() {
            let adj = crate::StockAdjustment {
                delta: 1,
                reason: Some(s.clone()),
            };
            assert_eq!(re.is_match(&s), adj.validate().is_ok(), "{s:?}");
        }
    }

    #[test]
    fn a_genre_filter_may_be_blank() {
        let json = serde_json::to_value(genre_query()).unwrap();
        let lookahead = format!(r"(?=[-0-9A-Za-z\u212a]{{1,40}}{WS}*$)");
        let re = regex::Regex::new(&json["pattern"].as_str().unwrap().replace(&lookahead, ""));
        let re = re.unwrap();
        for s in ["", "  ", "fiction", " Sci-Fi "] {
            assert!(re.is_match(s), "{s:?}");
        }
        assert!(!re.is_match("sci fi"));
    }

    #[test]
    fn book_id_lists() {
        let re = regex::Regex::new(&book_id_list_pattern()).unwrap();
        let id = "5f0c6f8e-2b7a-4a55-9d7e-0d6d3f1a2b3c";
        for ok in [
            String::new(),
            id.into(),
            format!("{id}, {id},,"),
            id.replace('-', ""),
            format!("{{{id}}}"),
            format!("urn:uuid:{id}"),
        ] {
            assert!(re.is_match(&ok), "{ok:?}");
        }
        for bad in ["x", "5f0c6f8e", &format!("{id};{id}")] {
            assert!(!re.is_match(bad), "{bad:?}");
        }
    }
}
