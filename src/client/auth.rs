//! Who we are to the server: MLflow's basic/bearer credentials, and Databricks unified auth
//! (`DATABRICKS_HOST` + token, `~/.databrickscfg` profiles, OAuth machine-to-machine).
//!
//! Resolution follows the Databricks SDKs: an explicitly requested profile
//! (`databricks://PROFILE`, `DATABRICKS_CONFIG_PROFILE`) is read from the config file; else
//! `DATABRICKS_HOST` and its credentials from the environment; else the config file's
//! `[__settings__] default_profile`, else `[DEFAULT]`.

use std::path::PathBuf;

use thiserror::Error;

/// How requests are authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    Basic {
        username: String,
        password: String,
    },
    Bearer(String),
    /// OAuth client-credentials: a token is fetched from `token_url` and reused until it expires.
    OAuthM2M {
        client_id: String,
        client_secret: String,
        token_url: String,
    },
}

/// A Databricks workspace to talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// `https://adb-123.7.azuredatabricks.net` (no trailing slash).
    pub host: String,
    pub auth: Auth,
    /// The profile used, when one was.
    pub profile: Option<String>,
}

/// A Databricks configuration problem (a usage error: exit 2).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("no Databricks workspace configured: set DATABRICKS_HOST and DATABRICKS_TOKEN, or a profile in {0}")]
    NothingConfigured(String),
    #[error("Databricks profile `{profile}` is not in {file}{}", if .known.is_empty() { String::new() } else { format!(" (profiles there: {})", .known.join(", ")) })]
    UnknownProfile {
        profile: String,
        file: String,
        known: Vec<String>,
    },
    #[error("cannot read Databricks config file {file}: {message}")]
    BadFile { file: String, message: String },
    #[error("{origin} has no `host`")]
    NoHost { origin: String },
    #[error("{origin} has a host but no credentials: set a token (DATABRICKS_TOKEN / `token`) or OAuth client_id and client_secret")]
    NoCredentials { origin: String },
    #[error("{origin} configures more than one authorization method ({methods}); set DATABRICKS_AUTH_TYPE / `auth_type` to pick one")]
    Ambiguous { origin: String, methods: String },
}

/// The settings that describe one workspace, from the environment or one profile.
#[derive(Debug, Default)]
struct Settings {
    host: Option<String>,
    token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    username: Option<String>,
    password: Option<String>,
    auth_type: Option<String>,
}

