//! The shop's mails, each in plain text and HTML, from an event's data. Everything a customer
//! or the owner typed is escaped in the HTML part.
use bookstore_model::{Book, Event, EventType, Order, ReturnReceipt, StockLow};
use std::fmt::Write;

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Whom an event is mailed to, if anyone: the customer of the order it is about, or the
/// address an account link is for. (`stock.low` goes to the configured `mail.stock_alerts_to`,
/// which the event does not carry.)
pub fn recipient(event: &Event) -> Option<String> {
    let email = match event.type_ {
        EventType::PasswordResetRequested
        | EventType::EmailChangeRequested
        | EventType::StaffInvited => event.data.get("email"),
        EventType::OrderPaid | EventType::OrderShipped | EventType::OrderCancelled => {
            event.data.get("customer_email")
        }
        EventType::ReturnReceived => event
            .data
            .get("order")
            .and_then(|o| o.get("customer_email")),
        _ => None,
    }?;
    email.as_str().filter(|e| !e.is_empty()).map(str::to_owned)
}

/// The mail of an event, if it has one; `shop` is the shop's public URL for links.
pub fn render(event: &Event, shop: &str) -> Option<Mail> {
    match event.type_ {
        EventType::OrderPaid | EventType::OrderShipped | EventType::OrderCancelled => {
            let order: Order = serde_json::from_value(event.data.clone()).ok()?;
            Some(order_mail(event.type_, &order, shop))
        }
        EventType::ReturnReceived => {
            let r: ReturnReceipt = serde_json::from_value(event.data.clone()).ok()?;
            Some(return_received(&r, shop))
        }
        EventType::StockBackInStock => {
            let b: Book = serde_json::from_value(event.data.clone()).ok()?;
            Some(back_in_stock(&b, shop))
        }
        EventType::StockLow => {
            let low: StockLow = serde_json::from_value(event.data.clone()).ok()?;
            Some(stock_low(&low, shop))
        }
        EventType::PasswordResetRequested => Some(account_link(
            event,
            shop,
            "reset-password",
            "Reset your password",
            "Someone (we hope you) asked to reset the password of your account. Follow this \
link to choose a new one",
            "If it was not you, ignore this mail: your password stays as it is.",
        )?),
        EventType::EmailChangeRequested => Some(account_link(
            event,
            shop,
            "confirm-email",
            "Confirm your new e-mail address",
            "Your account asked to use this address from now on. Follow this link to confirm it",
            "If it was not you, ignore this mail: nothing changes.",
        )?),
        EventType::StaffInvited => {
            let role = event.data.get("role").and_then(|r| r.as_str())?;
            let by = event.data.get("invited_by").and_then(|n| n.as_str())?;
            account_link(
                event,
                shop,
                "staff-invitation",
                "You are invited to the shop's staff",
                &format!(
                    "{by} invites you to run the shop with them as {role}. Follow this link to \
accept, with a new account or the one you have under this address"
                ),
                "If you did not expect this, ignore this mail: nothing changes.",
            )
        }
        _ => None,
    }
}

/// To the shoppers who asked (their addresses come from their subscriptions, not the event).
fn back_in_stock(b: &Book, shop: &str) -> Mail {
    let subject = format!("Back in stock: {}", b.title);
    let link = format!("{shop}/books/{}", b.id);
    let text = format!(
        "Good news: {} is back in stock ({} copies right now).\n\n{link}\n\n\
You asked to be told once; you will not get this mail again for this book.\n",
        b.title, b.stock
    );
    let html = page(
        &subject,
        &format!(
            "<h1>Back in stock</h1><p><strong>{}</strong> is back in stock ({} copies right \
now).</p><p><a href=\"{}\">See the book</a></p><p>You asked to be told once; you will not get \
this mail again for this book.</p>",
            escape(b.title.as_str()),
            b.stock,
            escape(&link)
        ),
    );
    Mail {
        subject,
        text,
        html,
    }
}

/// To the shop: a book's stock reached its low-stock threshold.
fn stock_low(low: &StockLow, shop: &str) -> Mail {
    let b = &low.book;
    let subject = format!("Low stock: {}", b.title);
    let link = format!("{shop}/admin");
    let text = format!(
        "{} (ISBN {}) is down to {} copies, at or below its low-stock threshold of {}.\n\n\
Restock it from the inventory: {link}\n",
        b.title,
        b.isbn.as_str(),
        b.stock,
        low.threshold
    );
    let html = page(
        &subject,
        &format!(
            "<h1>Low stock</h1><p><strong>{}</strong> (ISBN {}) is down to {} copies, at or below \
its low-stock threshold of {}.</p><p><a href=\"{}\">Open the inventory</a></p>",
            escape(b.title.as_str()),
            escape(b.isbn.as_str()),
            b.stock,
            low.threshold,
            escape(&link)
        ),
    );
    Mail {
        subject,
        text,
        html,
    }
}

fn money(cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02} {currency}", c / 100, c % 100)
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{}</title></head>\
<body style=\"font-family:sans-serif;max-width:36em\">{body}</body></html>",
        escape(title)
    )
}

