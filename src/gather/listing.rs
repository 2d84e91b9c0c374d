//! Listing a registry's models and versions, for `check --all-models`: the registered models
//! the server's own filter selects (paginated `registered-models/search`), one model's versions
//! (paginated `model-versions/search`), and the versions a model's own answer names as held
//! (by an alias, or as the latest in an active stage). Which of them a run checks (shards,
//! `--versions`) is the command's choice; the calls and their quirks are here.

use super::context::Context;
use super::tracking::API;
use super::wire::{ModelVersion, RegisteredModel};
use crate::client::ClientError;

/// The largest page both listings accept on open-source MLflow and Databricks.
const PAGE: &str = "1000";

/// The registered models `filter` (the server's search syntax) selects, every page.
pub async fn registered_models(
    cx: &Context,
    filter: Option<&str>,
) -> Result<Vec<RegisteredModel>, ClientError> {
    let mut query = vec![("max_results", PAGE)];
    if let Some(f) = filter {
        query.push(("filter", f));
    }
    cx.client()
        .get_all_pages(
            &format!("{API}/registered-models/search"),
            &query,
            "registered_models",
        )
        .await
}

/// Every version of model `name`, every page, as listed.
pub async fn versions(cx: &Context, name: &str) -> Result<Vec<ModelVersion>, ClientError> {
    let filter = format!("name='{}'", name.replace('\'', "\\'"));
    let listed: Vec<ModelVersion> = cx
        .client()
        .get_all_pages(
            &format!("{API}/model-versions/search"),
            &[("filter", filter.as_str()), ("max_results", PAGE)],
            "model_versions",
        )
        .await?;
    // The filter matches this model only; a server that ignores it must not widen the run to
    // other models' versions.
    Ok(listed.into_iter().filter(|v| v.name == name).collect())
}

/// The versions the model's own answer names as held: those an alias points at and the
/// latest in each active stage (not `None` or `Archived`), unsorted and possibly repeated.
pub fn held_versions(model: &RegisteredModel) -> Vec<String> {
    let mut held: Vec<String> = model.aliases.iter().map(|a| a.version.clone()).collect();
    held.extend(
        model
            .staged()
            .filter(|(stage, _)| !matches!(stage.as_str(), "None" | "Archived"))
            .map(|(_, version)| version),
    );
    held
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_versions_are_aliased_or_in_an_active_stage() {
        let model: RegisteredModel = serde_json::from_value(serde_json::json!({
            "name": "m",
            "aliases": [{"alias": "champion", "version": "3"}],
            "latest_versions": [
                {"version": "4", "current_stage": "Staging"},
                {"version": 5, "current_stage": "Production"},
                {"version": "6", "current_stage": "Archived"},
                {"version": "7"},
                {"current_stage": "Production"}
            ]
        }))
        .unwrap();
        assert_eq!(held_versions(&model), ["3", "4", "5"]);
    }
}
