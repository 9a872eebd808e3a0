//! The dashboard: sales and operations drawn as SVG charts with data, an exact value on tap,
//! readable at a phone's width.
use crate::support::*;

#[tokio::test]
async fn the_dashboard_charts_sales_and_operations_with_values_on_hover() {
    let _serial = serial().await;
    let shop = Shop::start_with(|s| s.ops_flush_ms = 200).await;
    let novel = shop.book("Charted Novel", "Dana Plot", 1500, 20).await;
    let verse = shop.book("Charted Verse", "Eli Axis", 900, 20).await;
    let (_, shopper) = shop.customer().await;
    let mut gross = 0;
    for (book, copies) in [(novel.id, 3), (verse.id, 1), (novel.id, 1)] {
        let placed = shopper
            .place_order(&order_of(book, copies), None)
            .await
            .expect("an order");
        gross += placed.value.total_cents;
    }
    let gross = format!("${}.{:02}", gross / 100, gross % 100);
    let b = Browser::start(&shop.url).await;
    b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    b.click_text("nav a", "Dashboard").await;
    b.wait_path(|p| p == "/admin/dashboard", "the dashboard")
        .await;
    b.wait_title("Dashboard · Bookstore").await;

    // Sales: the figures, the top lists and bars with their values.
    b.wait_contains("#top-titles", "Charted Novel").await;
    // Four copies at $15.00.
    b.wait_contains("#top-titles tbody tr:first-child", "$60.00")
        .await;
    b.wait_contains("#sales .tiles", &gross).await;
    let bars =
        b.c.find_all(fantoccini::Locator::Css("#chart-revenue rect.point"))
            .await
            .unwrap();
    // The last 24 hours and the current one (unless now is on the hour), gross and refunded.
    assert!(matches!(bars.len(), 48 | 50), "{} bars", bars.len());
    let busy = "#chart-revenue rect.point:not([height='0'])";
    b.find(busy).await;
    b.click(busy).await;
    b.wait_contains("#chart-revenue text.tip", "gross: $").await;
    b.wait_contains("#chart-orders", "orders").await;

    // Operations: this instance's requests, recorded every 200 ms; a reload picks them up.
    b.click("#range-day").await;
    b.wait_contains("#operations .hint", "1 instance(s)").await;
    assert_eq!(b.find("#dashboard-error").await.text().await.unwrap(), "");
    let served = "#chart-requests circle.point[data-value*='all instances']";
    b.find(served).await;
    let busy =
        b.c.execute(
            "return [...document.querySelectorAll(arguments[0])]\
             .filter(c => !c.dataset.value.endsWith(' 0.00 req/s')).length;",
            vec![serde_json::json!(served)],
        )
        .await
        .unwrap();
    assert!(busy.as_u64().unwrap_or(0) > 0, "no minute with requests");
    for chart in [
        "#chart-latency",
        "#chart-errors",
        "#chart-cpu",
        "#chart-network",
    ] {
        b.find(&format!("{chart} polyline.series")).await;
    }
    b.screenshot("admin-dashboard").await;

    // A phone: the charts shrink to the width, nothing scrolls sideways.
    b.c.set_window_size(390, 844).await.unwrap();
    b.click("#range-week").await;
    b.wait_contains("#top-titles", "Charted Novel").await;
    b.wait_contains("#operations .hint", "a point per 30 min")
        .await;
    let problem = b.find("#dashboard-error").await.text().await.unwrap();
    assert_eq!(problem, "", "7 days: the operations' last 48 hours");
    b.fits_width("the dashboard on a phone").await;
    let width =
        b.c.execute(
            "return document.querySelector('#chart-revenue svg').getBoundingClientRect().width;",
            vec![],
        )
        .await
        .unwrap();
    let width = width.as_f64().unwrap_or(0.0);
    assert!(
        width > 200.0 && width <= 390.0,
        "the chart is {width} px wide"
    );
    b.screenshot("phone-admin-dashboard").await;
    b.close().await;
}
