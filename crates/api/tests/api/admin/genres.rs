//! `/api/v1/admin/genres`: the managed list of genres, and books held to it.
use crate::helpers::*;
use bookstore_api::settings::{AdminBootstrap, Settings, StoreKind};
use bookstore_api::startup::Application;
use bookstore_api::store::{Key, Path, WriteOp};
use bookstore_client::Client;
use bookstore_model::*;

fn genre(s: &str) -> Genre {
    Genre::parse(s).unwrap()
}

fn names(list: &[GenreCount]) -> Vec<(&str, i64)> {
    list.iter().map(|g| (g.genre.as_str(), g.count)).collect()
}

/// A store written before the list existed has genre counters only: the list starts as the
/// genres with books (not one whose books are all gone), and is seeded once.
#[tokio::test]
async fn the_list_starts_as_the_genres_an_older_store_has() {
    let data = tempfile::tempdir().unwrap();
    let mut settings = Settings::for_tests(data.path());
    if let Some(dynamo) = test_dynamo().await {
        settings.store = StoreKind::Dynamodb;
        settings.dynamodb = Some(dynamo);
    }
    settings.admin = Some(AdminBootstrap {
        email: ADMIN_EMAIL.into(),
        password: ADMIN_PASSWORD.to_owned().into(),
        name: "Admin".into(),
    });
    settings.payments = Some(payment_settings());
    let store = bookstore_api::startup::open_store(&settings).await.unwrap();
    // The counters as the catalogue writes them.
    for (name, count) in [("science-fiction", 2), ("westerns", 0)] {
        store
            .transact(vec![WriteOp::Update {
                key: Key::new("GENRES", name),
                set: vec![(Path::attr("genre"), name.into())],
                add: vec![(Path::attr("count"), count)],
                cond: None,
            }])
            .await
            .unwrap();
    }
    // Two instances, as after a deploy: both read the one seeded list.
    let mut admins = Vec::new();
    for _ in 0..2 {
        let app = Application::build_with_store(settings.clone(), store.clone())
            .await
            .unwrap();
        let api = Client::new(format!("http://127.0.0.1:{}", app.port()));
        tokio::spawn(app.run_until_stopped());
        let token = api.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.unwrap().token;
        admins.push(api.authed(token));
    }
    let (a, b) = (&admins[0], &admins[1]);
    let (la, lb) = tokio::join!(a.admin_genres(), b.admin_genres());
    assert_eq!(names(&la.unwrap()), [("science-fiction", 2)]);
    assert_eq!(names(&lb.unwrap()), [("science-fiction", 2)]);
    // One list: what one instance adds, the other lists; a typo is no genre.
    a.admin_add_genre(&genre("fiction")).await.unwrap();
    let typo = a
        .admin_create_book(&new_book("Dune", "F. Herbert", "science-fictoin", 900, 1))
        .await;
    assert_eq!(code_of(typo), (422, ProblemCode::UnknownGenre));
    assert_eq!(names(&b.admin_genres().await.unwrap()).len(), 2);
}

