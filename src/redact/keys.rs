//! Key names that name a secret: `db_password`, `hf_token`, `aws_secret_access_key`, but not
//! `token_budget`, `max_tokens`, `eos_token` or `password_min_length`. The secret word must be
//! what the key is *about*: its last word, or followed only by words that qualify the value
//! (`_b64`, `_env`, `_v2`, `_id` after an access key). A key about a count, a budget or a
//! length of tokens or passwords holds no secret, and tokenizer special tokens (`eos_token`)
//! are vocabulary, not credentials.
//!
//! Decided: `connection_string` names a secret (its formats vary too much for a value shape to
//! find the password in each); `dsn` does not, because a DSN is a URL whose password the value
//! shape `password in a URL` hides while keeping the host and database readable.

/// Words that name a secret on their own.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "secrets",
    "token",
    "credential",
    "credentials",
    "creds",
    "apikey",
    "accesskey",
    "privatekey",
    "authorization",
    "auth",
    "jwt",
    "sas",
];

/// Two-word secrets: `api key`, `private key`, `access key`, `connection string`, `sas token`.
const SECRET_PAIRS: &[(&str, &str)] = &[
    ("api", "key"),
    ("private", "key"),
    ("access", "key"),
    ("secret", "key"),
    ("signing", "key"),
    ("encryption", "key"),
    ("account", "key"),
    ("ssh", "key"),
    ("connection", "string"),
];

/// Words after the secret word that still describe the secret itself.
const QUALIFIERS: &[&str] = &[
    "value",
    "val",
    "str",
    "string",
    "b64",
    "base64",
    "hex",
    "env",
    "raw",
    "plain",
    "plaintext",
    "text",
    "txt",
    "data",
    "bytes",
    "header",
    "hash",
    "hashed",
    "enc",
    "encrypted",
    "key",
    "secret",
    "token",
    "prod",
    "dev",
    "staging",
    "new",
    "old",
    "current",
];

/// `<word> token` names of a tokenizer's special tokens (`eos_token`, `pad_token_id`).
const SPECIAL_TOKENS: &[&str] = &[
    "eos",
    "bos",
    "pad",
    "unk",
    "sep",
    "cls",
    "mask",
    "special",
    "start",
    "end",
    "stop",
    "eot",
    "sos",
    "begin",
    "additional",
    "added",
    "image",
    "audio",
    "video",
    "decoder",
];

/// Words before `pass` that make it a password (`db_pass`), not a pass of an algorithm
/// (`first_pass`, `forward_pass`) or a test outcome.
const PASS_OWNERS: &[&str] = &[
    "db", "database", "user", "admin", "root", "smtp", "mail", "email", "ftp", "sftp", "sql",
    "mysql", "pg", "postgres", "redis", "ldap", "proxy", "login", "app", "service", "ssh", "vnc",
    "wifi", "keystore", "store", "basic", "http", "master", "account", "mongo", "amqp", "jdbc",
    "kafka", "sasl",
];

/// Whether a param, tag or field name names a secret (see the module doc). Case-insensitive;
/// words are split at `_`, `-`, `.`, spaces and camelCase.
pub fn secret_key(key: &str) -> bool {
    let words = words(key);
    (0..words.len()).any(|i| {
        let word = words[i].as_str();
        let previous = i.checked_sub(1).map(|p| words[p].as_str());
        let secret = if word == "pass" {
            previous.is_some_and(|p| PASS_OWNERS.contains(&p))
        } else if word.ends_with("token") {
            !special_token(word, previous)
        } else {
            SECRET_WORDS.contains(&word)
                || word.contains("password")
                || word.contains("passwd")
                || word.contains("secret")
        };
        let pair = previous.is_some_and(|p| SECRET_PAIRS.contains(&(p, word)));
        // `id` qualifies a key pair only: `aws_access_key_id` names the key, `token_id` a
        // vocabulary index.
        (secret || pair)
            && words[i + 1..]
                .iter()
                .all(|w| qualifier(w) || (pair && word == "key" && w == "id"))
    })
}

/// `eos_token`, `eostoken`, `pad_token`: tokenizer vocabulary.
fn special_token(word: &str, previous: Option<&str>) -> bool {
    let glued = word.strip_suffix("token").filter(|p| !p.is_empty());
    glued
        .or(previous.filter(|_| word == "token"))
        .is_some_and(|p| SPECIAL_TOKENS.contains(&p))
}

/// A word after the secret word that still names the secret: a qualifier, or a version or
/// index (`v2`, `2`).
fn qualifier(word: &str) -> bool {
    QUALIFIERS.contains(&word)
        || word.chars().all(|c| c.is_ascii_digit())
        || word
            .strip_prefix('v')
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// `dbPassword.v2` → `["db", "password", "v2"]`.
fn words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in key.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_numeric();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys() {
        for key in [
            "db_pass",
            "DB_PASS",
            "passphrase",
            "authorization",
            "auth_header",
            "http_auth",
            "hf_token",
            "HF_TOKEN",
            "github_token",
            "refresh_token",
            "secret_access_key",
            "aws_secret_access_key",
            "connection_string",
            "AZURE_STORAGE_CONNECTION_STRING",
            "password_b64",
            "api_key_v2",
            "token_2",
            "client_secret_value",
            "authToken",
            "sas_token",
            "slack_bot_token",
            "openai_api_key",
            "mlflow_tracking_password",
            "account_key",
            "auth_jwt",
            "azure_sas",
            "ssh_key",
        ] {
            assert!(secret_key(key), "{key}");
        }
    }

    #[test]
    fn not_secret_keys() {
        for key in [
            "token_budget",
            "token_count",
            "max_tokens",
            "num_tokens",
            "max_new_tokens",
            "eos_token",
            "bos_token",
            "pad_token",
            "pad_token_id",
            "unk_token",
            "sep_token",
            "cls_token",
            "mask_token",
            "eostoken",
            "tokenizer",
            "tokenizer_name",
            "password_min_length",
            "passage",
            "passage_count",
            "monkey",
            "key",
            "first_pass",
            "forward_pass",
            "auth_type",
            "dsn",
            "secret_name",
            "api_key_name",
            "token_limit",
            "keyboard",
            "primary_key",
            "token_id",
            "token_test",
            "signature",
            "ssh_key_path",
        ] {
            assert!(!secret_key(key), "{key}");
        }
    }
}
