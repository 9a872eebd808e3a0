/// The committed OpenAPI document must be exactly what the code generates.
#[test]
fn committed_openapi_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../api-spec/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let generated = bookstore_api::openapi::pretty_json();
    assert!(
        committed == generated,
        "api-spec/openapi.json is stale: run `cargo run -p bookstore-api -- openapi > api-spec/openapi.json`"
    );
}

fn document() -> serde_json::Value {
    serde_json::from_str(&bookstore_api::openapi::pretty_json()).expect("the document is JSON")
}

/// Every operation, as (method, path, operation).
fn operations(doc: &serde_json::Value) -> Vec<(String, String, serde_json::Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if ["get", "put", "post", "delete", "patch", "head", "options"].contains(&&**method) {
                out.push((method.to_uppercase(), path.clone(), op.clone()));
            }
        }
    }
    out
}

/// Client generators name a function after the operationId: a missing or repeated one makes
/// them skip or overwrite operations (a generated "list books" once called `/api/v1/genres`).
#[test]
fn every_operation_has_its_own_operation_id() {
    let doc = document();
    let mut seen = std::collections::HashMap::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap_or_default().to_owned();
        assert!(
            id.len() > 2 && id.chars().all(|c| c.is_ascii_alphanumeric()),
            "{method} {path}: operationId {id:?} is no camelCase name"
        );
        if let Some(other) = seen.insert(id.to_lowercase(), format!("{method} {path}")) {
            panic!("operationId {id} is used by {other} and {method} {path}");
        }
    }
    assert!(seen.len() >= 22, "every operation is listed");
}

/// Each response says what it means, and every error response is a problem document.
#[test]
fn every_response_is_described_and_every_error_is_a_problem() {
    let doc = document();
    for (method, path, op) in operations(&doc) {
        let responses = op["responses"].as_object().expect("responses");
        assert!(
            responses.contains_key("default"),
            "{method} {path} has no default response"
        );
        for (status, response) in responses {
            let description = response["description"].as_str().unwrap_or_default();
            assert!(
                !description.trim().is_empty(),
                "{method} {path} {status} has no description"
            );
            if status == "default" || status.starts_with('4') || status.starts_with('5') {
                let content = response["content"].as_object();
                assert!(
                    content.is_some_and(|c| {
                        c.len() == 1
                            && c.get("application/problem+json").is_some_and(|m| {
                                m["schema"]["$ref"] == "#/components/schemas/Problem"
                            })
                    }),
                    "{method} {path} {status} is not a problem document"
                );
            }
        }
    }
}

/// Secured operations document their 401 and admin ones their 403.
#[test]
fn authentication_failures_are_documented() {
    let doc = document();
    for (method, path, op) in operations(&doc) {
        let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
        assert!(
            !secured || op["responses"].get("401").is_some(),
            "{method} {path}: 401"
        );
        if path.starts_with("/api/v1/admin/") {
            assert!(op["responses"].get("403").is_some(), "{method} {path}: 403");
        }
    }
}

/// The request bodies' limits are those the model validates.
#[test]
fn body_limits_match_the_model() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    for body in ["PlaceOrder", "CreateReturn"] {
        let lines = &schemas[body]["properties"]["lines"];
        assert_eq!(lines["minItems"], 1, "{body}");
        assert_eq!(lines["maxItems"], bookstore_model::MAX_LINES, "{body}");
    }
    for body in ["NewBook", "BookDetails"] {
        let props = &schemas[body]["properties"];
        assert_eq!(props["authors"]["minItems"], 1, "{body}");
        assert_eq!(props["authors"]["maxItems"], 20, "{body}");
        assert_eq!(props["published_year"]["minimum"], -3000, "{body}");
        assert_eq!(props["published_year"]["maximum"], 2100, "{body}");
        assert_eq!(schemas[body]["additionalProperties"], false, "{body}");
    }
    assert_eq!(
        schemas["Quantity"]["maximum"],
        bookstore_model::Quantity::MAX
    );
    assert_eq!(
        schemas["PriceCents"]["maximum"],
        bookstore_model::PriceCents::MAX
    );
}

/// The paths clients build (`bookstore_model::paths`, used by the typed client, the SPA and the
/// load generator) are exactly the API's paths in the document the routes generate.
#[test]
fn the_clients_paths_are_the_servers() {
    let doc = document();
    let mut served: Vec<&str> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(String::as_str)
        .filter(|p| p.starts_with("/api/"))
        .collect();
    let mut known = bookstore_model::paths::TEMPLATES.to_vec();
    served.sort_unstable();
    known.sort_unstable();
    assert_eq!(known, served);
}

/// A literal path beside a `/{param}` sibling (`/orders/quote` beside `/orders/{id}`) answers
/// its undocumented methods with 405 and the documented ones in `Allow`, not with the sibling's
/// bad-id problem: found from the document, so a new such path is checked as it is added.
#[tokio::test]
async fn literal_paths_beside_a_parameter_refuse_other_methods_with_405() {
    let doc = document();
    let paths: Vec<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    let parent = |p: &str| p.rsplit_once('/').map(|(head, _)| head.to_owned());
    let shadowed: Vec<&String> = paths
        .iter()
        .filter(|p| !p.ends_with('}'))
        .filter(|p| {
            let is_parameter =
                |q: &&String| q.rsplit('/').next().is_some_and(|s| s.starts_with('{'));
            paths
                .iter()
                .filter(is_parameter)
                .any(|q| parent(q) == parent(p))
        })
        .collect();
    for known in [
        "/api/v1/orders/quote",
        "/api/v1/admin/imports/books",
        "/api/v1/admin/staff/invitations",
    ] {
        assert!(
            shadowed.iter().any(|p| *p == known),
            "{known} in {shadowed:?}"
        );
    }
    let app = crate::helpers::TestApp::spawn().await;
    for path in shadowed {
        let documented: Vec<String> = doc["paths"][path]
            .as_object()
            .unwrap()
            .keys()
            .map(|m| m.to_uppercase())
            .collect();
        for method in ["GET", "PUT", "POST", "DELETE", "PATCH"] {
            if documented.iter().any(|m| m == method) {
                continue;
            }
            let res = app
                .http
                .request(method.parse().unwrap(), app.url(path))
                .bearer_auth(app.admin.token().unwrap())
                .send()
                .await
                .unwrap();
            assert_eq!(
                res.headers().get("allow").and_then(|v| v.to_str().ok()),
                Some(documented.join(", ").as_str()),
                "{method} {path}"
            );
            crate::helpers::assert_problem(res, 405, "method_not_allowed").await;
        }
    }
}
