//! `/api/v1/admin/staff` and `/api/v1/staff-invitations`: roles, invitations, the last owner;
//! and every admin route's role, checked against the OpenAPI document.
use crate::helpers::*;
use bookstore_client::Client;
use bookstore_model::*;
use serde_json::json;

fn fresh_email(what: &str) -> Email {
    Email::parse(&format!(
        "{what}-{}@example.com",
        uuid::Uuid::new_v4().simple()
    ))
    .unwrap()
}

/// Invites a new person as `role` and accepts as a new account: their client and account.
async fn join(app: &TestApp, role: Role) -> (Client, User) {
    let invitation = app
        .admin
        .invite_staff(&NewStaffInvitation {
            email: fresh_email(role.as_str()),
            role,
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
    assert_eq!(joined.user.role, role);
    (app.api.authed(joined.token), joined.user)
}

/// Every admin operation in the OpenAPI document, as (method, path with ids filled in, the role
/// it states in `x-required-role`).
fn admin_operations() -> Vec<(reqwest::Method, String, String)> {
    let doc: serde_json::Value =
        serde_json::from_str(&bookstore_api::openapi::pretty_json()).unwrap();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/admin/") && path != "/api/v1/admin" {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<reqwest::Method>() else {
                continue;
            };
            let role = op["x-required-role"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} states no x-required-role"))
                .to_owned();
            assert!(
                role == "staff" || role == "owner",
                "{method} {path}: {role}"
            );
            let description = op["description"].as_str().unwrap_or_default();
            assert!(
                description.contains(&format!("**Role:** {role}")),
                "{method} {path} does not say its role in its description"
            );
            // Ids that name nothing: an allowed call gets 404 or 422, never a change.
            let filled = path
                .split('/')
                .map(|s| match s.starts_with('{') {
                    true => uuid::Uuid::new_v4().to_string(),
                    false => s.to_owned(),
                })
                .collect::<Vec<_>>()
                .join("/");
            out.push((method, filled, role));
        }
    }
    out
}

/// The role table: customers get 403 everywhere; staff get through exactly on the `staff`
/// operations; owners everywhere. Enumerated from the document, so a new route is in it.
#[tokio::test]
async fn every_admin_route_takes_the_role_it_states() {
    let app = TestApp::spawn().await;
    let customer = app.customer().await;
    let (staff, _) = join(&app, Role::Staff).await;
    let operations = admin_operations();
    assert!(operations.len() >= 28, "{} operations", operations.len());
    let mut staff_routes = 0;
    for (method, path, role) in &operations {
        for (who, client) in [
            ("customer", &customer),
            ("staff", &staff),
            ("owner", &app.admin),
        ] {
            let allowed = match who {
                "customer" => false,
                "staff" => role == "staff",
                _ => true,
            };
            if !allowed {
                // A session just read (cached for a second) refuses before the body is
                // read; on a cold cache a bad body's 422 may come first, as on any route.
                client.me().await.unwrap();
            }
            let mut req = app
                .http
                .request(method.clone(), app.url(path))
                .bearer_auth(client.token().unwrap());
            if *method == reqwest::Method::POST || *method == reqwest::Method::PUT {
                req = req.json(&json!({}));
            }
            let status = req.send().await.unwrap().status().as_u16();
            if allowed {
                assert!(
                    status != 401 && status != 403,
                    "{who} was refused {method} {path} ({role}): {status}"
                );
            } else {
                assert_eq!(
                    status, 403,
                    "{who} was not refused {method} {path} ({role})"
                );
            }
        }
        staff_routes += usize::from(role == "staff");
    }
    // The catalogue's and the orders' operations are the staff's.
    assert!(staff_routes >= 11, "{staff_routes} staff routes");
    let anonymous = app
        .http
        .get(app.url(paths::ADMIN_STAFF))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
}

