//! An endpoint's delivery log, newest first: each event's status, attempts and last answer,
//! paged with "Load more"; a finished delivery (succeeded or failed) can be sent again.
use crate::api::ApiError;
use crate::components::{ErrorBox, Loading, when};
use crate::use_api;
use bookstore_model::{Delivery, DeliveryStatus, EventId, ProblemCode, WebhookId};
use leptos::prelude::*;
use leptos::task::spawn_local;

pub fn status_label(s: DeliveryStatus) -> &'static str {
    match s {
        DeliveryStatus::Pending => "Pending",
        DeliveryStatus::Succeeded => "Succeeded",
        DeliveryStatus::Failed => "Failed",
    }
}

fn status_class(s: DeliveryStatus) -> &'static str {
    match s {
        DeliveryStatus::Pending => "pending",
        DeliveryStatus::Succeeded => "succeeded",
        DeliveryStatus::Failed => "failed",
    }
}

/// The last answer: `503`, `503: timed out`, the error alone, or a dash.
fn last_answer(d: &Delivery) -> String {
    match (d.last_status_code, &d.last_error) {
        (Some(c), Some(e)) => format!("{c}: {e}"),
        (Some(c), None) => c.to_string(),
        (None, Some(e)) => e.clone(),
        (None, None) => "—".to_owned(),
    }
}

fn time_or_dash(t: Option<&chrono::DateTime<chrono::Utc>>) -> String {
    t.map_or_else(|| "—".to_owned(), when)
}

/// `on_refreshed` is called each time the newest page has been (re)loaded: the endpoint's
/// own state (last success, disabled) may have changed with it.
#[component]
pub fn DeliveryLog(
    id: WebhookId,
    on_refreshed: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let api = use_api();
    let rows: RwSignal<Vec<Delivery>> = RwSignal::new(Vec::new());
    let cursor: RwSignal<Option<String>> = RwSignal::new(None);
    let loading = RwSignal::new(true);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let generation = StoredValue::new(0u64);
    // `None`: from the newest again (a refresh); `Some`: the next page, appended.
    let load = move |next: Option<String>| {
        let g = if next.is_none() {
            generation.get_value() + 1
        } else {
            generation.get_value()
        };
        generation.set_value(g);
        loading.set(true);
        spawn_local(async move {
            let append = next.is_some();
            let r = api.webhook_deliveries(id, next).await;
            if generation.get_value() != g {
                return;
            }
            match r {
                Ok(page) => {
                    if append {
                        rows.update(|d| d.extend(page.items));
                    } else {
                        rows.set(page.items);
                        on_refreshed();
                    }
                    cursor.set(page.next_cursor);
                    error.set(None);
                }
                Err(e) => error.set(Some(e)),
            }
            loading.set(false);
        });
    };
    load(None);
    let retried = move |d: Delivery| {
        rows.update(|all| {
            if let Some(x) = all.iter_mut().find(|x| x.event_id == d.event_id) {
                *x = d;
            }
        });
    };

    view! {
        <div class="delivery-log">
            <div class="title-row">
                <h4>"Deliveries"</h4>
                <button type="button" class="btn small refresh" disabled=move || loading.get() on:click=move |_| load(None)>
                    "Refresh"
                </button>
            </div>
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
            <table class="deliveries" aria-busy=move || loading.get().to_string()>
                <thead>
                    <tr>
                        <th scope="col">"Event"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col" class="num">"Attempts"</th>
                        <th scope="col">"Last answer"</th>
                        <th scope="col">"Last attempt"</th>
                        <th scope="col">"Next attempt"</th>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <For each=move || rows.get() key=|d| (d.event_id, d.status, d.attempts, d.last_attempt_at) let:d>
                    <DeliveryRow hook=id delivery=d on_retried=retried />
                </For>
            </table>
            <Show when=move || loading.get() && rows.with(Vec::is_empty)>
                <Loading label="Loading the deliveries…" />
            </Show>
            <Show when=move || !loading.get() && rows.with(Vec::is_empty) && error.with(Option::is_none)>
                <p class="muted no-deliveries">"No deliveries yet: events of its types will show here."</p>
            </Show>
            <Show when=move || cursor.with(Option::is_some)>
                <button type="button" class="btn load-more" disabled=move || loading.get() on:click=move |_| load(cursor.get_untracked())>
                    "Load more"
                </button>
            </Show>
        </div>
    }
}

#[component]
fn DeliveryRow(
    hook: WebhookId,
    delivery: Delivery,
    on_retried: impl Fn(Delivery) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let api = use_api();
    let event: EventId = delivery.event_id;
    let busy = RwSignal::new(false);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let status = delivery.status;
    let retry = move |_| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api.retry_delivery(hook, event).await {
                Ok(d) => on_retried(d),
                Err(e) if e.code() == Some(ProblemCode::DeliveryPending) => error.set(Some(format!(
                    "Not retried: {}. A delivery is sent again only once it has succeeded or failed; refresh the log to see where it stands.",
                    e.detail()
                ))),
                Err(e) => error.set(Some(e.detail())),
            }
            busy.set(false);
        });
    };
    let class = format!("delivery {}", status_class(status));
    view! {
        <tbody class=class data-event-id=event.to_string() data-status=status_class(status)>
            <tr>
                <td data-label="Event">
                    <code class="event-type">{delivery.event_type.as_str()}</code>
                    <span class="event-id muted small">{event.to_string()}</span>
                </td>
                <td data-label="Status">
                    <span class=format!("dstatus {}", status_class(status))>{status_label(status)}</span>
                </td>
                <td data-label="Attempts" class="num attempts">{delivery.attempts}</td>
                <td data-label="Last answer" class="last-answer">{last_answer(&delivery)}</td>
                <td data-label="Last attempt">{time_or_dash(delivery.last_attempt_at.as_ref())}</td>
                <td data-label="Next attempt">{time_or_dash(delivery.next_attempt_at.as_ref())}</td>
                <td class="retry-cell">
                    {(status != DeliveryStatus::Pending).then(|| view! {
                        <button type="button" class="btn small retry" on:click=retry disabled=move || busy.get()
                            aria-label=format!("Retry the delivery of event {event}")>
                            "Retry"
                        </button>
                    })}
                </td>
            </tr>
            {move || error.get().map(|m| view! {
                <tr class="detail-row">
                    <td colspan="7"><div class="error" role="alert"><p>{m}</p></div></td>
                </tr>
            })}
        </tbody>
    }
}
