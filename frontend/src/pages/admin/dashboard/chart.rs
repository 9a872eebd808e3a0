//! A small SVG chart drawn by the app (no script from elsewhere): lines or bars over a shared
//! x axis, a y axis with three labelled ticks, a legend, and the exact value of a point shown
//! on hover or tap (and in each point's `<title>`, for screen readers and long presses). The
//! drawing has a fixed `viewBox` and scales to its container's width, down to a phone's.
use leptos::prelude::*;

const W: f64 = 640.0;
const H: f64 = 240.0;
/// Room for the y labels on the left and the x labels below.
const LEFT: f64 = 64.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;
const COLOURS: [&str; 6] = [
    "#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#0a7c86",
];

/// One line (or set of bars) of a chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

/// How a chart writes its values.
pub type Fmt = std::sync::Arc<dyn Fn(f64) -> String + Send + Sync>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Line,
    Bars,
}

/// A chart of `series` over the points labelled `labels`; `fmt` writes a value as shown.
#[component]
pub fn Chart(
    #[prop(into)] id: String,
    #[prop(into)] title: String,
    kind: Kind,
    labels: Vec<String>,
    series: Vec<Series>,
    fmt: Fmt,
) -> impl IntoView {
    let hovered: RwSignal<Option<(f64, f64, String)>> = RwSignal::new(None);
    let n = labels.len().max(1);
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0_f64, f64::max);
    let top = nice_ceiling(max);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let x_of = move |i: usize| match kind {
        Kind::Bars => LEFT + plot_w * (i as f64 + 0.5) / n as f64,
        Kind::Line if n == 1 => LEFT + plot_w / 2.0,
        Kind::Line => LEFT + plot_w * i as f64 / (n - 1) as f64,
    };
    let y_of = move |v: f64| TOP + plot_h * (1.0 - if top > 0.0 { v / top } else { 0.0 });
    let ticks = [0.0, top / 2.0, top]
        .into_iter()
        .map(|v| {
            let y = y_of(v);
            view! {
                <line class="grid" x1=LEFT x2=W - RIGHT y1=y y2=y />
                <text class="y-label" x=LEFT - 6.0 y=y + 4.0 text-anchor="end">{fmt(v)}</text>
            }
        })
        .collect_view();
    let x_labels = [0, n / 2, n - 1]
        .into_iter()
        .filter(|i| *i < labels.len())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|i| {
            let anchor = if i == 0 {
                "start"
            } else if i == n - 1 {
                "end"
            } else {
                "middle"
            };
            view! { <text class="x-label" x=x_of(i) y=H - 8.0 text-anchor=anchor>{labels[i].clone()}</text> }
        })
        .collect_view();
    let count = series.len().max(1);
    let bar_w = plot_w / n as f64 / count as f64 * 0.8;
    let marks = series
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let colour = COLOURS[k % COLOURS.len()];
            let points: Vec<(f64, f64, String)> = s
                .values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let x = match kind {
                        Kind::Bars => x_of(i) - bar_w * count as f64 / 2.0 + bar_w * k as f64,
                        Kind::Line => x_of(i),
                    };
                    let text = format!("{} · {}: {}", labels.get(i).cloned().unwrap_or_default(), s.name, fmt(*v));
                    (x, y_of(*v), text)
                })
                .collect();
            let line = (kind == Kind::Line).then(|| {
                let path = points
                    .iter()
                    .map(|(x, y, _)| format!("{x:.1},{y:.1}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                view! { <polyline class="series" points=path fill="none" stroke=colour stroke-width="2" /> }
            });
            let dots = points
                .into_iter()
                .map(|(x, y, text)| {
                    let (on_enter, on_tap, value) = (text.clone(), text.clone(), text.clone());
                    let show = move |_| hovered.set(Some((x, y, on_enter.clone())));
                    let tap = move |_| hovered.set(Some((x, y, on_tap.clone())));
                    match kind {
                        Kind::Bars => view! {
                            <rect class="point bar" x=x y=y width=bar_w.max(1.0) height=(TOP + plot_h - y).max(0.0)
                                fill=colour data-value=value on:pointerenter=show on:click=tap>
                                <title>{text}</title>
                            </rect>
                        }.into_any(),
                        Kind::Line => view! {
                            <circle class="point" cx=x cy=y r="4" fill=colour data-value=value
                                on:pointerenter=show on:click=tap>
                                <title>{text}</title>
                            </circle>
                        }.into_any(),
                    }
                })
                .collect_view();
            view! { <g class="series-group" data-series=s.name.clone()>{line}{dots}</g> }
        })
        .collect_view();
    let legend = series
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let colour = COLOURS[k % COLOURS.len()];
            view! { <li><span class="swatch" style=format!("background:{colour}")></span>{s.name.clone()}</li> }
        })
        .collect_view();
    let tip = move || {
        hovered.get().map(|(x, y, text)| {
            // Kept inside the drawing: left of the point on the right half.
            let anchor = if x > W / 2.0 { "end" } else { "start" };
            let dx = if x > W / 2.0 { -8.0 } else { 8.0 };
            view! { <text class="tip" x=x + dx y=(y - 8.0).max(TOP + 12.0) text-anchor=anchor>{text}</text> }
        })
    };
    view! {
        <figure class="chart" id=id>
            <figcaption>{title.clone()}</figcaption>
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=title
                on:pointerleave=move |_| hovered.set(None)>
                {ticks}
                <line class="axis" x1=LEFT x2=LEFT y1=TOP y2=TOP + plot_h />
                <line class="axis" x1=LEFT x2=W - RIGHT y1=TOP + plot_h y2=TOP + plot_h />
                {x_labels}
                {marks}
                {tip}
            </svg>
            <ul class="legend">{legend}</ul>
        </figure>
    }
}

/// The smallest of 1, 2, 2.5 or 5 times a power of ten at or above `v` (1 for nothing).
pub fn nice_ceiling(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|c| *c >= v)
        .unwrap_or(10.0 * p)
}

#[cfg(test)]
mod tests {
    use super::nice_ceiling;

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(180.0), 200.0);
        assert_eq!(nice_ceiling(2_100.0), 2_500.0);
        assert_eq!(nice_ceiling(0.03), 0.05);
    }
}
