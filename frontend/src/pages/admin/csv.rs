//! Books in from a CSV file (checked first, every problem shown by line and column; applied
//! in the background, its progress polled about once a second), the latest imports, and the
//! catalogue and orders out as CSV files.
use super::AdminOnly;
use crate::api::ApiError;
use crate::components::{ErrorBox, sleep};
use crate::use_api;
use bookstore_model::{
    BookImport, ImportId, ImportReport, ImportStatus, OrderExportQuery, OrderStatus, PageQuery,
    ProblemCode,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

#[component]
pub fn CsvPage() -> impl IntoView {
    let title = crate::components::page_title(|| "Import / export".to_owned());
    view! {
        {title}
        <AdminOnly>
            <ImportScreen />
            <ExportScreen />
        </AdminOnly>
    }
}

#[component]
fn ImportScreen() -> impl IntoView {
    let api = use_api();
    let file: RwSignal<Option<Vec<u8>>> = RwSignal::new(None);
    let report: RwSignal<Option<ImportReport>> = RwSignal::new(None);
    let busy: RwSignal<Option<&'static str>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let choose = move |ev: leptos::ev::Event| {
        report.set(None);
        error.set(None);
        let Some(picked) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|i| i.files())
            .and_then(|f| f.get(0))
        else {
            file.set(None);
            return;
        };
        spawn_local(async move {
            let buffer = wasm_bindgen_futures::JsFuture::from(picked.array_buffer()).await;
            file.set(buffer.ok().map(|b| js_sys::Uint8Array::new(&b).to_vec()));
        });
    };
    // The import being followed, and the latest ones.
    let current: RwSignal<Option<BookImport>> = RwSignal::new(None);
    let recent: RwSignal<Vec<BookImport>> = RwSignal::new(Vec::new());
    let follow = move |id: ImportId| {
        spawn_local(async move {
            loop {
                sleep(1000).await;
                if current.is_disposed() {
                    return;
                }
                match api.import(id).await {
                    Ok(i) => {
                        let running = is_running(&i);
                        current.set(Some(i));
                        if !running {
                            break;
                        }
                    }
                    Err(e) => {
                        error.set(Some(e));
                        break;
                    }
                }
            }
            if let Ok(page) = api.imports(&latest()).await {
                recent.set(page.items);
            }
        });
    };
    // On arrival: the latest imports; one still running (e.g. before a reload) is followed.
    spawn_local(async move {
        if let Ok(page) = api.imports(&latest()).await {
            if let Some(running) = page.items.iter().find(|i| is_running(i)).cloned() {
                let id = running.id;
                current.set(Some(running));
                follow(id);
            }
            recent.set(page.items);
        }
    });
    let run = move |dry_run: bool| {
        let Some(bytes) = file.get_untracked() else {
            return;
        };
        busy.set(Some(if dry_run {
            "Checking…"
        } else {
            "Checking and storing…"
        }));
        error.set(None);
        report.set(None);
        spawn_local(async move {
            let outcome = if dry_run {
                api.check_import(bytes).await.map(Some)
            } else {
                api.start_import(bytes).await.map(|started| {
                    let id = started.id;
                    current.set(Some(started));
                    follow(id);
                    None
                })
            };
            match outcome {
                Ok(r) => report.set(r),
                // A file with problems: the same report, nothing written.
                Err(e) if e.code() == Some(ProblemCode::ImportInvalid) => {
                    report.set(e.problem.and_then(|p| p.import).map(|r| *r));
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(None);
        });
    };
    view! {
        <section class="page admin import">
            <h1>"Import books"</h1>
            <p class="hint">
                "A CSV file, UTF-8, with a header row: isbn, title, authors (separated by ;), genre, "
                "price_cents, published_year; optional description, stock, stock_mode (keep or set). "
                "Books are matched by ISBN; an existing book keeps its stock unless stock_mode is set."
            </p>
            <label>
                "CSV file "
                <input type="file" accept=".csv,text/csv" name="csv" on:change=choose />
            </label>
            <div class="actions">
                <button type="button" class="btn" name="check"
                    disabled=move || file.with(Option::is_none) || busy.get().is_some()
                    on:click=move |_| run(true)>"Check"</button>
                <button type="button" class="btn primary" name="import"
                    disabled=move || file.with(Option::is_none) || busy.get().is_some()
                    on:click=move |_| run(false)>"Import"</button>
            </div>
            {move || busy.get().map(|b| view! {
                <p class="progress" role="status"><progress></progress> " " {b}</p>
            })}
            {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
            {move || report.get().map(|r| view! { <Report report=r /> })}
            {move || current.get().map(|i| view! { <Progress import=i /> })}
            <Recent imports=recent />
        </section>
    }
}

/// The latest imports, as the page lists them.
fn latest() -> PageQuery {
    PageQuery {
        limit: Some(10),
        cursor: None,
    }
}

fn is_running(i: &BookImport) -> bool {
    matches!(i.status, ImportStatus::Staging | ImportStatus::Running)
}

/// "x added, y changed, z unchanged" (and the failed rows, if any).
fn outcomes(i: &BookImport) -> String {
    let mut s = format!(
        "{} added, {} changed, {} unchanged",
        i.created, i.updated, i.unchanged
    );
    if i.failed > 0 {
        s.push_str(&format!(", {} failed", i.failed));
    }
    s
}

/// An import's progress bar and counts; once completed, its summary and failed rows.
#[component]
fn Progress(import: BookImport) -> impl IntoView {
    let summary = match import.status {
        ImportStatus::Staging | ImportStatus::Running => format!(
            "{} of {} rows — {}",
            import.done(),
            import.rows,
            outcomes(&import)
        ),
        ImportStatus::Completed => format!("Imported {} rows: {}.", import.rows, outcomes(&import)),
        ImportStatus::Abandoned => {
            "This import was interrupted before it started; nothing was imported. Send the file again."
                .to_owned()
        }
    };
    let failures = import.failures.clone();
    let more = (import.failed > failures.len() as u64)
        .then(|| format!("The first {} failed rows are shown.", failures.len()));
    view! {
        <div class="import-progress" role="status" id="import-progress">
            <progress value=import.done() max=import.rows.max(1)></progress>
            <p class="summary">{summary}</p>
            {more.map(|m| view! { <p class="hint">{m}</p> })}
            <Show when={
                let any = !failures.is_empty();
                move || any
            }>
                <div class="table-wrap">
                    <table class="problems stack">
                        <thead>
                            <tr>
                                <th scope="col">"Line"</th>
                                <th scope="col">"Not imported because"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {failures.iter().map(|f| view! {
                                <tr>
                                    <td data-label="Line">{f.line}</td>
                                    <td data-label="Not imported because">{f.message.clone()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </Show>
        </div>
    }
}

/// The latest imports: when, by whom, how far and what they did.
#[component]
fn Recent(imports: RwSignal<Vec<BookImport>>) -> impl IntoView {
    view! {
        <Show when=move || imports.with(|i| !i.is_empty())>
            <h2>"Latest imports"</h2>
            <div class="table-wrap">
                <table class="imports stack">
                    <thead>
                        <tr>
                            <th scope="col">"Started"</th>
                            <th scope="col">"By"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Rows"</th>
                            <th scope="col">"Outcome"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || imports.get().into_iter().map(|i| {
                            let status = match i.status {
                                ImportStatus::Staging => "storing",
                                ImportStatus::Running => "running",
                                ImportStatus::Completed => "completed",
                                ImportStatus::Abandoned => "abandoned",
                            };
                            view! {
                                <tr>
                                    <td data-label="Started">{i.started_at.format("%Y-%m-%d %H:%M UTC").to_string()}</td>
                                    <td data-label="By">{i.started_by.clone()}</td>
                                    <td data-label="Status">{status}</td>
                                    <td data-label="Rows">{format!("{} of {}", i.done(), i.rows)}</td>
                                    <td data-label="Outcome">{outcomes(&i)}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </Show>
    }
}

#[component]
fn Report(report: ImportReport) -> impl IntoView {
    let summary = if report.problem_count > 0 {
        format!(
            "{} rows; {} problems — nothing was imported. Fix them and check again.",
            report.rows, report.problem_count
        )
    } else {
        format!("{} rows, no problems: ready to import.", report.rows)
    };
    let more = (report.problem_count > report.problems.len() as u64)
        .then(|| format!("The first {} problems are shown.", report.problems.len()));
    view! {
        <div class="import-report" role="status">
            <p class="summary">{summary}</p>
            {more.map(|m| view! { <p class="hint">{m}</p> })}
            <Show when={
                let any = !report.problems.is_empty();
                move || any
            }>
                <div class="table-wrap">
                    <table class="problems stack">
                        <thead>
                            <tr>
                                <th scope="col">"Line"</th>
                                <th scope="col">"Column"</th>
                                <th scope="col">"Problem"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {report.problems.iter().map(|p| view! {
                                <tr>
                                    <td data-label="Line">{p.line}</td>
                                    <td data-label="Column">{p.column.clone().unwrap_or_default()}</td>
                                    <td data-label="Problem">{p.message.clone()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </Show>
        </div>
    }
}

#[component]
fn ExportScreen() -> impl IntoView {
    let api = use_api();
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let save = move |name: &'static str, r: Result<Vec<u8>, ApiError>| match r {
        Ok(bytes) => error.set(download(name, &bytes).err()),
        Err(e) => error.set(Some(e.detail())),
    };
    let books = move |_| {
        spawn_local(async move { save("books.csv", api.export_books().await) });
    };
    let orders = move |_| {
        // Dates from the pickers are whole days in UTC; `to` includes its day.
        let day = |s: String, plus: i64| {
            chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.checked_add_days(chrono::Days::new(plus as u64)))
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        };
        let q = OrderExportQuery {
            from: day(from.get_untracked(), 0),
            to: day(to.get_untracked(), 1),
            status: OrderStatus::ALL
                .iter()
                .copied()
                .find(|s| s.as_str() == status.get_untracked()),
        };
        spawn_local(async move { save("orders.csv", api.export_orders(&q).await) });
    };
    view! {
        <section class="page admin export">
            <h2>"Export"</h2>
            <button type="button" class="btn" name="export-books" on:click=books>"Catalogue (CSV)"</button>
            <fieldset>
                <legend>"Orders"</legend>
                <label>"From " <input type="date" bind:value=from /></label>
                <label>"To " <input type="date" bind:value=to /></label>
                <label>
                    "Status "
                    <select on:change=move |ev| status.set(event_target_value(&ev))>
                        <option value="">"Any"</option>
                        {OrderStatus::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.as_str()}</option> }).collect_view()}
                    </select>
                </label>
                <button type="button" class="btn" name="export-orders" on:click=orders>"Orders (CSV)"</button>
            </fieldset>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}

/// Offers `bytes` to the browser as a CSV download named `name`.
fn download(name: &str, bytes: &[u8]) -> Result<(), String> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes).into());
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("text/csv");
    let failed = || "The browser could not make the file.".to_owned();
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts)
        .map_err(|_| failed())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| failed())?;
    let a = document()
        .create_element("a")
        .ok()
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        .ok_or_else(failed)?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}