/// Resolves the workspace for a tracking URI of `databricks` or `databricks://PROFILE`.
pub fn databricks(
    tracking_uri: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Workspace, AuthError> {
    let uri_profile = tracking_uri
        .strip_prefix("databricks://")
        .or_else(|| tracking_uri.strip_prefix("databricks-uc://"))
        .filter(|p| !p.is_empty())
        .map(str::to_string);
    let explicit = uri_profile.or_else(|| env("DATABRICKS_CONFIG_PROFILE"));
    // Without HOME there is no default file: `./.databrickscfg` would be read from whatever
    // directory the gate runs in (a checked-out pull request), naming another host and token.
    let file = env("DATABRICKS_CONFIG_FILE")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|home| PathBuf::from(home).join(".databrickscfg")));
    if explicit.is_none() && env("DATABRICKS_HOST").is_some() {
        let settings = Settings {
            host: env("DATABRICKS_HOST"),
            token: env("DATABRICKS_TOKEN"),
            client_id: env("DATABRICKS_CLIENT_ID"),
            client_secret: env("DATABRICKS_CLIENT_SECRET"),
            username: env("DATABRICKS_USERNAME"),
            password: env("DATABRICKS_PASSWORD"),
            auth_type: env("DATABRICKS_AUTH_TYPE"),
        };
        return workspace(settings, "the environment (DATABRICKS_HOST)", None);
    }
    let Some(file) = file else {
        return Err(AuthError::NothingConfigured(
            "~/.databrickscfg (HOME is not set)".into(),
        ));
    };
    let shown = file.display().to_string();
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(_) if explicit.is_none() => return Err(AuthError::NothingConfigured(shown)),
        Err(e) => {
            return Err(AuthError::BadFile {
                file: shown,
                message: e.to_string(),
            })
        }
    };
    // Where, never what: the parser's message can quote the file, and the file holds tokens.
    let ini = ini::Ini::load_from_str(&text).map_err(|e| AuthError::BadFile {
        file: shown.clone(),
        message: format!("not valid INI at line {}, column {}", e.line, e.col),
    })?;
    let profile = explicit
        .or_else(|| {
            ini.section(Some("__settings__"))
                .and_then(|s| s.get("default_profile"))
                .map(str::to_string)
        })
        .unwrap_or_else(|| "DEFAULT".to_string());
    let section = ini
        .section(Some(profile.as_str()))
        .filter(|s| !s.is_empty());
    let Some(section) = section else {
        // A section header left open (`[prof` then `token = dapi…` then a `]` lines later) is
        // parsed as one long section name holding the file's body: name only well-formed
        // profiles, and count the others without quoting them.
        let (known, malformed): (Vec<&str>, Vec<&str>) = ini
            .sections()
            .flatten()
            .filter(|s| *s != "__settings__")
            .partition(|s| {
                !s.is_empty()
                    && !s
                        .chars()
                        .any(|c| c.is_control() || matches!(c, '=' | '[' | ']'))
            });
        let mut known: Vec<String> = known.into_iter().map(str::to_string).collect();
        if !malformed.is_empty() {
            known.push(format!(
                "{} malformed section header{} not shown (a `[` without its `]` on the same line?)",
                malformed.len(),
                if malformed.len() == 1 { "" } else { "s" }
            ));
        }
        return Err(AuthError::UnknownProfile {
            profile,
            file: shown,
            known,
        });
    };
    let get = |k: &str| {
        section
            .get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let settings = Settings {
        host: get("host"),
        token: get("token"),
        client_id: get("client_id"),
        client_secret: get("client_secret"),
        username: get("username"),
        password: get("password"),
        auth_type: get("auth_type"),
    };
    workspace(
        settings,
        &format!("profile `{profile}` of {shown}"),
        Some(profile),
    )
}

