//! Who made a move, as the ledger records it: the CI identity when there is one (GitHub
//! Actions, GitLab CI), else the local user. Read from the environment the command runs in,
//! never from the registry.

/// The actor of an observed move: nobody mlgate knows.
pub(crate) const NOT_THROUGH_MLGATE: &str = "unknown — not through mlgate";

/// The actor, and the CI run's address when there is one.
pub(crate) fn actor(env: &dyn Fn(&str) -> Option<String>) -> (String, Option<String>) {
    if let Some(login) = env("GITHUB_ACTOR") {
        let workflow = env("GITHUB_WORKFLOW")
            .map(|w| format!(" (workflow {w})"))
            .unwrap_or_default();
        let run = match (
            env("GITHUB_SERVER_URL"),
            env("GITHUB_REPOSITORY"),
            env("GITHUB_RUN_ID"),
        ) {
            (Some(server), Some(repo), Some(id)) => Some(format!(
                "{}/{repo}/actions/runs/{id}",
                server.trim_end_matches('/')
            )),
            _ => None,
        };
        return (format!("github:{login}{workflow}"), run);
    }
    if let Some(login) = env("GITLAB_USER_LOGIN") {
        let project = env("CI_PROJECT_PATH")
            .map(|p| format!(" (project {p})"))
            .unwrap_or_default();
        return (format!("gitlab:{login}{project}"), env("CI_PIPELINE_URL"));
    }
    match env("USER").or_else(|| env("USERNAME")) {
        Some(user) => (format!("local:{user}"), None),
        None => ("unknown".to_string(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| (*v).to_string())
        }
    }

    #[test]
    fn a_github_run_names_the_actor_workflow_and_run() {
        let e = env(&[
            ("GITHUB_ACTOR", "octocat"),
            ("GITHUB_WORKFLOW", "release"),
            ("GITHUB_SERVER_URL", "https://github.com/"),
            ("GITHUB_REPOSITORY", "o/r"),
            ("GITHUB_RUN_ID", "42"),
            ("USER", "runner"),
        ]);
        assert_eq!(
            actor(&e),
            (
                "github:octocat (workflow release)".to_string(),
                Some("https://github.com/o/r/actions/runs/42".to_string())
            )
        );
    }

    #[test]
    fn elsewhere_the_local_user_or_unknown() {
        assert_eq!(actor(&env(&[("USER", "ana")])).0, "local:ana");
        assert_eq!(actor(&env(&[])).0, "unknown");
        let gl = env(&[
            ("GITLAB_USER_LOGIN", "bo"),
            ("CI_PIPELINE_URL", "https://gl/p/1"),
        ]);
        assert_eq!(actor(&gl).1.as_deref(), Some("https://gl/p/1"));
    }
}
