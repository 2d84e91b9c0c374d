//! Interim: replaced by the shape helper's versions on merge.
use super::shapes::redact_shapes;

/// Whether a name is itself secret-shaped, and the kind of secret.
pub(crate) fn secret_name(name: &str) -> Option<String> {
    let shown = redact_shapes(name);
    (shown != name).then(|| "a secret-shaped name".to_string())
}

/// Whether a string is long and random enough to be recognised wherever it appears.
pub(crate) fn random_enough(value: &str) -> bool {
    value.chars().count() >= 8 && value.parse::<f64>().is_err()
}