fn workspace(s: Settings, origin: &str, profile: Option<String>) -> Result<Workspace, AuthError> {
    let host = s.host.ok_or_else(|| AuthError::NoHost {
        origin: origin.to_string(),
    })?;
    let host = if host.starts_with("http://") || host.starts_with("https://") {
        host
    } else {
        format!("https://{host}")
    };
    let host = host.trim_end_matches('/').to_string();
    let mut methods = Vec::new();
    if let Some(token) = &s.token {
        methods.push(("pat", Auth::Bearer(token.clone())));
    }
    if let (Some(id), Some(secret)) = (&s.client_id, &s.client_secret) {
        methods.push((
            "oauth-m2m",
            Auth::OAuthM2M {
                client_id: id.clone(),
                client_secret: secret.clone(),
                token_url: format!("{host}/oidc/v1/token"),
            },
        ));
    }
    if let (Some(u), Some(p)) = (&s.username, &s.password) {
        methods.push((
            "basic",
            Auth::Basic {
                username: u.clone(),
                password: p.clone(),
            },
        ));
    }
    let auth = match (s.auth_type.as_deref(), methods.len()) {
        (Some(kind), _) => methods
            .into_iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, a)| a),
        (None, 0) => None,
        (None, 1) => methods.pop().map(|(_, a)| a),
        (None, _) => {
            let names: Vec<&str> = methods.iter().map(|(k, _)| *k).collect();
            return Err(AuthError::Ambiguous {
                origin: origin.to_string(),
                methods: names.join(", "),
            });
        }
    };
    let auth = auth.ok_or_else(|| AuthError::NoCredentials {
        origin: origin.to_string(),
    })?;
    Ok(Workspace {
        host,
        auth,
        profile,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn cfg(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    const FILE: &str = "[__settings__]\ndefault_profile = prod\n\n[DEFAULT]\nhost = https://dflt.example.com\ntoken = dapi-default\n\n[prod]\nhost = https://prod.example.com/\nclient_id = id-1\nclient_secret = secret-1\n\n[staging]\nhost = staging.example.com\ntoken = dapi-staging\n";

    #[test]
    fn without_home_no_config_file_is_read_from_the_working_directory() {
        let e = databricks("databricks://prod", &env(&[])).unwrap_err();
        assert!(matches!(e, AuthError::NothingConfigured(_)), "{e}");
    }

    #[test]
    fn environment_wins_without_an_explicit_profile() {
        let w = databricks(
            "databricks",
            &env(&[
                ("DATABRICKS_HOST", "https://h.example.com/"),
                ("DATABRICKS_TOKEN", "t"),
            ]),
        )
        .unwrap();
        assert_eq!(w.host, "https://h.example.com");
        assert_eq!(w.auth, Auth::Bearer("t".into()));
    }

    #[test]
    fn profiles_are_chosen_as_the_sdks_do() {
        let f = cfg(FILE);
        let path = f.path().to_str().unwrap();
        let default = databricks("databricks", &env(&[("DATABRICKS_CONFIG_FILE", path)])).unwrap();
        assert_eq!(
            default.profile.as_deref(),
            Some("prod"),
            "[__settings__] default_profile"
        );
        assert!(
            matches!(default.auth, Auth::OAuthM2M { ref token_url, .. } if token_url == "https://prod.example.com/oidc/v1/token")
        );
        let staging = databricks(
            "databricks://staging",
            &env(&[
                ("DATABRICKS_CONFIG_FILE", path),
                ("DATABRICKS_HOST", "https://ignored"),
            ]),
        )
        .unwrap();
        assert_eq!(staging.host, "https://staging.example.com");
        let by_env = databricks(
            "databricks",
            &env(&[
                ("DATABRICKS_CONFIG_FILE", path),
                ("DATABRICKS_CONFIG_PROFILE", "DEFAULT"),
            ]),
        )
        .unwrap();
        assert_eq!(by_env.auth, Auth::Bearer("dapi-default".into()));
        let missing = databricks(
            "databricks://nope",
            &env(&[("DATABRICKS_CONFIG_FILE", path)]),
        )
        .unwrap_err();
        assert!(
            missing
                .to_string()
                .contains("profiles there: DEFAULT, prod, staging"),
            "{missing}"
        );
    }

    #[test]
    fn a_malformed_file_is_never_quoted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cfg");
        for body in [
            "[prof\ntoken = CANARY-DAPI\n]\nhost = https://x\n",
            "[prof\ntoken = CANARY-DAPI\n",
            "[other]\nhost = https://x\n[prof\ntoken = CANARY-DAPI\n",
            "[prof]\nhost = x\ntoken = \"CANARY-DAPI\n",
        ] {
            std::fs::write(&path, body).unwrap();
            let file = path.display().to_string();
            let e = databricks(
                "databricks://prof",
                &env(&[("DATABRICKS_CONFIG_FILE", file.as_str())]),
            )
            .map(|_| ())
            .unwrap_err();
            let text = format!("{e} {e:?}");
            assert!(!text.contains("CANARY"), "{body:?}: {text}");
        }
    }

    #[test]
    fn ambiguous_or_missing_credentials_are_errors() {
        let both = env(&[
            ("DATABRICKS_HOST", "h"),
            ("DATABRICKS_TOKEN", "t"),
            ("DATABRICKS_CLIENT_ID", "i"),
            ("DATABRICKS_CLIENT_SECRET", "s"),
        ]);
        assert!(matches!(
            databricks("databricks", &both),
            Err(AuthError::Ambiguous { .. })
        ));
        let picked = env(&[
            ("DATABRICKS_HOST", "h"),
            ("DATABRICKS_TOKEN", "t"),
            ("DATABRICKS_CLIENT_ID", "i"),
            ("DATABRICKS_CLIENT_SECRET", "s"),
            ("DATABRICKS_AUTH_TYPE", "pat"),
        ]);
        assert_eq!(
            databricks("databricks", &picked).unwrap().auth,
            Auth::Bearer("t".into())
        );
        assert!(matches!(
            databricks("databricks", &env(&[("DATABRICKS_HOST", "h")])),
            Err(AuthError::NoCredentials { .. })
        ));
        assert!(matches!(
            databricks("databricks", &env(&[("HOME", "/nonexistent")])),
            Err(AuthError::NothingConfigured(_))
        ));
    }
}