#[tokio::test]
async fn owners_list_invite_change_and_remove_staff() {
    let app = TestApp::spawn().await;
    let me = app.admin.me().await.unwrap();
    let (staff, staff_user) = join(&app, Role::Staff).await;
    let listed = app.admin.list_staff().await.unwrap();
    let roles: Vec<(UserId, Role)> = listed.iter().map(|m| (m.id, m.role)).collect();
    assert_eq!(
        roles,
        vec![(me.id, Role::Owner), (staff_user.id, Role::Staff)]
    );
    // Staff work on the inventory, not on the staff.
    assert!(app.book("Shelved", 1).await.id != BookId::new());
    staff
        .admin_create_book(&new_book("By staff", "A", "fiction", 100, 1))
        .await
        .unwrap();
    assert_eq!(
        code_of(staff.list_staff().await),
        (403, ProblemCode::Forbidden)
    );

    let promoted = app
        .admin
        .change_staff_role(staff_user.id, Role::Owner)
        .await
        .unwrap();
    assert_eq!(promoted.role, Role::Owner);
    // The same token: the stored role counts, not the token's.
    assert_eq!(staff.list_staff().await.unwrap().len(), 2);
    app.admin
        .change_staff_role(staff_user.id, Role::Staff)
        .await
        .unwrap();
    app.admin.remove_staff(staff_user.id).await.unwrap();
    assert_eq!(app.admin.list_staff().await.unwrap().len(), 1);
    let refused = staff
        .admin_create_book(&new_book("After", "A", "fiction", 100, 1))
        .await;
    assert_eq!(code_of(refused), (403, ProblemCode::Forbidden));
    assert_eq!(staff.me().await.unwrap().role, Role::Customer);
    // Not on the staff (any more): nothing to change.
    let gone = app.admin.remove_staff(staff_user.id).await;
    assert_eq!(code_of(gone), (404, ProblemCode::NotFound));
    let customer = app.customer().await.me().await.unwrap();
    let not_staff = app.admin.change_staff_role(customer.id, Role::Owner).await;
    assert_eq!(code_of(not_staff), (404, ProblemCode::NotFound));
}

