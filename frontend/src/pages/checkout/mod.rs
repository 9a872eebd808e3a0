//! Checkout, in steps: where to ship, how, the card, a review, then the order.
//!
//! The order is placed with an `Idempotency-Key` kept with the cart for the body it was made for
//! ([`crate::cart::Cart::key_for`]): a retry (lost answer, provider unavailable) sends the same
//! key and is never bought twice; another card after a decline is another body, so another key.
//! The shop answers a card that needs 3-D Secure with the payment's `client_secret`: the
//! provider's script takes the shopper through it, then the shop settles the order.
mod address;
mod payment;
mod review;

pub use address::{PostalAddress, address_lines, estimate};

use crate::api::ApiError;
use crate::cart::use_cart;
use crate::components::money;
use crate::session::use_session;
use crate::use_api;
use address::{AddressStep, ShippingStep, shipping_cents};
use bookstore_model::{
    Address, AddressId, AddressInput, BookId, Order, OrderId, PaymentMethodId, PlaceOrder,
    ProblemCode, ShippingOption,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use payment::{CardSlot, PaymentStep};
use review::Review;

/// Where the order goes: an address of the book (by id), or one given with this order.
#[derive(Debug, Clone, PartialEq)]
pub struct ShipTo {
    pub address: AddressInput,
    pub saved: Option<AddressId>,
}

impl ShipTo {
    fn saved(a: &Address) -> Self {
        Self {
            address: address::input_of(a),
            saved: Some(a.id),
        }
    }

    fn one_off(address: AddressInput) -> Self {
        Self {
            address,
            saved: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Address,
    Shipping,
    Payment,
    Review,
}

/// The last attempt's failure, other than a declined card.
#[derive(Debug, Clone)]
struct Failure {
    error: ApiError,
    /// The same body may be sent again with the same key.
    retry: bool,
}

#[component]
pub fn CheckoutPage() -> impl IntoView {
    let title = crate::components::page_title(|| "Checkout".to_owned());
    let session = use_session();
    let cart = use_cart();
    let navigate = use_navigate();
    // Signed out: log in first, and come back here.
    Effect::new(move |_| {
        if !session.is_logged_in() {
            navigate("/login?next=/checkout", Default::default());
        }
    });
    view! {
        {title}
        <section class="page checkout">
            <h1>"Checkout"</h1>
            <Show
                when=move || session.is_logged_in()
                fallback=|| view! { <p class="notice"><A href="/login?next=/checkout">"Log in"</A> " to check out."</p> }
            >
                <Show
                    when=move || { cart.count() > 0 }
                    fallback=|| view! { <p class="empty">"Your cart is empty. " <A href="/books">"Browse the catalogue"</A> "."</p> }
                >
                    <Checkout />
                </Show>
            </Show>
        </section>
    }
}

#[component]
fn Checkout() -> impl IntoView {
    let api = use_api();
    let cart = use_cart();
    let navigate = use_navigate();
    let step = RwSignal::new(Step::Address);
    let ship_to: RwSignal<Option<ShipTo>> = RwSignal::new(None);
    let shipping: RwSignal<Option<(ShippingOption, String)>> = RwSignal::new(None);
    // The payment method made of the card, and the card that made it (for 3-D Secure).
    let method: RwSignal<Option<String>> = RwSignal::new(None);
    let card: CardSlot = StoredValue::new_local(None);
    let reached_payment = RwSignal::new(false);
    let declined: RwSignal<Option<String>> = RwSignal::new(None);
    let failure: RwSignal<Option<Failure>> = RwSignal::new(None);
    let placing: RwSignal<Option<&'static str>> = RwSignal::new(None);
    let copies = Signal::derive(move || cart.count());

    let go = move |s: Step| {
        if s == Step::Payment {
            reached_payment.set(true);
        }
        failure.set(None);
        step.set(s);
    };
    let on_address = Callback::new(move |t: ShipTo| {
        ship_to.set(Some(t));
        go(Step::Shipping);
    });
    let on_shipping = Callback::new(move |o: (ShippingOption, String)| {
        shipping.set(Some(o));
        go(if method.with_untracked(Option::is_some) {
            Step::Review
        } else {
            Step::Payment
        });
    });
    let on_method = Callback::new(move |id: String| {
        declined.set(None);
        method.set(Some(id));
        go(Step::Review);
    });

    let navigate = StoredValue::new_local(navigate);
    let finish = move |order: Order| {
        cart.clear();
        navigate.with_value(|n| {
            n(
                &format!("/orders/{}?placed=1", order.id),
                Default::default(),
            )
        });
    };
    // A refused card: back to the card step, with the provider's words.
    let refused = move |why: String| {
        method.set(None);
        declined.set(Some(why));
        placing.set(None);
        go(Step::Payment);
    };

    let place = move || {
        if placing.get_untracked().is_some() {
            return;
        }
        let (Some(to), Some((option, _)), Some(pm)) = (
            ship_to.get_untracked(),
            shipping.get_untracked(),
            method.get_untracked(),
        ) else {
            return;
        };
        let Ok(payment_method) = PaymentMethodId::parse(&pm) else {
            refused("The payment provider gave an unusable card reference.".into());
            return;
        };
        let body = PlaceOrder {
            lines: cart.state().line_requests(),
            address_id: to.saved,
            shipping_address: to.saved.is_none().then_some(to.address),
            shipping_option: option.id,
            payment_method,
        };
        let key = cart.key_for(&serde_json::to_string(&body).unwrap_or_default());
        placing.set(Some("Placing your order…"));
        failure.set(None);
        spawn_local(async move {
            let e = match api.place_order(&body, &key).await {
                Ok(order) => return finish(order),
                Err(e) => e,
            };
            match e.code() {
                Some(ProblemCode::PaymentDeclined) => refused(e.detail()),
                Some(ProblemCode::PaymentRequiresAction) => {
                    placing.set(Some("Confirm the payment with your bank…"));
                    let id = e
                        .problem
                        .as_ref()
                        .and_then(|p| p.location.as_deref())
                        .and_then(|l| l.rsplit('/').next())
                        .and_then(|s| s.parse::<OrderId>().ok());
                    let secret = e.problem.as_ref().and_then(|p| p.client_secret.clone());
                    let (Some(id), Some(secret), Some(field)) = (id, secret, card.get_value())
                    else {
                        placing.set(None);
                        failure.set(Some(Failure {
                            error: e,
                            retry: false,
                        }));
                        return;
                    };
                    let authenticated = field.authenticate(&secret).await;
                    placing.set(Some("Completing the payment…"));
                    match api.complete_payment(id).await {
                        Ok(order) if order.status == bookstore_model::OrderStatus::Paid => {
                            finish(order)
                        }
                        Ok(order) => refused(
                            authenticated
                                .err()
                                .or_else(|| order.payment.and_then(|p| p.failure))
                                .unwrap_or_else(|| "The bank did not confirm the payment.".into()),
                        ),
                        Err(e) if e.code() == Some(ProblemCode::PaymentDeclined) => {
                            refused(authenticated.err().unwrap_or_else(|| e.detail()))
                        }
                        Err(e) => {
                            placing.set(None);
                            failure.set(Some(Failure {
                                error: e,
                                retry: false,
                            }));
                        }
                    }
                }
                Some(ProblemCode::ShippingUnavailable) => {
                    placing.set(None);
                    shipping.set(None);
                    go(Step::Shipping);
                    failure.set(Some(Failure {
                        error: e,
                        retry: false,
                    }));
                }
                code => {
                    placing.set(None);
                    let retry = e.is_network()
                        || matches!(
                            code,
                            Some(ProblemCode::PaymentUnavailable | ProblemCode::ServiceUnavailable)
                        );
                    failure.set(Some(Failure { error: e, retry }));
                }
            }
        });
    };

    let summary_of = move |s: Step| -> Option<AnyView> {
        match s {
            Step::Address => ship_to
                .get()
                .map(|t| view! { <PostalAddress address=t.address /> }.into_any()),
            Step::Shipping => shipping.get().map(|(o, currency)| {
                view! {
                    <p>{format!("{} · {} · {}", o.name, estimate(&o), money(shipping_cents(&o, copies.get()), &currency))}</p>
                }
                .into_any()
            }),
            Step::Payment => method
                .get()
                .map(|_| view! { <p>"Card ready"</p> }.into_any()),
            Step::Review => None,
        }
    };
    let header = move |s: Step, n: u8, label: &'static str| {
        view! {
            <header class="step-head">
                <h2><span class="step-no">{n}</span>{label}</h2>
                <Show when=move || { step.get() > s && placing.get().is_none() }>
                    <button type="button" class="btn link" id=format!("change-{n}") on:click=move |_| go(s)>
                        "Change" <span class="sr-only">{format!(" {label}")}</span>
                    </button>
                </Show>
            </header>
            <Show when=move || step.get() != s>
                <div class="step-summary">{move || summary_of(s)}</div>
            </Show>
        }
    };

    view! {
        <ol class="steps">
            <li class="step" class:current=move || step.get() == Step::Address id="step-address">
                {header(Step::Address, 1, "Address")}
                <Show when=move || step.get() == Step::Address>
                    <AddressStep on_chosen=on_address />
                </Show>
            </li>
            <li class="step" class:current=move || step.get() == Step::Shipping id="step-shipping">
                {header(Step::Shipping, 2, "Shipping")}
                {move || (step.get() == Step::Shipping).then(|| {
                    let country = ship_to.get_untracked().map(|t| t.address.country).unwrap_or_default();
                    let current = shipping.get_untracked().map(|(o, _)| o.id);
                    view! { <ShippingStep country=country copies=copies current=current on_chosen=on_shipping /> }
                })}
            </li>
            <li class="step" class:current=move || step.get() == Step::Payment id="step-payment">
                {header(Step::Payment, 3, "Payment")}
                <Show when=move || reached_payment.get()>
                    <div hidden=move || step.get() != Step::Payment>
                        <PaymentStep card=card declined=declined on_method=on_method />
                    </div>
                </Show>
            </li>
            <li class="step" class:current=move || step.get() == Step::Review id="step-review">
                {header(Step::Review, 4, "Review and pay")}
                <Show when=move || step.get() == Step::Review>
                    <Review ship_to=ship_to shipping=shipping copies=copies failure=failure />
                    {move || failure.get().map(|f| view! { <CheckoutFailure failure=f retry=place /> })}
                    <button type="button" class="btn primary big" id="place-order"
                        on:click=move |_| place()
                        disabled=move || placing.get().is_some()
                        aria-busy=move || placing.get().is_some().to_string()>
                        {move || placing.get().unwrap_or("Place order and pay")}
                    </button>
                </Show>
            </li>
        </ol>
    }
}

/// Why the order was not placed, and what to do about it.
#[component]
fn CheckoutFailure(
    failure: Failure,
    retry: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let cart = use_cart();
    let e = failure.error;
    let title_of = move |id: BookId| {
        cart.state()
            .lines
            .iter()
            .find(|l| l.book_id == id)
            .map_or_else(|| id.to_string(), |l| l.title.clone())
    };
    let shortages = e
        .problem
        .as_ref()
        .and_then(|p| p.shortages.clone())
        .unwrap_or_default();
    let unknown = e
        .problem
        .as_ref()
        .and_then(|p| p.unknown_books.clone())
        .unwrap_or_default();
    let headline = if e.is_network() {
        "We could not confirm your order: the connection failed. Trying again is safe: it never \
         buys twice."
            .to_owned()
    } else if !shortages.is_empty() {
        "Some books ran out of stock while you were shopping. Nothing was bought or charged."
            .to_owned()
    } else if matches!(
        e.code(),
        Some(ProblemCode::PaymentUnavailable | ProblemCode::ServiceUnavailable)
    ) {
        format!(
            "{} Nothing was charged twice: trying again continues this very order.",
            e.detail()
        )
    } else {
        e.detail()
    };
    let node = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(el) = node.get() {
            let _ = el.focus();
        }
    });
    let adjust = {
        let s = shortages.clone();
        move |_| {
            for x in &s {
                cart.set_quantity(x.book_id, u32::try_from(x.available.max(0)).unwrap_or(0));
            }
        }
    };
    view! {
        <div class="error checkout-error" role="alert" tabindex="-1" node_ref=node>
            <p>{headline}</p>
            {(!shortages.is_empty()).then(|| view! {
                <ul class="shortages">
                    {shortages.iter().map(|s| {
                        let msg = if s.available <= 0 {
                            format!("{}: out of stock (you asked for {}).", title_of(s.book_id), s.requested)
                        } else {
                            format!("{}: only {} left (you asked for {}).", title_of(s.book_id), s.available, s.requested)
                        };
                        view! { <li>{msg}</li> }
                    }).collect_view()}
                </ul>
                <div class="buttons">
                    <button type="button" class="btn" id="adjust-cart" on:click=adjust.clone()>"Adjust my order to what is available"</button>
                    <A href="/cart" attr:class="btn">"Back to the cart"</A>
                </div>
            })}
            {(!unknown.is_empty()).then(|| {
                let ids = unknown.clone();
                view! {
                    <p>"Some books are no longer in the catalogue."</p>
                    <button type="button" class="btn" on:click=move |_| for id in &ids { cart.remove(*id); }>
                        "Remove them from my order"
                    </button>
                }
            })}
            {failure.retry.then(|| view! {
                <button type="button" class="btn" id="retry-order" on:click=move |_| retry()>"Try again"</button>
            })}
        </div>
    }
}
