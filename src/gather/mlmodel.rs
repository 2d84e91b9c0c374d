//! The MLmodel file: YAML whose `signature` parts are JSON encoded in strings. Parsed into the
//! snapshot's `mlflow_model` object with those parts decoded.

use serde_json::{Map, Value};

use super::convert::decoded;

/// The MLmodel YAML as a JSON object, signature parts decoded from their JSON strings.
pub fn parse(yaml: &str) -> Result<Map<String, Value>, String> {
    let value: Value = serde_norway::from_str(yaml)
        .map_err(|e| format!("the MLmodel file is not valid YAML: {e}"))?;
    let Value::Object(mut m) = value else {
        return Err("the MLmodel file is not a YAML mapping".into());
    };
    if let Some(Value::Object(signature)) = m.get_mut("signature") {
        for part in ["inputs", "outputs", "params"] {
            // Replaced in place: the file's field order is kept.
            if let Some(v) = signature.get(part).cloned() {
                signature.insert(part.into(), decoded(v));
            }
        }
    }
    Ok(m)
}

/// `saved_input_example_info.artifact_path`: where the input example was saved, if it was.
pub fn input_example_path(m: &Map<String, Value>) -> Option<String> {
    m.get("saved_input_example_info")?
        .get("artifact_path")?
        .as_str()
        .map(str::to_string)
}

/// `model_size_bytes` (MLflow >= 2.9), which stands in when the files cannot be listed.
pub fn size_bytes(m: &Map<String, Value>) -> Option<u64> {
    m.get("model_size_bytes")?.as_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_decoded() {
        let m = parse("artifact_path: model\nsignature:\n  inputs: '[{\"type\": \"long\", \"name\": \"age\"}]'\n  params: null\n").unwrap();
        assert_eq!(m["signature"]["inputs"][0]["name"], "age");
        assert!(parse("- a list").is_err());
        assert!(parse(": : :\n\t").is_err());
    }
}
