//! Books in from a CSV file (checked first, every problem shown by line and column), and the
//! catalogue and orders out as CSV files.
use super::AdminOnly;
use crate::api::ApiError;
use crate::components::ErrorBox;
use crate::use_api;
use bookstore_model::{ImportReport, OrderExportQuery, OrderStatus, ProblemCode};
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
    let run = move |dry_run: bool| {
        let Some(bytes) = file.get_untracked() else {
            return;
        };
        busy.set(Some(if dry_run {
            "Checking…"
        } else {
            "Importing…"
        }));
        error.set(None);
        report.set(None);
        spawn_local(async move {
            match api.import_books(bytes, dry_run).await {
                Ok(r) => report.set(Some(r)),
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
        </section>
    }
}

#[component]
fn Report(report: ImportReport) -> impl IntoView {
    let summary = if report.problem_count > 0 {
        format!(
            "{} rows; {} problems — nothing was imported. Fix them and check again.",
            report.rows, report.problem_count
        )
    } else if report.dry_run {
        format!("{} rows, no problems: ready to import.", report.rows)
    } else {
        format!(
            "Imported {} rows: {} added, {} changed, {} unchanged.",
            report.rows, report.created, report.updated, report.unchanged
        )
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
