use super::super::csv_check::check;
use super::*;
use crate::outbox::{SHARDS, claim, due_jobs};
use crate::store::embedded::EmbeddedStore;
use bookstore_model::{BookImport, ImportProblemCode as Code, ImportStatus, Isbn, Role, UserId};

const HEADER: &str =
    "isbn,title,authors,genre,description,price_cents,published_year,stock,stock_mode\n";

/// A valid ISBN-13 made from `n`.
fn isbn(n: u64) -> String {
    let first12 = format!("978{:09}", n);
    let digits: Vec<u32> = first12.bytes().map(|b| u32::from(b - b'0')).collect();
    format!("{first12}{}", bookstore_model::isbn13_check_digit(&digits))
}

fn codes(csv: &str) -> Vec<(u64, Option<String>, Code)> {
    check(csv.as_bytes())
        .problems
        .list
        .into_iter()
        .map(|p| (p.line, p.column, p.code))
        .collect()
}

fn col(c: &str) -> Option<String> {
    Some(c.into())
}

#[test]
fn a_good_file_reads_every_row() {
    let csv = format!(
        "\u{feff}{HEADER}{},Dune,Frank Herbert,sci-fi,\"Spice.\nSand.\",1299,1965,3,\n{},'=Sum,A; B,maths,,0,-300,,keep\n",
        isbn(1),
        isbn(2)
    );
    let c = check(csv.as_bytes());
    assert_eq!(c.problems.list, vec![]);
    assert_eq!(c.total, 2);
    assert_eq!(c.rows[0].line, 2);
    assert_eq!(c.rows[0].details.description.as_str(), "Spice.\nSand.");
    assert_eq!(c.rows[0].stock, Some(3));
    assert_eq!(
        c.rows[1].line, 4,
        "the record after a two-line one starts on line 4"
    );
    assert_eq!(c.rows[1].details.title.as_str(), "=Sum");
    assert_eq!(c.rows[1].details.authors.len(), 2);
    assert_eq!(c.rows[1].details.published_year, -300);
}

#[test]
fn every_bad_cell_is_reported_by_line_and_column() {
    let csv = format!(
        "{HEADER}{},Ok,A,g,,1,2000,,\n\
         123,=cmd|' /C calc'!A0,A,g,,x,2000,,\n\
         {},\"Two\nlines\",A,g,,1,2000,,\n\
         {},T,A,Bad Genre!,,1,2000,-1,sideways\n\
         {},T,A,g,,1,2000\n\
         {},T,A,g,,1,2000,,\n",
        isbn(1),
        isbn(2),
        isbn(3),
        isbn(4),
        isbn(1)
    );
    assert_eq!(
        codes(&csv),
        vec![
            (3, col("title"), Code::Formula),
            (3, col("isbn"), Code::InvalidValue),
            (3, col("price_cents"), Code::InvalidValue),
            (4, col("title"), Code::NewlineInField),
            (6, col("genre"), Code::InvalidValue),
            (6, col("stock"), Code::InvalidValue),
            (6, col("stock_mode"), Code::InvalidValue),
            (7, None, Code::FieldCount),
            (8, col("isbn"), Code::DuplicateIsbn),
        ]
    );
}

