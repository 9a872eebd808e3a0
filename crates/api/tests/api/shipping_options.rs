//! `/api/v1/shipping-options`: the configured ways to ship, for anyone.
use crate::helpers::*;
use bookstore_model::*;

fn ids(options: &ShippingOptions) -> Vec<&str> {
    options.options.iter().map(|o| o.id.as_str()).collect()
}

fn in_country(c: &str) -> ShippingQuery {
    ShippingQuery {
        country: Some(CountryCode::parse(c).unwrap()),
    }
}

#[tokio::test]
async fn the_defaults_with_and_without_a_country() {
    let app = TestApp::spawn().await;
    let all = app
        .api
        .shipping_options(&ShippingQuery::default())
        .await
        .unwrap();
    assert_eq!(all.currency.as_str(), "EUR");
    assert_eq!(ids(&all), ["standard", "express"]);
    let standard = &all.options[0];
    assert!(standard.countries.is_empty(), "everywhere");
    assert!(standard.delivery_days_min <= standard.delivery_days_max);

    let de = app.api.shipping_options(&in_country("DE")).await.unwrap();
    assert_eq!(ids(&de), ["standard", "express"]);
    let us = app.api.shipping_options(&in_country("US")).await.unwrap();
    assert_eq!(ids(&us), ["standard"]);
    assert_eq!(us.currency.as_str(), "EUR");
}

#[tokio::test]
async fn configured_options_and_a_bad_country_filter() {
    let app = TestApp::spawn_with(|s| {
        s.currency = "USD".into();
        s.shipping_options = vec![ShippingOption {
            id: "ground".into(),
            name: "Ground".into(),
            price_per_order_cents: 599,
            price_per_item_cents: 50,
            countries: vec![CountryCode::parse("US").unwrap()],
            delivery_days_min: 2,
            delivery_days_max: 6,
        }];
    })
    .await;
    let all = app
        .api
        .shipping_options(&ShippingQuery::default())
        .await
        .unwrap();
    assert_eq!(all.currency.as_str(), "USD");
    assert_eq!(ids(&all), ["ground"]);
    assert_eq!(all.options[0].price_per_order_cents, 599);
    let none = app.api.shipping_options(&in_country("DE")).await.unwrap();
    assert!(none.options.is_empty());

    for bad in ["de", "XX", "DEU"] {
        let res = app
            .http
            .get(app.url(&format!("{}?country={bad}", paths::SHIPPING_OPTIONS)))
            .send()
            .await
            .unwrap();
        assert_problem(res, 400, "invalid_query").await;
    }
}

/// A mistake in the configuration stops the start.
#[tokio::test]
async fn invalid_shipping_settings_stop_the_start() {
    let data = tempfile::tempdir().unwrap();
    let mut settings = bookstore_api::settings::Settings::for_tests(data.path());
    settings.tax_rates.insert("XX".into(), 1900);
    let err = bookstore_api::startup::Application::build(settings)
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("tax_rates"), "{err}");
}
