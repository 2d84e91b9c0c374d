//! Listing a registry's models and versions, for `check --all-models`: the registered models
//! the server's own filter selects (paginated `registered-models/search`), one model's versions
//! (paginated `model-versions/search`), and the versions a model's own answer names as held
//! (by an alias, or as the latest in an active stage). Which of them a run checks (shards,
//! `--versions`) is the command's choice; the calls and their quirks are here.

use super::context::Context;
use super::error::{Asked, ReadError};
use super::search_filter;
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

/// Every version of `model`, every page, as listed. The registry's own answer naming a
/// version (in `latest_versions`, or by an alias) that the listing did not return is
/// [`ReadError::Unlisted`]: a model is never audited as having no versions when it has some.
pub async fn versions(
    cx: &Context,
    model: &RegisteredModel,
) -> Result<Vec<ModelVersion>, ReadError> {
    let name = model.name.as_str();
    let filter = search_filter::model_versions_of(name);
    let path = format!("{API}/model-versions/search");
    let listed: Vec<ModelVersion> = cx
        .client()
        .get_all_pages(
            &path,
            &[("filter", filter.text.as_str()), ("max_results", PAGE)],
            "model_versions",
        )
        .await?;
    // The filter matches this model only (or, for a name no filter can say exactly, more);
    // a server that ignores it must not widen the run to other models' versions either.
    let listed: Vec<ModelVersion> = listed.into_iter().filter(|v| v.name == name).collect();
    let named = named_versions(model);
    if listed.is_empty() && !named.is_empty() {
        return Err(ReadError::Unlisted {
            asked: Asked {
                method: "GET",
                url: cx.client().url(&path),
            },
            model: name.to_string(),
            filter: filter.text,
            named,
        });
    }
    Ok(listed)
}

/// Every version the model's own answer names (its latest in any stage, its aliases' targets),
/// sorted by number, once each.
pub fn named_versions(model: &RegisteredModel) -> Vec<String> {
    let mut named: Vec<String> = model.aliases.iter().map(|a| a.version.clone()).collect();
    named.extend(model.staged().map(|(_, version)| version));
    named.sort_by_key(|v| (v.parse::<u64>().unwrap_or(u64::MAX), v.clone()));
    named.dedup();
    named
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
        assert_eq!(named_versions(&model), ["3", "4", "5", "6", "7"]);
    }
}
