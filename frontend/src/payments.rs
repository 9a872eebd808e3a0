//! The payment provider's script in the page: Stripe.js, or a script with its interface (in
//! tests and development, localstripe's), loaded from the `js_url` the shop configures and from
//! nowhere else. Card data goes from the provider's card element to the provider; the shop only
//! ever sees the payment method's id.
//!
//! Used through `Reflect`, not bindings: the script is loaded at run time, and only a few of its
//! calls are needed (`Stripe(pk)`, `elements().create('card')`, `mount`, `createPaymentMethod`,
//! `confirmCardPayment`). localstripe's `createPaymentMethod` answers nothing; a card token's
//! card (`card_…`, which payment intents take as a payment method) is used then.
use js_sys::{Array, Function, Object, Promise, Reflect};
use std::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

thread_local! {
    /// The script's load, once per page (a failed one is forgotten, so that it can be retried).
    static LOADING: RefCell<Option<(String, Promise)>> = const { RefCell::new(None) };
}

fn get(o: &JsValue, key: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn call(o: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, String> {
    let f = get(o, method)
        .dyn_into::<Function>()
        .map_err(|_| format!("the payment script has no {method}()"))?;
    let list = Array::new();
    for a in args {
        list.push(a);
    }
    f.apply(o, &list).map_err(|e| describe(&e))
}

async fn call_async(o: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, String> {
    let r = call(o, method, args)?;
    match r.dyn_into::<Promise>() {
        Ok(p) => JsFuture::from(p).await.map_err(|e| describe(&e)),
        Err(v) => Ok(v),
    }
}

/// A thrown value or a provider's `{ error: { message } }`, as words.
fn describe(e: &JsValue) -> String {
    let message = get(e, "message");
    if let Some(m) = message.as_string().filter(|m| !m.is_empty()) {
        return m;
    }
    e.as_string()
        .unwrap_or_else(|| "the payment provider refused the card details".to_owned())
}

/// The error of a provider's answer (`{ error: … }`), if it has one.
fn answer_error(answer: &JsValue) -> Option<String> {
    let e = get(answer, "error");
    (!e.is_undefined() && !e.is_null()).then(|| describe(&e))
}

fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

/// Loads the provider's script from `url` (once per page).
pub async fn load_script(url: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    if get(&window, "Stripe").is_function() {
        return Ok(());
    }
    let existing = LOADING.with(|l| {
        l.borrow()
            .as_ref()
            .filter(|(u, _)| u == url)
            .map(|(_, p)| p.clone())
    });
    let promise = match existing {
        Some(p) => p,
        None => {
            let document = window.document().ok_or("no document")?;
            let script = document
                .create_element("script")
                .map_err(|e| describe(&e))?;
            script.set_attribute("src", url).map_err(|e| describe(&e))?;
            script.set_id("payment-js");
            let promise = Promise::new(&mut |resolve, reject| {
                let _ = Reflect::set(&script, &JsValue::from_str("onload"), &resolve);
                let _ = Reflect::set(&script, &JsValue::from_str("onerror"), &reject);
            });
            document
                .body()
                .ok_or("no body")?
                .append_child(&script)
                .map_err(|e| describe(&e))?;
            LOADING.with(|l| *l.borrow_mut() = Some((url.to_owned(), promise.clone())));
            promise
        }
    };
    if JsFuture::from(promise).await.is_err() || !get(&window, "Stripe").is_function() {
        LOADING.with(|l| *l.borrow_mut() = None);
        if let Some(old) = window
            .document()
            .and_then(|d| d.get_element_by_id("payment-js"))
        {
            old.remove();
        }
        return Err("The payment form could not be loaded.".to_owned());
    }
    Ok(())
}

/// The provider's card element, mounted in the page.
#[derive(Clone)]
pub struct CardField {
    stripe: JsValue,
    card: JsValue,
}

impl CardField {
    /// Mounts a card element into `into` (the script must be loaded).
    pub fn mount(publishable_key: &str, into: &web_sys::Element) -> Result<Self, String> {
        let window = web_sys::window().ok_or("no window")?;
        let stripe = call(&window, "Stripe", &[JsValue::from_str(publishable_key)])?;
        let elements = call(&stripe, "elements", &[])?;
        let card = call(&elements, "create", &[JsValue::from_str("card")])?;
        call(&card, "mount", &[into.clone().into()])?;
        Ok(Self { stripe, card })
    }

    /// Makes a payment method of the card typed: its id, or the provider's words why not.
    pub async fn payment_method(&self) -> Result<String, String> {
        let req = object(&[
            ("type", JsValue::from_str("card")),
            ("card", self.card.clone()),
        ]);
        let answer = call_async(&self.stripe, "createPaymentMethod", &[req]).await?;
        if let Some(e) = answer_error(&answer) {
            return Err(e);
        }
        if let Some(id) = get(&get(&answer, "paymentMethod"), "id").as_string() {
            return Ok(id);
        }
        // A script without payment methods (localstripe): the token's card.
        let answer = call_async(
            &self.stripe,
            "createToken",
            std::slice::from_ref(&self.card),
        )
        .await?;
        if let Some(e) = answer_error(&answer) {
            return Err(e);
        }
        get(&get(&get(&answer, "token"), "card"), "id")
            .as_string()
            .ok_or_else(|| "the payment provider made no payment method".to_owned())
    }

    /// Takes the shopper through the card's authentication (3-D Secure) of the payment with
    /// `client_secret`; `Err` with the provider's words when it failed or was abandoned.
    pub async fn authenticate(&self, client_secret: &str) -> Result<(), String> {
        let answer = call_async(
            &self.stripe,
            "confirmCardPayment",
            &[JsValue::from_str(client_secret)],
        )
        .await?;
        match answer_error(&answer) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    pub fn destroy(&self) {
        let _ = call(&self.card, "destroy", &[]);
    }
}
