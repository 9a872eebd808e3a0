//! What adding and editing an endpoint share: its fields (URL, event types, enabled), checked by
//! the model's own rules before they are sent.
use bookstore_model::{EventType, Webhook, WebhookRequest, WebhookUrl};
use leptos::prelude::*;

/// An endpoint's fields, as typed.
#[derive(Clone, Copy)]
pub struct WebhookForm {
    pub url: RwSignal<String>,
    pub types: RwSignal<Vec<EventType>>,
    pub enabled: RwSignal<bool>,
}

impl WebhookForm {
    pub fn empty() -> Self {
        Self {
            url: RwSignal::new(String::new()),
            types: RwSignal::new(Vec::new()),
            enabled: RwSignal::new(true),
        }
    }

    pub fn fill(&self, w: &Webhook) {
        self.url.set(w.url.to_string());
        self.types.set(w.event_types.clone());
        self.enabled.set(w.enabled);
    }

    pub fn clear(&self) {
        self.url.set(String::new());
        self.types.set(Vec::new());
        self.enabled.set(true);
    }

    /// The request, or what to fix (in the API's words where the model has them).
    pub fn request(&self) -> Result<WebhookRequest, String> {
        let url = WebhookUrl::parse(self.url.get_untracked().trim()).map_err(|e| e.to_string())?;
        let chosen = self.types.get_untracked();
        // In the order of the list, whatever the order they were ticked in.
        let event_types: Vec<EventType> = EventType::WEBHOOK
            .iter()
            .copied()
            .filter(|t| chosen.contains(t))
            .collect();
        let req = WebhookRequest {
            url,
            event_types,
            enabled: self.enabled.get_untracked(),
        };
        req.validate()
            .map_err(|_| "Choose at least one event type.".to_owned())?;
        Ok(req)
    }
}

/// What an event type is, for the checkbox's description.
fn describe(t: EventType) -> &'static str {
    match t {
        EventType::OrderPlaced => "an order was placed (its copies reserved)",
        EventType::OrderPaid => "an order's payment was authorized",
        EventType::OrderPaymentFailed => "an order's card was declined",
        EventType::OrderCancelled => "an order was cancelled or expired unpaid",
        EventType::OrderShipped => "an order was shipped",
        EventType::OrderDelivered => "an order was delivered",
        EventType::ReturnRequested => "a customer asked to return copies",
        EventType::ReturnReceived => "returned copies are back in stock",
        EventType::RefundIssued => "money went back to a customer",
        EventType::BookCreated => "a book was added",
        EventType::BookUpdated => "a book's details or stock changed",
        EventType::BookDeleted => "a book was removed",
        EventType::StockBackInStock => "a sold-out book has copies again",
        EventType::StockLow => "a book's stock fell to its low-stock threshold",
        // Never offered (not in `EventType::WEBHOOK`).
        EventType::PasswordResetRequested
        | EventType::EmailChangeRequested
        | EventType::StaffInvited => "",
    }
}

/// The id of an event type's checkbox: `<prefix>-type-book-created`.
pub fn type_box_id(prefix: &str, t: EventType) -> String {
    format!("{prefix}-type-{}", t.as_str().replace('.', "-"))
}

/// The labelled inputs of a [`WebhookForm`]; `prefix` keeps ids unique on the page.
#[component]
pub fn WebhookFields(form: WebhookForm, prefix: String) -> impl IntoView {
    let url_id = format!("{prefix}-url");
    let enabled_id = format!("{prefix}-enabled");
    let boxes = EventType::WEBHOOK
        .iter()
        .copied()
        .map(|t| {
            let id = type_box_id(&prefix, t);
            view! {
                <li>
                    <input
                        type="checkbox"
                        id=id.clone()
                        value=t.as_str()
                        prop:checked=move || form.types.with(|v| v.contains(&t))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            form.types.update(|v| {
                                v.retain(|x| *x != t);
                                if on {
                                    v.push(t);
                                }
                            });
                        }
                    />
                    <label for=id>
                        <code>{t.as_str()}</code>
                        <span class="muted">{format!(" – {}", describe(t))}</span>
                    </label>
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="field">
            <label for=url_id.clone()>"URL"</label>
            <input
                id=url_id
                name="url"
                type="url"
                inputmode="url"
                autocomplete="off"
                placeholder="https://example.com/hooks/bookstore"
                prop:value=move || form.url.get()
                on:input=move |ev| form.url.set(event_target_value(&ev))
            />
        </div>
        <fieldset class="event-types">
            <legend>"Events to send"</legend>
            <ul class="checks">{boxes}</ul>
        </fieldset>
        <div class="check">
            <input
                type="checkbox"
                id=enabled_id.clone()
                prop:checked=move || form.enabled.get()
                on:change=move |ev| form.enabled.set(event_target_checked(&ev))
            />
            <label for=enabled_id>"Enabled (deliveries are made only while enabled)"</label>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_becomes_a_request_in_the_lists_order_or_says_what_to_fix() {
        let form = WebhookForm::empty();
        form.url.set(" https://example.com/hooks ".into());
        assert_eq!(
            form.request().unwrap_err(),
            "Choose at least one event type."
        );
        form.types
            .set(vec![EventType::BookDeleted, EventType::OrderPlaced]);
        let req = form.request().unwrap();
        assert_eq!(req.url.as_str(), "https://example.com/hooks");
        assert_eq!(
            req.event_types,
            vec![EventType::OrderPlaced, EventType::BookDeleted]
        );
        assert!(req.enabled);
        form.url.set("ftp://example.com".into());
        assert!(form.request().unwrap_err().contains("http://"));
        assert_eq!(
            type_box_id("wh-new", EventType::BookCreated),
            "wh-new-type-book-created"
        );
    }
}
