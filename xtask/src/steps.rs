//! Timing of the tasks' steps: every step (each `run`, and whatever is wrapped in [`timed`]) is
//! announced, timed on the wall clock and recorded; [`print_summary`] prints the table. Steps may
//! run on several threads at once (`cargo xtask run` builds the SPA beside the server): the
//! table gives each step's start, relative to the first, so overlaps show.
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct Step {
    name: String,
    start: Instant,
    took: Duration,
    ok: bool,
}

static STEPS: Mutex<Vec<Step>> = Mutex::new(Vec::new());
static ORIGIN: Mutex<Option<Instant>> = Mutex::new(None);

fn origin() -> Instant {
    *ORIGIN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get_or_insert_with(Instant::now)
}

/// Runs `f` as the step `name`: announces it, times it, records the outcome.
pub fn timed<T>(name: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    origin();
    eprintln!("==> {name}");
    let start = Instant::now();
    let result = f();
    let took = start.elapsed();
    let ok = result.is_ok();
    eprintln!(
        "==> {name}: {} in {}",
        if ok { "done" } else { "FAILED" },
        secs(took)
    );
    STEPS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(Step {
            name: name.to_owned(),
            start,
            took,
            ok,
        });
    result
}

/// Prints the steps recorded so far (and forgets them), ordered by start time, with the wall
/// time from the first step's start to now.
pub fn print_summary() {
    let mut steps = std::mem::take(
        &mut *STEPS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    if steps.is_empty() {
        return;
    }
    let origin = origin();
    steps.sort_by_key(|s| s.start);
    eprintln!();
    eprintln!(
        "==> timings (wall clock; a step that starts before the previous one ended ran beside it)"
    );
    eprintln!("{:>9} {:>9}  {:<6} step", "start", "took", "");
    for s in &steps {
        eprintln!(
            "{:>9} {:>9}  {:<6} {}",
            secs(s.start.saturating_duration_since(origin)),
            secs(s.took),
            if s.ok { "ok" } else { "FAILED" },
            s.name
        );
    }
    eprintln!("{:>9} {:>9}  total", "", secs(origin.elapsed()));
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}
