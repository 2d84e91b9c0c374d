//! Tests of the value shapes, names and the randomness gate.

use super::*;

/// `text` redacted, asserting the marker names `kind` and `secret` is gone.
fn hides(text: &str, secret: &str, kind: &str) -> String {
    let out = redact_shapes(text);
    assert!(!out.contains(secret), "{text} → {out}");
    assert!(out.contains(&format!("({kind})]")), "{text} → {out}");
    out
}

#[test]
fn listed_shapes() {
    let openai = format!("sk-{}", "aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gH3jK5mN7p");
    hides(&format!("key {openai} end"), &openai, "OpenAI API key");
    let project = format!("sk-proj-{}", "Ab1_Cd2-Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3");
    hides(
        &format!("OPENAI={project}"),
        &project[8..],
        "OpenAI API key",
    );
    let hf = "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567";
    hides(&format!("tok {hf}"), hf, "Hugging Face token");
    let slack = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp";
    hides(&format!("slack {slack}"), slack, "Slack token");
    let xoxp = "xoxp-1234567890-0987654321-1122334455-abcdef0123456789";
    hides(xoxp, xoxp, "Slack token");
    let stripe = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
    hides(&format!("stripe {stripe}."), stripe, "Stripe key");
    let restricted = "rk_live_51H8xYzAbCdEfGhIjKlMnOp";
    hides(restricted, restricted, "Stripe key");
    let account = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA+/==";
    let out = hides(
        &format!("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={account};EndpointSuffix=core.windows.net"),
        account,
        "Azure account key",
    );
    assert!(
        out.contains("AccountName=acct;AccountKey=[redacted"),
        "{out}"
    );
    hides(
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=c2VjcmV0a2V5dmFsdWU=",
        "c2VjcmV0a2V5dmFsdWU=",
        "Azure shared access signature",
    );
    hides(
        "SharedAccessSignature sr=ns.servicebus.windows.net&sig=QUJDREVGRw%3d%3d&se=1700000000&skn=root",
        "QUJDREVGRw",
        "Azure shared access signature",
    );
    hides(
        "Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l",
        "YWxhZGRpbjpvcGVuc2VzYW1l",
        "Authorization header",
    );
    hides(
        r#"{"headers": {"Authorization": "Basic YWI6Yw=="}}"#,
        "YWI6Yw==",
        "Authorization header",
    );
    hides(
        "x authorization=Basic YWI6Yw==",
        "YWI6Yw==",
        "Authorization header",
    );
    hides(
        "curl -H 'x: basic YWxhZGRpbjpvcGVuc2VzYW1l'",
        "YWxhZGRpbjpvcGVuc2VzYW1l",
        "HTTP Basic credentials",
    );
}

#[test]
fn url_query_parameters() {
    for (text, secret, name) in [
        ("https://h/x?token=abc123def&b=1", "abc123def", "token"),
        (
            "https://h/x?a=1&password=p4ss%26w0rd",
            "p4ss%26w0rd",
            "password",
        ),
        (
            "GET /cb?access_token=ya.Z_9-q \"",
            "ya.Z_9-q",
            "access_token",
        ),
        ("https://api/x?api_key=k-1234&x=1", "k-1234", "api_key"),
    ] {
        let out = hides(text, secret, &format!("key name \"{name}\""));
        assert!(out.contains(&format!("{name}=[redacted")), "{out}");
    }
    let out = hides(
        "https://a.blob.core.windows.net/c/b?sv=2023&sig=abc%2Bdef\"",
        "abc%2Bdef",
        "SAS signature",
    );
    assert!(out.ends_with("sig=[redacted: looks like a secret (SAS signature)]\""));
}

#[test]
fn keyed_values_in_text() {
    for (text, secret) in [
        (
            r#"{"user": "app", "password": "hu\"nt er2"}"#,
            r#"hu\"nt er2"#,
        ),
        ("{'db_pass': 'hunter2', 'lr': 0.1}", "hunter2"),
        ("Server=db;Database=x;User Id=sa;Password=s3cr3t;", "s3cr3t"),
        ("connect(passphrase=\"open sesame\")", "open sesame"),
        ("hf_token: abc-def-ghi", "abc-def-ghi"),
    ] {
        let out = redact_shapes(text);
        assert!(!out.contains(secret), "{text} → {out}");
    }
    for text in [
        "token_budget=0.85, auc=0.85",
        "{\"eos_token\": \"</s>\", \"max_tokens\": \"512\"}",
        "password_min_length=12",
    ] {
        assert_eq!(redact_shapes(text), text);
    }
}

