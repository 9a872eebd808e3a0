//! `/api/v1/admin/imports/books`: a dry run reports every problem by line and column; an
//! import refuses a bad file whole, accepts a clean one (202) and writes it by ISBN in the
//! background (`imports_resume.rs`: progress, crashes, failed rows).
use crate::helpers::*;
use bookstore_model::*;
use std::time::Duration;

const HEADER: &str =
    "isbn,title,authors,genre,description,price_cents,published_year,stock,stock_mode\n";

/// A valid ISBN-13 made from `n`.
pub fn isbn(n: u64) -> String {
    let first12 = format!("978{n:09}");
    let digits: Vec<u32> = first12.bytes().map(|b| u32::from(b - b'0')).collect();
    format!("{first12}{}", isbn13_check_digit(&digits))
}

/// A problem as the tests expect it: line, column, code.
type Expected = (u64, Option<&'static str>, ImportProblemCode);

/// A file of `rows` books; the description of each holds a line break.
pub fn books_csv(rows: u64, offset: u64) -> String {
    let mut csv = String::from(HEADER);
    for n in offset..offset + rows {
        csv.push_str(&format!(
            "{},Imported title {n},Author {};Second Author,{},\"Line one.\nLine two.\",{},{},{},\n",
            isbn(n),
            n % 97,
            TEST_GENRES[(n % 6) as usize],
            100 + n,
            1900 + n % 120,
            n % 9
        ));
    }
    csv
}

async fn post_csv(app: &TestApp, body: Vec<u8>, dry_run: bool) -> reqwest::Response {
    app.http
        .post(app.url(&format!("{}?dry_run={dry_run}", paths::ADMIN_IMPORT_BOOKS)))
        .bearer_auth(app.admin.token().unwrap())
        .header("Content-Type", "text/csv; charset=utf-8")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Starts an import and waits until it has finished (a minute at most).
pub async fn import_and_wait(api: &bookstore_client::Client, csv: Vec<u8>) -> BookImport {
    let wait = api.admin_import_and_wait(csv, || tokio::time::sleep(Duration::from_millis(50)));
    let done = tokio::time::timeout(Duration::from_secs(120), wait)
        .await
        .expect("the import did not finish in two minutes")
        .unwrap();
    assert_eq!(done.status, ImportStatus::Completed, "{done:?}");
    assert_eq!(done.done(), done.rows, "{done:?}");
    done
}

async fn catalogue_size(app: &TestApp) -> usize {
    count_books(&app.api).await
}

/// Books in the catalogue, every page read.
pub async fn count_books(api: &bookstore_client::Client) -> usize {
    let mut n = 0;
    let mut q = BookQuery {
        limit: Some(100),
        ..Default::default()
    };
    loop {
        let page = api.list_books(&q).await.unwrap();
        n += page.items.len();
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => return n,
        }
    }
}

/// Imports a file, then again: the second time every row is unchanged. The books are in the
/// catalogue, searchable, with their stock; only `stock_mode=set` moves an existing stock.
#[tokio::test]
async fn an_import_adds_books_once_by_isbn() {
    let app = TestApp::spawn().await;
    // DynamoDB Local is slow: a smaller file there.
    let rows = if std::env::var("BOOKSTORE_TEST_STORE").as_deref() == Ok("dynamodb") {
        150
    } else {
        1500
    };
    let csv = books_csv(rows, 0);
    let dry = app
        .admin
        .admin_check_import(csv.clone().into_bytes())
        .await
        .unwrap();
    assert_eq!((dry.rows, dry.problem_count, dry.created), (rows, 0, 0));
    assert_eq!(catalogue_size(&app).await, 0);

    let started = std::time::Instant::now();
    let done = import_and_wait(&app.admin, csv.clone().into_bytes()).await;
    eprintln!(
        "imported {rows} rows in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!((done.created, done.updated, done.unchanged), (rows, 0, 0));
    let again = import_and_wait(&app.admin, csv.into_bytes()).await;
    assert_eq!(
        (again.created, again.updated, again.unchanged),
        (0, 0, rows)
    );
    assert_eq!(catalogue_size(&app).await, rows as usize);

    let found = app
        .api
        .list_books(&BookQuery {
            q: Some(isbn(7)),
            ..Default::default()
        })
        .await
        .unwrap();
    let book = &found.items[0];
    assert_eq!(book.title.as_str(), "Imported title 7");
    assert_eq!(book.authors.len(), 2);
    assert_eq!(book.description.as_str(), "Line one.\nLine two.");
    assert_eq!(book.stock, 7);

    // Stock kept by default, set on request.
    let edit = format!(
        "{HEADER}{},Imported title 7,Author 7;Second Author,fiction,,107,1907,40,\n",
        isbn(7)
    );
    let r = import_and_wait(&app.admin, edit.clone().into_bytes()).await;
    assert_eq!(r.updated, 1);
    assert_eq!(app.api.get_book(book.id).await.unwrap().stock, 7);
    let r = import_and_wait(&app.admin, edit.replace("40,\n", "40,set\n").into_bytes()).await;
    assert_eq!(r.updated, 1);
    let after = app.api.get_book(book.id).await.unwrap();
    assert_eq!((after.stock, after.description.as_str()), (40, ""));
}

/// Every bad file: the dry run says what and where; the import refuses it (422
/// `import_invalid`, same problems) and writes nothing.
#[tokio::test]
async fn bad_files_are_refused_and_write_nothing() {
    let app = TestApp::spawn().await;
    let good = |n: u64| format!("{},Good,A,fiction,,1,2000,,\n", isbn(n));
    let mut latin1 = format!("{HEADER}{}", good(1)).into_bytes();
    latin1.extend(format!("{},Caf", isbn(2)).as_bytes());
    latin1.extend(b"\xE9,B,fiction,,1,2000,,\n");
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            format!("{HEADER}{}", good(1))
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    let huge = format!(
        "{HEADER}{}{},{},A,fiction,,1,2000,,\n",
        good(1),
        isbn(2),
        "x".repeat(50 << 20)
    );
    let cases: Vec<(&str, Vec<u8>, Vec<Expected>)> = vec![
        (
            "latin-1",
            latin1,
            vec![(3, None, ImportProblemCode::Encoding)],
        ),
        (
            "utf-16",
            utf16,
            vec![(1, None, ImportProblemCode::Encoding)],
        ),
        (
            "missing column",
            format!("isbn,title,authors,genre,price_cents\n{}", isbn(1)).into_bytes(),
            vec![(1, Some("published_year"), ImportProblemCode::MissingColumn)],
        ),
        (
            "unknown column",
            format!("{}extra\n", HEADER.trim_end().to_owned() + ",").into_bytes(),
            vec![(1, Some("extra"), ImportProblemCode::UnknownColumn)],
        ),
        (
            "quoted newline in a title",
            format!(
                "{HEADER}{}{},\"Two\nlines\",A,fiction,,1,2000,,\n",
                good(1),
                isbn(2)
            )
            .into_bytes(),
            vec![(3, Some("title"), ImportProblemCode::NewlineInField)],
        ),
        (
            "unterminated quote",
            format!(
                "{HEADER}{}{},\"Open,A,fiction,,1,2000,,\n{}",
                good(1),
                isbn(2),
                good(3)
            )
            .into_bytes(),
            vec![(3, None, ImportProblemCode::UnterminatedQuote)],
        ),
        (
            "50 MB line",
            huge.into_bytes(),
            vec![(3, None, ImportProblemCode::RecordTooLarge)],
        ),
        (
            "formula injection",
            format!(
                "{HEADER}{}{},=cmd|' /C calc'!A0,@SUM(1),fiction,,1,2000,,\n",
                good(1),
                isbn(2)
            )
            .into_bytes(),
            vec![
                (3, Some("title"), ImportProblemCode::Formula),
                (3, Some("authors"), ImportProblemCode::Formula),
            ],
        ),
        (
            "duplicate isbn",
            format!("{HEADER}{}{}", good(1), good(1)).into_bytes(),
            vec![(3, Some("isbn"), ImportProblemCode::DuplicateIsbn)],
        ),
    ];
    for (name, body, expected) in cases {
        let res = post_csv(&app, body.clone(), true).await;
        assert_eq!(res.status(), 200, "{name}");
        let report: ImportReport = res.json().await.unwrap();
        let got: Vec<_> = report
            .problems
            .iter()
            .map(|p| (p.line, p.column.as_deref(), p.code))
            .collect();
        assert_eq!(got, expected, "{name}: {:?}", report.problems);
        assert!(report.problems.iter().all(|p| !p.message.is_empty()));

        let res = post_csv(&app, body, false).await;
        let problem = assert_problem(res, 422, "import_invalid").await;
        let problem: Problem = serde_json::from_value(problem).unwrap();
        assert_eq!(problem.import.unwrap().problems, report.problems, "{name}");
        assert_eq!(catalogue_size(&app).await, 0, "{name} wrote books");
    }

    // Not CSV, and over the body limit.
    let res = app
        .http
        .post(app.url(paths::ADMIN_IMPORT_BOOKS))
        .bearer_auth(app.admin.token().unwrap())
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 415, "unsupported_media_type").await;
    let res = post_csv(&app, vec![b'a'; MAX_IMPORT_BYTES + 1], true).await;
    assert_problem(res, 413, "payload_too_large").await;
}

/// An integrator's key with `catalogue:write` may import; one without may not.
#[tokio::test]
async fn api_keys_need_catalogue_write() {
    let app = TestApp::spawn().await;
    let csv = books_csv(3, 0).into_bytes();
    for (scope, status) in [(Scope::CatalogueRead, 403), (Scope::CatalogueWrite, 200)] {
        let key = app
            .admin
            .create_api_key(&NewApiKey {
                name: ApiKeyName::parse("Integrator").unwrap(),
                scopes: vec![scope],
                expires_at: None,
            })
            .await
            .unwrap()
            .key;
        let res = app
            .http
            .post(app.url(&format!("{}?dry_run=true", paths::ADMIN_IMPORT_BOOKS)))
            .header("X-Api-Key", key)
            .header("Content-Type", "text/csv")
            .body(csv.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{scope:?}");
    }
}

/// `/admin/imports/books` takes only POST: any other method is 405 (`method_not_allowed`) with
/// `Allow`, not a bad import id.
#[tokio::test]
async fn other_methods_on_the_import_url_are_not_allowed() {
    let app = TestApp::spawn().await;
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let res = app
            .http
            .request(method.clone(), app.url(paths::ADMIN_IMPORT_BOOKS))
            .bearer_auth(app.admin.token().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["allow"], "POST", "{method}");
        assert_problem(res, 405, "method_not_allowed").await;
    }
}

/// Export → dry run (no problems) → import: every row unchanged. Cells a spreadsheet would run
/// are neutralised in the export and read back to their values.
#[tokio::test]
async fn an_export_imports_back_unchanged() {
    let app = TestApp::spawn().await;
    let mut csv = books_csv(120, 0);
    csv.push_str(&format!(
        "{},\"'=HYPERLINK(\"\"http://x\"\")\",'@Bob;'Salem's Man,fiction,\"'+1, \"\"quoted\"\"\nand more\",5,-300,2,\n",
        isbn(500)
    ));
    csv.push_str(&format!(
        "{},''=not a formula,A,fiction,,5,2000,,\n",
        isbn(501)
    ));
    let r = import_and_wait(&app.admin, csv.into_bytes()).await;
    assert_eq!(r.created, 122);
    let tricky = app
        .api
        .list_books(&BookQuery {
            q: Some(isbn(500)),
            ..Default::default()
        })
        .await
        .unwrap()
        .items
        .remove(0);
    assert_eq!(tricky.title.as_str(), "=HYPERLINK(\"http://x\")");
    assert_eq!(tricky.authors[0].as_str(), "@Bob");
    assert_eq!(tricky.authors[1].as_str(), "'Salem's Man");
    assert_eq!(tricky.description.as_str(), "+1, \"quoted\"\nand more");

    let export = app.admin.admin_export_books().await.unwrap();
    let text = String::from_utf8(export.clone()).unwrap();
    assert!(text.starts_with("\u{feff}isbn,title,authors,"));
    assert!(text.contains(",\"'=HYPERLINK(\"\"http://x\"\")\",'@Bob;'Salem's Man,"));
    assert!(text.contains(",''=not a formula,"));
    assert_eq!(text.lines().filter(|l| l.starts_with("978")).count(), 122);

    let dry = app.admin.admin_check_import(export.clone()).await.unwrap();
    assert_eq!(
        (dry.rows, dry.problem_count),
        (122, 0),
        "{:?}",
        dry.problems
    );
    let again = import_and_wait(&app.admin, export).await;
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 122));
}