#[test]
fn bad_files_are_refused_whole() {
    // Missing and unknown columns.
    assert_eq!(
        codes("isbn,title,colour\n"),
        vec![
            (1, col("colour"), Code::UnknownColumn),
            (1, col("authors"), Code::MissingColumn),
            (1, col("genre"), Code::MissingColumn),
            (1, col("price_cents"), Code::MissingColumn),
            (1, col("published_year"), Code::MissingColumn),
        ]
    );
    // Latin-1 (é as 0xE9) on line 3, and UTF-16 with its byte-order mark.
    let mut latin1 = format!("{HEADER}{},A,B,g,,1,2000,,\n", isbn(1)).into_bytes();
    latin1.extend(b"9780000000002,Caf\xE9,B,g,,1,2000,,\n");
    let p = check(&latin1).problems.list;
    assert_eq!((p[0].line, p[0].code), (3, Code::Encoding));
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(HEADER.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    assert_eq!(check(&utf16).problems.list[0].code, Code::Encoding);
    // An unterminated quote swallows the rest of the file: reported where it starts.
    let csv = format!(
        "{HEADER}{},Ok,A,g,,1,2000,,\n{},T,A,g,\"never closed,1,2000,,\n{},T,A,g,,1,2000,,\n",
        isbn(1),
        isbn(2),
        isbn(3)
    );
    assert_eq!(codes(&csv), vec![(3, None, Code::UnterminatedQuote)]);
    // A line of several megabytes.
    let csv = format!(
        "{HEADER}{},{},A,g,,1,2000,,\n",
        isbn(1),
        "x".repeat(3 << 20)
    );
    assert_eq!(codes(&csv), vec![(2, None, Code::RecordTooLarge)]);
    assert_eq!(codes(""), vec![(1, None, Code::Empty)]);
}

/// A catalogue on a fresh store whose genre list holds the files' genres.
async fn catalogue(dir: &std::path::Path) -> Catalogue {
    let store = Arc::new(EmbeddedStore::open(dir).unwrap());
    let config = CatalogueConfig {
        book_json_bytes: 1 << 20,
        genres_max_age: Duration::ZERO,
        bestsellers_max_age: Duration::ZERO,
        search_max_age: Duration::ZERO,
        search_results_bytes: 1 << 20,
        search_candidates_bytes: 1 << 20,
        low_stock_threshold: 5,
        inventory_max_age: Duration::ZERO,
        currency: Currency::parse("USD").unwrap(),
    };
    let cat = Catalogue::new(store, Arc::new(CursorCodec::new(b"secret")), &config);
    let names = ["sci-fi", "classics"].map(str::to_owned);
    for name in names
        .into_iter()
        .chain((0..20).map(|n| format!("genre-{n}")))
    {
        cat.add_genre(&owner(), Genre::parse(&name).unwrap())
            .await
            .unwrap();
    }
    cat
}

/// Starts an import and applies its chunks as a dispatcher would (claiming each job); the
/// import as it then is.
async fn import(cat: &Catalogue, a: &Actor, csv: &str) -> Result<BookImport> {
    let started = cat.start_import(a, csv.as_bytes()).await?;
    assert_eq!(started.status, ImportStatus::Running);
    drain(cat).await;
    cat.import(started.id).await
}

/// Does every due import job.
async fn drain(cat: &Catalogue) {
    loop {
        let mut any = false;
        for shard in 0..SHARDS {
            let store = cat.store.as_ref();
            for job in due_jobs(store, shard, chrono::Utc::now(), 100, 0)
                .await
                .unwrap()
                .jobs
            {
                if job.kind != KIND_IMPORT {
                    continue;
                }
                if let Some(lease) = claim(store, &job, 60_000).await.unwrap() {
                    cat.run_import_job(&job, &lease, 60_000).await.unwrap();
                    any = true;
                }
            }
        }
        if !any {
            return;
        }
    }
}

fn owner() -> Actor {
    Actor {
        role: Role::Owner,
        ..actor()
    }
}

fn actor() -> Actor {
    Actor {
        id: UserId::new(),
        email: "staff@example.com".into(),
        role: Role::Staff,
    }
}

#[tokio::test]
async fn an_import_is_idempotent_by_isbn_and_keeps_stock_unless_told() {
    let dir = tempfile::tempdir().unwrap();
    let cat = catalogue(dir.path()).await;
    let a = actor();
    let first = format!(
        "{HEADER}{},Dune,Frank Herbert,sci-fi,,1299,1965,3,\n{},Emma,Jane Austen,classics,,599,1815,,\n",
        isbn(1),
        isbn(2)
    );
    let r = cat.check_import(first.as_bytes()).await.unwrap();
    assert_eq!((r.rows, r.created, r.problem_count), (2, 0, 0));
    assert!(
        cat.by_isbn(&Isbn::parse(&isbn(1)).unwrap())
            .await
            .unwrap()
            .is_none()
    );

    let r = import(&cat, &a, &first).await.unwrap();
    assert_eq!((r.created, r.updated, r.unchanged), (2, 0, 0));
    let r = import(&cat, &a, &first).await.unwrap();
    assert_eq!((r.created, r.updated, r.unchanged), (0, 0, 2));
    let dune = cat
        .by_isbn(&Isbn::parse(&isbn(1)).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((dune.stock, dune.version), (3, 1));

    // New details and a stock of 50: the stock is kept (default), then set.
    let second = format!(
        "{HEADER}{},Dune,Frank Herbert,sci-fi,,1499,1965,50,\n",
        isbn(1)
    );
    let r = import(&cat, &a, &second).await.unwrap();
    assert_eq!((r.created, r.updated, r.unchanged), (0, 1, 0));
    let dune = cat.get(dune.id).await.unwrap().unwrap();
    assert_eq!(
        (dune.price_cents.get(), dune.stock, dune.version),
        (1499, 3, 2)
    );
    let set = second.replace("50,\n", "50,set\n");
    for expected in [(0, 1, 0), (0, 0, 1)] {
        let r = import(&cat, &a, &set).await.unwrap();
        assert_eq!((r.created, r.updated, r.unchanged), expected);
    }
    let dune = cat.get(dune.id).await.unwrap().unwrap();
    assert_eq!((dune.stock, dune.version), (50, 2));

    // A file with one bad row writes nothing, not even its good rows.
    let bad = format!(
        "{HEADER}{},New,A,sci-fi,,1,2000,,\n{},=1+1,A,sci-fi,,1,2000,,\n",
        isbn(3),
        isbn(4)
    );
    match cat.start_import(&a, bad.as_bytes()).await {
        Err(Error::ImportInvalid(r)) => assert_eq!(r.problem_count, 1),
        other => panic!("{other:?}"),
    }
    assert!(
        cat.by_isbn(&Isbn::parse(&isbn(3)).unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

/// The 100,000-row file the issue asks for, on the embedded store; prints its throughput.
/// Staged, then every chunk applied as the dispatcher's job does it. Ignored by default: a
/// debug build on two shared cores takes 6 to 15 minutes (110-300 rows/s, CPU-bound, by how
/// busy the cores are); `cargo test -p bookstore-domain --lib a_100k -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "minutes in a debug build; run explicitly (benches/README.md)"]
async fn a_100k_row_file_imports() {
    const ROWS: u64 = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let cat = catalogue(dir.path()).await;
    let mut csv = String::from(HEADER);
    for n in 0..ROWS {
        csv.push_str(&format!(
            "{},Book number {n},Author {} ; Co Author,genre-{},A plain description.,{},{},{},\n",
            isbn(n),
            n % 997,
            n % 20,
            100 + n % 5000,
            1900 + n % 120,
            n % 50
        ));
    }
    let started = std::time::Instant::now();
    let r = import(&cat, &actor(), &csv).await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "imported {ROWS} rows ({} bytes) in {secs:.1} s: {:.0} rows/s",
        csv.len(),
        ROWS as f64 / secs
    );
    assert_eq!((r.rows, r.created, r.failed), (ROWS, ROWS, 0));
    assert_eq!(r.status, ImportStatus::Completed);
}

#[tokio::test]
async fn a_genre_off_the_list_is_a_problem_of_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let cat = catalogue(dir.path()).await;
    let file = format!(
        "{HEADER}{},Dune,Frank Herbert,sci-fu,,1299,1965,3,\n{},Emma,Jane Austen,classics,,599,1815,,\n{},Ubik,Philip K. Dick,sci-fu,,899,1969,,\n",
        isbn(1),
        isbn(2),
        isbn(3)
    );
    let r = cat.check_import(file.as_bytes()).await.unwrap();
    let found: Vec<_> = r
        .problems
        .iter()
        .map(|p| (p.line, p.column.as_deref(), p.code))
        .collect();
    assert_eq!(
        found,
        vec![
            (2, Some("genre"), Code::UnknownGenre),
            (4, Some("genre"), Code::UnknownGenre)
        ]
    );
    assert!(
        r.problems[0].message.contains("did you mean \"sci-fi\""),
        "{:?}",
        r.problems[0]
    );
    match cat.start_import(&actor(), file.as_bytes()).await {
        Err(Error::ImportInvalid(r)) => assert_eq!(r.problem_count, 2),
        other => panic!("{other:?}"),
    }
    assert!(
        cat.by_isbn(&Isbn::parse(&isbn(2)).unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

/// Rows in several chunks and batches: the counters add up exactly, rows applied before the
/// job ran (as by a batch in flight when a dispatcher died) count as they turn out, and the
/// chunks are gone at the end.
#[tokio::test]
async fn chunks_apply_with_exact_counters_and_resume_idempotently() {
    let dir = tempfile::tempdir().unwrap();
    let cat = catalogue(dir.path()).await;
    let rows = 2_300u64;
    let mut csv = String::from(HEADER);
    for n in 0..rows {
        csv.push_str(&format!(
            "{},Book {n},A,genre-{},,100,2000,1,\n",
            isbn(n),
            n % 20
        ));
    }
    let started = cat.start_import(&actor(), csv.as_bytes()).await.unwrap();
    assert_eq!((started.rows, started.created), (rows, 0));
    // 40 rows already written (a batch in flight at a crash): unchanged when applied again.
    let checked = check(csv.as_bytes());
    for row in &checked.rows[1000..1040] {
        cat.import_row(&actor(), "earlier", row).await.unwrap();
    }
    drain(&cat).await;
    let done = cat.import(started.id).await.unwrap();
    assert_eq!(done.status, ImportStatus::Completed);
    assert_eq!(
        (done.created, done.unchanged, done.updated, done.failed),
        (rows - 40, 40, 0, 0)
    );
    assert!(done.finished_at.is_some());
    let left = cat
        .store
        .query(&Query {
            index: None,
            pk: format!("IMPORT#{}", started.id),
            sk_prefix: None,
            forward: true,
            limit: 10,
            start: None,
        })
        .await
        .unwrap();
    assert!(left.items.is_empty(), "chunks left: {}", left.items.len());
    let listed = cat.imports(&Default::default()).await.unwrap();
    assert_eq!(listed.items, vec![done]);
}

/// A row whose genre was removed after the file was checked fails for good: counted, listed
/// by line, and the other rows are applied.
#[tokio::test]
async fn a_row_that_fails_for_good_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let cat = catalogue(dir.path()).await;
    let file = format!(
        "{HEADER}{},Dune,Frank Herbert,genre-3,,1299,1965,3,\n{},Emma,Jane Austen,classics,,599,1815,,\n{},Ubik,Philip K. Dick,genre-3,,899,1969,,\n",
        isbn(1),
        isbn(2),
        isbn(3)
    );
    let started = cat.start_import(&actor(), file.as_bytes()).await.unwrap();
    cat.remove_genre(&owner(), &Genre::parse("genre-3").unwrap())
        .await
        .unwrap();
    drain(&cat).await;
    let done = cat.import(started.id).await.unwrap();
    assert_eq!(done.status, ImportStatus::Completed);
    assert_eq!((done.created, done.failed), (1, 2));
    let lines: Vec<u64> = done.failures.iter().map(|f| f.line).collect();
    assert_eq!(lines, vec![2, 4]);
    assert!(
        done.failures[0].message.contains("genre"),
        "{:?}",
        done.failures
    );
}

/// An import left `staging` (its server stopped before accepting it) reads as abandoned once
/// the staging timeout has passed, and its chunks' jobs drop them without writing a book.
#[tokio::test]
async fn an_import_left_staging_is_abandoned_and_applies_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cat = catalogue(dir.path()).await;
    let file = format!(
        "{HEADER}{},Dune,Frank Herbert,sci-fi,,1299,1965,3,\n",
        isbn(1)
    );
    let started = cat.start_import(&actor(), file.as_bytes()).await.unwrap();
    // As if the server had stopped before the import was accepted, long ago.
    let long_ago = chrono::Utc::now() - chrono::Duration::minutes(11);
    cat.store
        .transact(vec![WriteOp::Update {
            key: Key::new("IMPORT", started.id.to_string()),
            set: vec![
                (Path::attr("status"), json!(ImportStatus::Staging)),
                (Path::attr("started_at"), json!(long_ago)),
            ],
            add: vec![],
            cond: None,
        }])
        .await
        .unwrap();
    assert_eq!(
        cat.import(started.id).await.unwrap().status,
        ImportStatus::Abandoned
    );
    drain(&cat).await;
    let after = cat.import(started.id).await.unwrap();
    assert_eq!((after.status, after.done()), (ImportStatus::Abandoned, 0));
    assert!(
        cat.by_isbn(&Isbn::parse(&isbn(1)).unwrap())
            .await
            .unwrap()
            .is_none()
    );
}