#[test]
fn dsn_passwords_with_at_and_slash() {
    let out = hides(
        "postgresql://app:p@ss/w0rd@db:5432/x",
        "p@ss/w0rd",
        "password in a URL",
    );
    assert_eq!(
        out,
        "postgresql://app:[redacted: looks like a secret (password in a URL)]@db:5432/x"
    );
    for text in [
        "http://host:8080/path",
        "https://h/x?mail=a@b.c",
        "see http://host:8080/path and mail me@x.org",
    ] {
        assert_eq!(redact_shapes(text), text);
    }
}

#[test]
fn basic_needs_credentials() {
    for text in [
        "basic understanding of the data",
        "Basic Configuration applies",
        "a basic ResNet50 baseline",
    ] {
        assert_eq!(redact_shapes(text), text);
    }
}

#[test]
fn redacting_twice_changes_nothing() {
    for text in [
        "password=hunter22 and ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "postgresql://app:p@ss/w0rd@db:5432/x",
        "Authorization: Bearer abc.def.ghi",
        "{\"token\": \"abc\", \"x\": \"sk_live_4eC39HqLyjWDarjtT1zdp7dc\"}",
    ] {
        let once = redact_shapes(text);
        assert_eq!(redact_shapes(&once), once, "{text}");
    }
}

#[test]
fn shapes_are_sorted_disjoint_and_on_char_boundaries() {
    let text = "é token=ça-va-très-bien ghp_abcdefghijklmnopqrstuvwxyz0123456789 ü \
                https://u:p@ss@h/x AKIAIOSFODNN7EXAMPLE";
    let shapes = find_shapes(text);
    assert!(shapes.len() >= 3, "{shapes:?}");
    for pair in shapes.windows(2) {
        assert!(pair[0].range.end <= pair[1].range.start, "{shapes:?}");
    }
    for s in &shapes {
        assert!(text.is_char_boundary(s.range.start) && text.is_char_boundary(s.range.end));
    }
}

#[test]
fn secret_names() {
    let name = format!("sk-proj-{}", "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2");
    assert_eq!(secret_name(&name).as_deref(), Some("OpenAI API key"));
    assert_eq!(
        secret_name("ghp_abcdefghijklmnopqrstuvwxyz0123456789").as_deref(),
        Some("GitHub token")
    );
    for name in [
        "learning_rate",
        "db_password",
        "m-0123456789abcdef0123456789abcdef",
    ] {
        assert_eq!(secret_name(name), None, "{name}");
    }
}

#[test]
fn randomness_gate() {
    for value in [
        "0.85",
        "4096",
        "true",
        "</s>",
        "hunter2",
        "hunter22",
        "production",
        "my-model-name",
        "1e-5",
        "2024-01-15",
        "Summer2024",
    ] {
        assert!(!random_enough(value), "{value}");
    }
    for value in [
        "dapi0123456789abcdef0123456789abcdef",
        "hunter22-X9q!zz",
        "k8Js92lQwErTy",
        "qzvxkwjbmfhpltrgyndscaeoiu",
    ] {
        assert!(random_enough(value), "{value}");
    }
}

/// Secrets of each listed shape, planted in texts by the property test.
const PLANTED: &[&str] = &[
    "sk-proj-Ab1_Cd2-Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3",
    "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567",
    "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "dapi0123456789abcdef0123456789abcdef",
    "glpat-abcdefghij0123456789",
];

