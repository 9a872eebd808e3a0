//! How the shop shows a price, a stock and a book's cover placeholder: one definition for the
//! app and for the pages the server renders before the app runs.
use crate::BookId;

/// `$12.50`, `€0.05`, `-$3.00`, `1.99 CHF`.
pub fn money(cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let amount = format!("{}.{:02}", abs / 100, abs % 100);
    match currency {
        "USD" => format!("{sign}${amount}"),
        "EUR" => format!("{sign}€{amount}"),
        "GBP" => format!("{sign}£{amount}"),
        other => format!("{sign}{amount} {other}"),
    }
}

/// "Out of stock", "3 left", "In stock".
pub fn availability(stock: i64) -> String {
    match stock {
        i64::MIN..=0 => "Out of stock".to_owned(),
        1..=10 => format!("{stock} left"),
        _ => "In stock".to_owned(),
    }
}

/// The cover placeholder's hue (0..360), derived from the book's id.
pub fn cover_hue(id: &BookId) -> u32 {
    id.0.as_bytes()
        .iter()
        .fold(0u32, |h, b| h.wrapping_mul(31) + u32::from(*b))
        % 360
}

/// The cover placeholder's letters: the first alphanumeric initials of the title, at most two.
pub fn cover_initials(title: &str) -> String {
    title
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .filter(|c| c.is_alphanumeric())
        .take(2)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_availability_read_well() {
        assert_eq!(money(1250, "USD"), "$12.50");
        assert_eq!(money(5, "EUR"), "€0.05");
        assert_eq!(money(-300, "USD"), "-$3.00");
        assert_eq!(money(199, "CHF"), "1.99 CHF");
        assert_eq!(availability(0), "Out of stock");
        assert_eq!(availability(3), "3 left");
        assert_eq!(availability(11), "In stock");
        assert_eq!(cover_initials("the Rust book"), "tR");
        assert_eq!(cover_initials("¿ ok"), "o");
    }
}
