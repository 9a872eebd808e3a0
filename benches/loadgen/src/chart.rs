//! The run's timeline as an SVG: completed interactions per second on top, latency
//! percentiles per second below (1 s buckets).
use crate::stats::TimelinePoint;
use plotters::prelude::*;
use std::path::Path;

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("drawing the chart: {e}")
}

/// A latency line: its name, colour and value.
type Series = (&'static str, RGBColor, fn(&TimelinePoint) -> f64);

pub fn draw(path: &Path, title: &str, points: &[TimelinePoint]) -> anyhow::Result<()> {
    let root = SVGBackend::new(path, (960, 720)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let root = root.titled(title, ("sans-serif", 20)).map_err(err)?;
    let (top, bottom) = root.split_vertically(340);
    let secs = points.len().max(2) as u64;
    let max_rate = points.iter().map(|p| p.completed).max().unwrap_or(1).max(1) as f64 * 1.1;
    let mut chart = ChartBuilder::on(&top)
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(70)
        .caption(
            "throughput (completed interactions per second)",
            ("sans-serif", 16),
        )
        .build_cartesian_2d(0u64..secs, 0f64..max_rate)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("second")
        .y_desc("per second")
        .draw()
        .map_err(err)?;
    chart
        .draw_series(LineSeries::new(
            points.iter().map(|p| (p.second, p.completed as f64)),
            BLUE.stroke_width(2),
        ))
        .map_err(err)?
        .label("completed")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
    chart
        .draw_series(LineSeries::new(
            points.iter().map(|p| (p.second, p.errors as f64)),
            RED.stroke_width(2),
        ))
        .map_err(err)?
        .label("errors")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;

    let max_ms = points.iter().map(|p| p.p99_ms).fold(1.0, f64::max) * 1.1;
    let mut chart = ChartBuilder::on(&bottom)
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(70)
        .caption("latency per second (ms)", ("sans-serif", 16))
        .build_cartesian_2d(0u64..secs, 0f64..max_ms)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("second")
        .y_desc("ms")
        .draw()
        .map_err(err)?;
    let series: [Series; 3] = [
        ("p50", GREEN, |p| p.p50_ms),
        ("p90", BLUE, |p| p.p90_ms),
        ("p99", RED, |p| p.p99_ms),
    ];
    for (name, color, f) in series {
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|p| (p.second, f(p))),
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}
