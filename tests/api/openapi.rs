//! `openapi.yaml` and the router describe the same routes.

use std::collections::BTreeSet;

fn spec() -> serde_yaml::Value {
    serde_yaml::from_str(include_str!("../../openapi.yaml")).expect("openapi.yaml parses")
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

#[test]
fn every_route_is_documented_and_every_documented_route_exists() {
    let spec = spec();
    let mut documented = BTreeSet::new();
    for (path, item) in spec["paths"].as_mapping().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                documented.insert((method.to_uppercase(), path.as_str().unwrap().to_owned()));
            }
        }
    }
    let routed: BTreeSet<(String, String)> =
        evisa::web::api::endpoints().iter().map(|e| (e.method.to_string(), e.path.to_owned())).collect();
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(undocumented.is_empty(), "routes missing from openapi.yaml: {undocumented:?}");
    assert!(unrouted.is_empty(), "openapi.yaml documents routes that do not exist: {unrouted:?}");
}

#[test]
fn every_operation_documents_its_errors_and_path_parameters() {
    let spec = spec();
    assert_eq!(spec["openapi"].as_str().unwrap(), "3.1.0");
    for (path, item) in spec["paths"].as_mapping().unwrap() {
        let path = path.as_str().unwrap();
        let params: Vec<&str> =
            path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            assert!(operation.get("operationId").is_some(), "{method} {path}: operationId");
            let responses = operation["responses"].as_mapping().unwrap_or_else(|| panic!("{method} {path}: responses"));
            assert!(
                responses.keys().any(|k| k.as_str().is_some_and(|c| c.starts_with('2'))),
                "{method} {path}: a success response"
            );
            let secured = operation.get("security").is_none_or(|s| !s.as_sequence().unwrap().is_empty());
            if secured && path.starts_with("/api/v1/") {
                assert!(responses.contains_key("401"), "{method} {path}: documents 401");
            }
            let declared = [item.get("parameters"), operation.get("parameters")]
                .into_iter()
                .flatten()
                .flat_map(|p| p.as_sequence().unwrap().iter())
                .filter_map(|p| {
                    let p = match p.get("$ref").and_then(|r| r.as_str()) {
                        Some(r) => &spec["components"]["parameters"][r.rsplit('/').next().unwrap()],
                        None => p,
                    };
                    (p["in"] == "path").then(|| p["name"].as_str().unwrap().to_owned())
                })
                .collect::<Vec<_>>();
            for param in &params {
                assert!(declared.iter().any(|d| d == param), "{method} {path}: path parameter {param}");
            }
        }
    }
}

#[test]
fn the_file_validates_with_a_standard_openapi_validator() {
    let available = std::process::Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        assert!(
            std::env::var("CI").is_err(),
            "CI must install openapi-spec-validator (pip install openapi-spec-validator)"
        );
        eprintln!("openapi-spec-validator is not installed: validation skipped outside CI");
        return;
    }
    let output = std::process::Command::new("python3")
        .args(["-m", "openapi_spec_validator", concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
