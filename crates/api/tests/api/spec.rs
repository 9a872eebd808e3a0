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