#[tokio::test]
async fn an_invitation_works_once() {
    let app = TestApp::spawn().await;
    let invitation = app
        .admin
        .invite_staff(&NewStaffInvitation {
            email: fresh_email("once"),
            role: Role::Staff,
        })
        .await
        .unwrap();
    assert!(invitation.link.ends_with(&invitation.token));
    assert!(invitation.expires_at > chrono::Utc::now() + chrono::Duration::days(6));
    let accept = AcceptStaffInvitation {
        token: invitation.token.clone(),
        name: Some(PersonName::parse("Once").unwrap()),
        password: Some(Password::parse("a long enough password").unwrap()),
    };
    let (first, second) = tokio::join!(
        app.api.accept_staff_invitation(&accept),
        app.api.accept_staff_invitation(&accept)
    );
    // Two racing uses: exactly one joins.
    let (ok, err) = match (first, second) {
        (Ok(a), Err(e)) | (Err(e), Ok(a)) => (a, e),
        other => panic!("not exactly one: {other:?}"),
    };
    assert_eq!(ok.user.role, Role::Staff);
    assert!(matches!(
        err.code(),
        Some(ProblemCode::InvalidInvitation | ProblemCode::EmailTaken)
    ));
    let again = app.api.accept_staff_invitation(&accept).await;
    assert_eq!(code_of(again), (400, ProblemCode::InvalidInvitation));
    let unknown = AcceptStaffInvitation {
        token: "no-such-token".into(),
        ..accept
    };
    let unknown = app.api.accept_staff_invitation(&unknown).await;
    assert_eq!(code_of(unknown), (400, ProblemCode::InvalidInvitation));
    // Customers are not invited.
    let res = app
        .http
        .post(app.url(paths::ADMIN_STAFF_INVITATIONS))
        .bearer_auth(app.admin.token().unwrap())
        .json(&json!({"email": "c@example.com", "role": "customer"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 422, "validation_failed").await;
}

#[tokio::test]
async fn an_invitation_expires() {
    let app = TestApp::spawn_with(|s| s.staff_invitation_ttl_secs = 1).await;
    let invitation = app
        .admin
        .invite_staff(&NewStaffInvitation {
            email: fresh_email("late"),
            role: Role::Owner,
        })
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let late = app
        .api
        .accept_staff_invitation(&AcceptStaffInvitation {
            token: invitation.token,
            name: Some(PersonName::parse("Late").unwrap()),
            password: Some(Password::parse("a long enough password").unwrap()),
        })
        .await;
    assert_eq!(code_of(late), (400, ProblemCode::InvalidInvitation));
    assert_eq!(app.admin.list_staff().await.unwrap().len(), 1);
}

/// An existing account accepts logged in as itself; anyone else is refused, and the token stays.
#[tokio::test]
async fn an_existing_account_accepts_logged_in() {
    let app = TestApp::spawn().await;
    let customer = app.customer().await;
    let me = customer.me().await.unwrap();
    let invitation = app
        .admin
        .invite_staff(&NewStaffInvitation {
            email: me.email.clone(),
            role: Role::Staff,
        })
        .await
        .unwrap();
    let bare = AcceptStaffInvitation {
        token: invitation.token.clone(),
        name: None,
        password: None,
    };
    let anonymous = app.api.accept_staff_invitation(&bare).await;
    assert_eq!(code_of(anonymous), (401, ProblemCode::Unauthorized));
    let other = app.customer().await.accept_staff_invitation(&bare).await;
    assert_eq!(code_of(other), (403, ProblemCode::Forbidden));
    let new_account = AcceptStaffInvitation {
        token: invitation.token.clone(),
        name: Some(PersonName::parse("Twin").unwrap()),
        password: Some(Password::parse("a long enough password").unwrap()),
    };
    let taken = app.api.accept_staff_invitation(&new_account).await;
    assert_eq!(code_of(taken), (409, ProblemCode::EmailTaken));

    let joined = customer.accept_staff_invitation(&bare).await.unwrap();
    assert_eq!((joined.user.id, joined.user.role), (me.id, Role::Staff));
    // The old token works on staff routes at once.
    customer
        .admin_list_orders(&OrderQuery::default())
        .await
        .unwrap();
    let listed = app.admin.list_staff().await.unwrap();
    assert!(
        listed
            .iter()
            .any(|m| m.id == me.id && m.role == Role::Staff)
    );
}

#[tokio::test]
async fn the_last_owner_stays() {
    let app = TestApp::spawn().await;
    let me = app.admin.me().await.unwrap();
    let demoted = app.admin.change_staff_role(me.id, Role::Staff).await;
    assert_eq!(code_of(demoted), (409, ProblemCode::LastOwner));
    let removed = app.admin.remove_staff(me.id).await;
    assert_eq!(code_of(removed), (409, ProblemCode::LastOwner));
    let deleted = app.admin.delete_me(ADMIN_PASSWORD).await;
    assert_eq!(code_of(deleted), (409, ProblemCode::LastOwner));
    assert_eq!(app.admin.me().await.unwrap().role, Role::Owner);

    // With a second owner, one may step down.
    let (other, other_user) = join(&app, Role::Owner).await;
    other.remove_staff(other_user.id).await.unwrap();
    assert_eq!(other.me().await.unwrap().role, Role::Customer);
    let last = app.admin.change_staff_role(me.id, Role::Staff).await;
    assert_eq!(code_of(last), (409, ProblemCode::LastOwner));
}

/// Two owners demote each other at once, again and again: each time exactly one succeeds, and
/// one owner remains.
#[tokio::test]
async fn two_owners_demoting_each_other_leave_one() {
    let app = TestApp::spawn().await;
    let me = app.admin.me().await.unwrap();
    let (other, other_user) = join(&app, Role::Owner).await;
    for round in 0..5 {
        let (a, b) = tokio::join!(
            app.admin.change_staff_role(other_user.id, Role::Staff),
            other.change_staff_role(me.id, Role::Staff)
        );
        let failed = match (&a, &b) {
            (Ok(_), Err(e)) | (Err(e), Ok(_)) => e,
            _ => panic!("round {round}: not exactly one: {a:?} {b:?}"),
        };
        assert!(
            matches!(
                failed.code(),
                Some(ProblemCode::LastOwner | ProblemCode::Forbidden)
            ),
            "round {round}: {failed}"
        );
        // The winner is the survivor: it made the other staff.
        let (survivor, survivor_id, back) = match a.is_ok() {
            true => (&app.admin, me.id, other_user.id),
            false => (&other, other_user.id, me.id),
        };
        let owners: Vec<UserId> = survivor
            .list_staff()
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.role == Role::Owner)
            .map(|m| m.id)
            .collect();
        assert_eq!(owners, vec![survivor_id], "round {round}");
        // The survivor makes the other an owner again.
        survivor.change_staff_role(back, Role::Owner).await.unwrap();
    }
}

#[tokio::test]
async fn role_changes_and_invitations_are_audited() {
    let app = TestApp::spawn().await;
    let me = app.admin.me().await.unwrap();
    let (_, user) = join(&app, Role::Staff).await;
    app.admin
        .change_staff_role(user.id, Role::Owner)
        .await
        .unwrap();
    app.admin.remove_staff(user.id).await.unwrap();
    let log = app
        .admin
        .admin_audit(&PageQuery {
            limit: Some(10),
            cursor: None,
        })
        .await
        .unwrap()
        .items;
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            &["staff.remove", "staff.role", "staff.join", "staff.invite"][..],
            // The test genres, added as the app started.
            &["genre.add"; TEST_GENRES.len()][..10 - 4],
        ]
        .concat()
    );
    let (remove, role, join, invite) = (&log[0], &log[1], &log[2], &log[3]);
    assert_eq!((remove.actor_id, remove.user_id), (me.id, Some(user.id)));
    assert_eq!(remove.before.as_ref().unwrap()["role"], "owner");
    assert_eq!(remove.after.as_ref().unwrap()["role"], "customer");
    assert_eq!(role.before.as_ref().unwrap()["role"], "staff");
    assert_eq!(role.after.as_ref().unwrap()["role"], "owner");
    assert_eq!((join.actor_id, join.user_id), (user.id, Some(user.id)));
    assert_eq!(join.after.as_ref().unwrap()["role"], "staff");
    assert_eq!((invite.actor_id, invite.user_id), (me.id, None));
    assert_eq!(invite.after.as_ref().unwrap()["email"], user.email.as_str());
    assert!(log.iter().all(|e| e.book_id.is_none()));
}

