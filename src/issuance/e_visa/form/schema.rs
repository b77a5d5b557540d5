//! The e-visa form's JSON Schema, made from [`VisaApplicationForm`] by `schemars`: the one
//! description of the form is the type.

use serde_json::{Value, json};

use super::VisaApplicationForm;

/// The form's JSON Schema as services store it and the portal renders it, made from
/// [`VisaApplicationForm`]: every section inline and in the plain words the portal reads (see
/// [`plain`]).
pub fn schema() -> Value {
    let mut settings = schemars::generate::SchemaSettings::draft2020_12();
    settings.inline_subschemas = true;
    let mut schema = settings.into_generator().into_root_schema_for::<VisaApplicationForm>().to_value();
    plain(&mut schema);
    schema
}

/// Rewrites a generated schema, subschemas first, in the words the portal's form reads: an
/// answer not yet given is absent rather than `null` (`"type": ["string", "null"]` and
/// `anyOf: [S, null]` become the type and S), a choice of constants becomes an `enum`, and doc
/// comments and defaults stay out (the portal would show a description as a hint).
fn plain(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else { return };
    if let Some(Value::Object(properties)) = object.get_mut("properties") {
        properties.values_mut().for_each(plain);
    }
    for keyword in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(choices)) = object.get_mut(keyword) {
            choices.iter_mut().for_each(plain);
        }
    }
    object.remove("description");
    object.remove("default");
    if let Some(Value::Array(types)) = object.get_mut("type") {
        types.retain(|t| t != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            object.insert("type".into(), only);
        }
    }
    if let Some(Value::Array(choices)) = object.get("anyOf")
        && let [Value::Object(given), null] | [null, Value::Object(given)] = choices.as_slice()
        && *null == json!({"type": "null"})
    {
        let given = given.clone();
        object.remove("anyOf");
        object.extend(given);
    }
    if let Some(Value::Array(choices)) = object.get("oneOf") {
        let constants: Option<Vec<Value>> = choices.iter().map(|c| c.get("const").cloned()).collect();
        let string_constants = choices
            .iter()
            .all(|c| c.get("type") == Some(&json!("string")) && c.as_object().is_some_and(|c| c.len() == 2));
        if let (Some(constants), true) = (constants, string_constants) {
            object.remove("oneOf");
            object.insert("type".into(), json!("string"));
            object.insert("enum".into(), Value::Array(constants));
        }
    }
}