/// The mails of an order's life: confirmed (paid), shipped, cancelled. Each lists the lines and
/// the totals and links to the order.
fn order_mail(kind: EventType, o: &Order, shop: &str) -> Mail {
    let cur = o.currency.as_str();
    let id = short(&o.id.to_string()).to_owned();
    let tracking = o.shipping.as_ref().map(|s| {
        format!(
            "{} {}",
            s.carrier.as_deref().unwrap_or_default(),
            s.tracking_number.as_deref().unwrap_or_default()
        )
    });
    let (subject, lead) = match kind {
        EventType::OrderShipped => (
            format!("Your order {id} is on its way"),
            format!(
                "Your order has left the shop. Tracking: {}.",
                tracking.unwrap_or_default().trim()
            ),
        ),
        EventType::OrderCancelled => (
            format!("Your order {id} is cancelled"),
            "Your order is cancelled and nothing will be charged: the amount held on your card \
is released (or refunded, if it was taken)."
                .to_owned(),
        ),
        _ => (
            format!("Your order {id} is confirmed"),
            "Thank you for your order. Your card is authorized; it is charged when the order \
ships."
                .to_owned(),
        ),
    };
    let link = format!("{shop}/orders/{}", o.id);
    let mut text = format!("{lead}\n\nOrder {}\n\n", o.id);
    let mut rows = String::new();
    for l in &o.lines {
        let line_total = l.unit_price_cents * i64::from(l.quantity);
        let _ = writeln!(
            text,
            "{} x {}  {}",
            l.quantity,
            l.title,
            money(line_total, cur)
        );
        let _ = write!(
            rows,
            "<tr><td>{}</td><td>{}</td><td style=\"text-align:right\">{}</td></tr>",
            l.quantity,
            escape(l.title.as_str()),
            money(line_total, cur)
        );
    }
    let mut sums = vec![
        ("Items", o.items_cents),
        ("Shipping", o.shipping_cents),
        ("Tax", o.tax_cents),
    ];
    sums.retain(|(_, c)| *c != 0);
    let total = money(o.total_cents, cur);
    let mut html_sums = String::new();
    for (what, cents) in sums {
        let _ = write!(text, "\n{what}: {}", money(cents, cur));
        let _ = write!(html_sums, "<p>{what}: {}</p>", money(cents, cur));
    }
    let _ = write!(text, "\nTotal: {total}\n");
    let mut ship_to = String::new();
    if let Some(s) = &o.shipping {
        let a = &s.address;
        let _ = write!(
            text,
            "\nShipping to: {}, {}, {} {}, {} ({})\n",
            a.name, a.line1, a.postal_code, a.city, a.country, s.option_name
        );
        ship_to = format!(
            "<p>Shipping to: {}, {}, {} {}, {} ({})</p>",
            escape(&a.name),
            escape(&a.line1),
            escape(&a.postal_code),
            escape(&a.city),
            escape(&a.country),
            escape(&s.option_name)
        );
    }
    let _ = write!(text, "\nFollow your order: {link}\n");
    let html = page(
        &subject,
        &format!(
            "<h1>{}</h1><p>{}</p><p>Order {}</p><table>{rows}</table>{html_sums}\
<p><strong>Total: {total}</strong></p>{ship_to}<p><a href=\"{}\">Follow your order</a></p>",
            escape(&subject),
            escape(&lead),
            o.id,
            escape(&link)
        ),
    );
    Mail {
        subject,
        text,
        html,
    }
}

fn return_received(r: &ReturnReceipt, shop: &str) -> Mail {
    let cur = r.order.currency.as_str();
    let ret = &r.return_;
    let copies: u32 = ret.lines.iter().map(|l| l.quantity).sum();
    let refund = money(ret.refund_cents, cur);
    let subject = format!(
        "We received your return for order {}",
        short(&r.order.id.to_string())
    );
    let link = format!("{shop}/orders/{}", r.order.id);
    let text = format!(
        "We received {copies} returned cop{} from order {}.\n\nReason: {}\nRefund: {refund}\n\n\
Your order: {link}\n",
        if copies == 1 { "y" } else { "ies" },
        r.order.id,
        ret.reason
    );
    let html = page(
        &subject,
        &format!(
            "<h1>Return received</h1><p>We received {copies} returned cop{} from order {}.</p>\
<p>Reason: {}</p><p><strong>Refund: {refund}</strong></p><p><a href=\"{}\">Your order</a></p>",
            if copies == 1 { "y" } else { "ies" },
            r.order.id,
            escape(ret.reason.as_str()),
            escape(&link)
        ),
    );
    Mail {
        subject,
        text,
        html,
    }
}

/// A mail with a single-use link `{shop}/{page}?token=...` (the token is URL-safe base64).
fn account_link(
    event: &Event,
    shop: &str,
    page_path: &str,
    subject: &str,
    lead: &str,
    otherwise: &str,
) -> Option<Mail> {
    let token = event.data.get("token")?.as_str()?;
    let name = event
        .data
        .get("name")
        .and_then(|n| n.as_str())
        .unwrap_or("");
    let expires = event
        .data
        .get("expires_at")
        .and_then(|n| n.as_str())
        .unwrap_or("");
    let link = format!("{shop}/{page_path}?token={token}");
    let text = format!(
        "Hello {name},\n\n{lead} (it works once, until {expires}):\n\n{link}\n\n{otherwise}\n"
    );
    let html = page(
        subject,
        &format!(
            "<p>Hello {},</p><p>{} (it works once, until {}):</p><p><a href=\"{}\">{}</a></p>\
<p>{}</p>",
            escape(name),
            escape(lead),
            escape(expires),
            escape(&link),
            escape(subject),
            escape(otherwise)
        ),
    );
    Some(Mail {
        subject: subject.to_owned(),
        text,
        html,
    })
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_and_money_is_exact() {
        assert_eq!(
            escape("<b>\"x\" & 'y'</b>"),
            "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"
        );
        assert_eq!(money(1234, "EUR"), "12.34 EUR");
        assert_eq!(money(5, "USD"), "0.05 USD");
        assert_eq!(money(-250, "EUR"), "-2.50 EUR");
    }
}