/// The invitation is mailed to the invitee (never to a webhook): its link accepts.
#[tokio::test]
async fn an_invitation_is_mailed_to_the_invitee() {
    let smtp = crate::smtp::SmtpServer::start();
    let app = TestApp::spawn_with(crate::mail::mail_to(&smtp)).await;
    let email = fresh_email("mailed");
    let invitation = app
        .admin
        .invite_staff(&NewStaffInvitation {
            email: email.clone(),
            role: Role::Staff,
        })
        .await
        .unwrap();
    let got = smtp.wait_for(1, 10).await;
    let m = &got[0];
    assert_eq!(m.header("To").unwrap(), email.as_str());
    assert!(m.text().contains(ADMIN_EMAIL), "who invites: {}", m.text());
    assert!(m.text().contains("as staff"), "{}", m.text());
    let token = crate::auth::password_reset::link_token(m, "staff-invitation");
    assert_eq!(token, invitation.token);
    let joined = app
        .api
        .accept_staff_invitation(&AcceptStaffInvitation {
            token,
            name: Some(PersonName::parse("Mailed Member").unwrap()),
            password: Some(Password::parse("a long enough password").unwrap()),
        })
        .await
        .unwrap();
    assert_eq!(joined.user.role, Role::Staff);
    assert!(!EventType::WEBHOOK.contains(&EventType::StaffInvited));
}