#[tokio::test]
async fn books_take_listed_genres_only_and_typos_get_a_suggestion() {
    let app = TestApp::spawn().await;
    let owner = &app.admin;
    owner
        .admin_add_genre(&genre("science-fiction"))
        .await
        .unwrap();
    let err = owner
        .admin_create_book(&new_book("Dune", "F. Herbert", "science-fictoin", 900, 1))
        .await
        .unwrap_err();
    let problem = err.problem().expect("a problem");
    assert_eq!(
        (problem.status, problem.code),
        (422, ProblemCode::UnknownGenre)
    );
    assert!(
        problem.detail.contains("did you mean \"science-fiction\"?"),
        "{}",
        problem.detail
    );
    // Nothing close: no suggestion.
    let err = owner
        .admin_create_book(&new_book("Dune", "F. Herbert", "cookery", 900, 1))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ProblemCode::UnknownGenre));
    assert!(!err.to_string().contains("did you mean"), "{err}");
    // The typo made no genre.
    assert!(app.api.genres().await.unwrap().is_empty());

    let book = owner
        .admin_create_book(&new_book("Dune", "F. Herbert", "science-fiction", 900, 1))
        .await
        .unwrap();
    // An edit to an unlisted genre is refused too; an unchanged genre passes.
    let edit = owner
        .admin_update_book(
            book.id,
            book.version,
            &new_details("Dune", "F. Herbert", "histroy", 900),
        )
        .await;
    let err = edit.unwrap_err();
    assert_eq!(err.code(), Some(ProblemCode::UnknownGenre));
    assert!(err.to_string().contains("\"history\""), "{err}");
    let d = new_details("Dune", "Frank Herbert", "science-fiction", 950);
    let book = owner
        .admin_update_book(book.id, book.version, &d)
        .await
        .unwrap();
    assert_eq!(book.version, 2);
    // Adding a genre twice: 409; a bad name: 422.
    let again = owner.admin_add_genre(&genre("science-fiction")).await;
    assert_eq!(code_of(again), (409, ProblemCode::GenreExists));
    let res = app
        .http
        .post(app.url(paths::ADMIN_GENRES))
        .bearer_auth(owner.token().unwrap())
        .json(&serde_json::json!({"genre": "Sci Fi!"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 422, "validation_failed").await;
}

#[tokio::test]
async fn genres_in_use_stay_and_removed_ones_are_refused() {
    let app = TestApp::spawn().await;
    let owner = &app.admin;
    let poetry = genre("poetry");
    let book = owner
        .admin_create_book(&new_book("Odes", "Keats", "poetry", 900, 1))
        .await
        .unwrap();
    let list = owner.admin_genres().await.unwrap();
    assert!(names(&list).contains(&("poetry", 1)), "{list:?}");
    assert!(names(&list).contains(&("crime", 0)), "{list:?}");
    let in_use = owner.admin_remove_genre(&poetry).await;
    assert_eq!(code_of(in_use), (409, ProblemCode::GenreInUse));
    // Re-tag the book, then the genre goes.
    owner
        .admin_update_book(
            book.id,
            book.version,
            &new_details("Odes", "Keats", "fiction", 900),
        )
        .await
        .unwrap();
    owner.admin_remove_genre(&poetry).await.unwrap();
    let list = owner.admin_genres().await.unwrap();
    assert!(!list.iter().any(|g| g.genre == poetry), "{list:?}");
    let gone = owner.admin_remove_genre(&poetry).await;
    assert_eq!(code_of(gone), (404, ProblemCode::NotFound));
    let refused = owner
        .admin_create_book(&new_book("Odes II", "Keats", "poetry", 900, 1))
        .await;
    assert_eq!(code_of(refused), (422, ProblemCode::UnknownGenre));
    // Both changes are in the audit log, newest first.
    let log = owner
        .admin_audit(&PageQuery::default())
        .await
        .unwrap()
        .items;
    let genre_entries: Vec<_> = log
        .iter()
        .filter(|e| e.action.starts_with("genre."))
        .map(|e| (e.action.as_str(), e.before.clone(), e.after.clone()))
        .collect();
    assert_eq!(
        genre_entries[0],
        (
            "genre.remove",
            Some(serde_json::json!({"genre": "poetry"})),
            None
        )
    );
    assert!(genre_entries.contains(&(
        "genre.add",
        None,
        Some(serde_json::json!({"genre": "poetry"}))
    )));
}

/// Staff read the list (the book forms pick from it) but do not change it; customers do not
/// see it. (Every admin route's role is checked in `staff.rs` as well.)
#[tokio::test]
async fn staff_read_the_list_and_only_the_owner_changes_it() {
    let app = TestApp::spawn().await;
    let invitation = app
        .admin
        .invite_staff(&NewStaffInvitation {
            email: Email::parse(&format!("s-{}@example.com", uuid::Uuid::new_v4().simple()))
                .unwrap(),
            role: Role::Staff,
        })
        .await
        .unwrap();
    let joined = app
        .api
        .accept_staff_invitation(&AcceptStaffInvitation {
            token: invitation.token,
            name: Some(PersonName::parse("Staff Member").unwrap()),
            password: Some(Password::parse("a long enough password").unwrap()),
        })
        .await
        .unwrap();
    let staff = app.api.authed(joined.token);
    assert_eq!(staff.admin_genres().await.unwrap().len(), TEST_GENRES.len());
    let add = staff.admin_add_genre(&genre("travel")).await;
    assert_eq!(code_of(add), (403, ProblemCode::Forbidden));
    let remove = staff.admin_remove_genre(&genre("crime")).await;
    assert_eq!(code_of(remove), (403, ProblemCode::Forbidden));
    // Staff give books listed genres as the owner does.
    staff
        .admin_create_book(&new_book("Maigret", "Simenon", "crime", 900, 1))
        .await
        .unwrap();
    let customer = app.customer().await;
    assert_eq!(
        code_of(customer.admin_genres().await),
        (403, ProblemCode::Forbidden)
    );
    assert_eq!(
        code_of(app.api.admin_genres().await),
        (401, ProblemCode::Unauthorized)
    );
}