fn pieces() -> impl proptest::strategy::Strategy<Value = Vec<String>> {
    use proptest::prelude::*;
    let fixed = prop::sample::select(vec![
        "token=",
        "password: ",
        "postgresql://u:",
        "@h/x",
        "\"",
        "'",
        "=",
        "&",
        "?",
        ":",
        "@",
        "/",
        "é",
        "\n",
        "[redacted: ",
        ")]",
        "Basic ",
        "AccountKey=",
        "{\"key\": \"",
    ])
    .prop_map(str::to_string);
    let planted = prop::sample::select(PLANTED.to_vec()).prop_map(|s| format!(" {s} "));
    let plain = "[A-Za-z0-9_.-]{0,12}";
    prop::collection::vec(prop_oneof![fixed, planted, plain], 0..24)
}

proptest::proptest! {
    #[test]
    fn any_text_is_redacted_consistently(pieces in pieces()) {
        let text: String = pieces.concat();
        let shapes = find_shapes(&text);
        for pair in shapes.windows(2) {
            proptest::prop_assert!(pair[0].range.end <= pair[1].range.start);
        }
        for s in &shapes {
            proptest::prop_assert!(text.is_char_boundary(s.range.start));
            proptest::prop_assert!(text.is_char_boundary(s.range.end));
        }
        let once = redact_shapes(&text);
        for secret in PLANTED {
            proptest::prop_assert!(!once.contains(secret), "{} → {}", text, once);
        }
        proptest::prop_assert_eq!(redact_shapes(&once), once);
    }
}

/// Ordinary MLflow data: ids, digests, URIs, dates, metrics. Not one secret.
const ORDINARY: &str = r#"run 0a1b2c3d4e5f60718293a4b5c6d7e8f9 of experiment 1234567890123456 finished
artifact_uri: s3://ml-bucket/mlflow/12/0a1b2c3d4e5f60718293a4b5c6d7e8f9/artifacts
source: dbfs:/databricks/mlflow-tracking/1234567890123456/0a1b2c3d4e5f60718293a4b5c6d7e8f9/artifacts/model
mlflow.source.git.commit=3f786850e387550fdab836ed7e6dc881de23001b created 2026-03-14T09:26:53.589Z
dataset digest sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 (digest=9f86d081)
logged model m-0123456789abcdef0123456789abcdef, uuid 123e4567-e89b-12d3-a456-426614174000
params: {"learning_rate": "0.01", "max_tokens": "512", "token_budget": "0.85", "tokenizer": "gpt2"}
tags: mlflow.user=alice@example.com mlflow.runName=bright-owl-42 mlflow.source.type=NOTEBOOK
metrics: auc=0.91 f1=0.88 val_loss=0.3412 epoch=12 step=1200 timestamp=1710408413589
model uri models:/churn/3 and models:/main.ml.churn@champion; runs:/0a1b2c3d4e5f60718293a4b5c6d7e8f9/model
signature inputs: [{"type": "double", "name": "age"}, {"type": "string", "name": "plan"}]
requirements: mlflow==3.1.0 scikit-learn==1.5.2 pandas==2.2.3 numpy==2.1.0 keyring==25.0
description: Basic gradient boosting model trained on the 2025 churn table; see the README.
http://mlflow.internal:5000/#/experiments/12/runs/0a1b2c3d4e5f60718293a4b5c6d7e8f9
storage: wasbs://models@acct.blob.core.windows.net/ml/12, abfss://c@acct.dfs.core.windows.net/p
hdfs://namenode:8020/warehouse/churn gs://bucket/models/churn?versionId=3 mlflow-artifacts:/12/x
{"run_id": "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "artifact_path": "model", "flavors": ["sklearn"]}
/Workspace/Users/alice@example.com/churn/train.py at 2026-03-14 09:26:53 UTC by alice@example.com
"#;

#[test]
fn ordinary_mlflow_data_has_no_shapes() {
    let text = ORDINARY.repeat(4);
    assert_eq!(find_shapes(&text), Vec::new());
}

#[test]
fn ordinary_text_is_scanned_fast() {
    let text = ORDINARY.repeat(8);
    assert!(text.len() >= 8_000);
    find_shapes(&text);
    let rounds = 20;
    let started = std::time::Instant::now();
    for _ in 0..rounds {
        assert!(find_shapes(&text).is_empty());
    }
    let each = started.elapsed() / rounds;
    // A generous bound (debug build, shared CI cores); release builds take well under 1 ms.
    assert!(each < std::time::Duration::from_millis(50), "{each:?}");
}
