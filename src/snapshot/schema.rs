//! The shape of a snapshot, as data: which paths a rule selector may name.
//!
//! Policy validation walks a selector through this tree to reject selectors that can never
//! match ("`registred_model.name`": no such section). Sections that mirror a server object are
//! *open*: servers add fields over time and the snapshot keeps them, so an unknown field there
//! is accepted unless it looks like a typo of a known one.

/// A node of the snapshot schema.
#[derive(Debug)]
pub enum Node {
    /// An object with known fields; `open` objects may carry more.
    Object {
        fields: &'static [(&'static str, Node)],
        open: bool,
    },
    /// A list of elements.
    List(&'static Node),
    /// An object with arbitrary keys (tags, params, metrics).
    Map(&'static Node),
    /// A string, number, boolean or null.
    Scalar,
    /// Free-form JSON (the MLmodel file, raw server responses).
    Any,
}

use Node::{Any, List, Map, Object, Scalar};

const ALIAS_REF: Node = Object {
    fields: &[("alias", Scalar), ("version", Scalar)],
    open: false,
};

const METRIC: Node = Object {
    fields: &[("value", Scalar), ("timestamp", Scalar), ("step", Scalar)],
    open: false,
};

const DATASET_INPUT: Node = Object {
    fields: &[
        (
            "dataset",
            Object {
                fields: &[
                    ("name", Scalar),
                    ("digest", Scalar),
                    ("source_type", Scalar),
                    ("source", Any),
                    ("schema", Any),
                    ("profile", Any),
                ],
                open: true,
            },
        ),
        ("tags", Map(&Scalar)),
    ],
    open: false,
};

const PERMISSION_ENTRY: Node = Object {
    fields: &[
        ("principal", Scalar),
        ("principal_type", Scalar),
        ("display_name", Scalar),
        ("level", Scalar),
        ("rank", Scalar),
        ("inherited", Scalar),
        ("inherited_from", List(&Scalar)),
    ],
    open: false,
};

const OBJECT_PERMISSIONS: Node = Object {
    fields: &[
        ("object_id", Scalar),
        ("object_type", Scalar),
        ("permission_levels", Any),
        ("raw", Any),
        ("entries", List(&PERMISSION_ENTRY)),
        ("refused", Any),
    ],
    open: false,
};

const MODEL_VERSION: Node = Object {
    fields: &[
        ("name", Scalar),
        ("version", Scalar),
        ("creation_timestamp", Scalar),
        ("last_updated_timestamp", Scalar),
        ("user_id", Scalar),
        ("current_stage", Scalar),
        ("description", Scalar),
        ("source", Scalar),
        ("run_id", Scalar),
        ("status", Scalar),
        ("download_uri", Scalar),
        ("aliases", List(&Scalar)),
        ("tags", Map(&Scalar)),
    ],
    open: true,
};

const RUN: Node = Object {
    fields: &[
        (
            "info",
            Object {
                fields: &[
                    ("run_id", Scalar),
                    ("run_uuid", Scalar),
                    ("experiment_id", Scalar),
                    ("run_name", Scalar),
                    ("user_id", Scalar),
                    ("status", Scalar),
                    ("start_time", Scalar),
                    ("end_time", Scalar),
                    ("artifact_uri", Scalar),
                    ("lifecycle_stage", Scalar),
                ],
                open: true,
            },
        ),
        ("params", Map(&Scalar)),
        ("metrics", Map(&METRIC)),
        ("tags", Map(&Scalar)),
        (
            "inputs",
            Object {
                fields: &[("dataset_inputs", List(&DATASET_INPUT))],
                open: true,
            },
        ),
        ("outputs", Any),
    ],
    open: true,
};

const EXPERIMENT: Node = Object {
    fields: &[
        ("experiment_id", Scalar),
        ("name", Scalar),
        ("artifact_location", Scalar),
        ("lifecycle_stage", Scalar),
        ("last_update_time", Scalar),
        ("creation_time", Scalar),
        ("tags", Map(&Scalar)),
    ],
    open: true,
};

const ARTIFACTS: Node = Object {
    fields: &[
        ("uri", Scalar),
        ("size_bytes", Scalar),
        (
            "files",
            List(&Object {
                fields: &[("path", Scalar), ("size_bytes", Scalar)],
                open: false,
            }),
        ),
    ],
    open: true,
};

const PERMISSIONS: Node = Object {
    fields: &[
        ("registered_model", OBJECT_PERMISSIONS),
        ("experiment", OBJECT_PERMISSIONS),
    ],
    open: true,
};

/// The version a promotion would replace: the candidate's sections, minus the registered
/// model (shared) and the manifest and target (the candidate's own).
const INCUMBENT: Node = Object {
    fields: &[
        ("holds", Scalar),
        ("version", Scalar),
        ("model_version", MODEL_VERSION),
        ("run", RUN),
        ("experiment", EXPERIMENT),
        ("mlflow_model", Any),
        ("logged_model", Any),
        ("input_example", Any),
        ("artifacts", ARTIFACTS),
        ("permissions", PERMISSIONS),
        ("transition_requests", List(&Any)),
    ],
    open: false,
};

/// The whole snapshot.
pub const SNAPSHOT: Node = Object {
    fields: &[
        ("schema_version", Scalar),
        (
            "manifest",
            Object {
                fields: &[
                    ("gathered_by", Scalar),
                    ("gathered_at", Scalar),
                    ("tracking_uri", Scalar),
                    ("registry_uri", Scalar),
                    ("backend", Scalar),
                    ("server_version", Scalar),
                ],
                open: true,
            },
        ),
        (
            "target",
            Object {
                fields: &[
                    ("reference", Scalar),
                    ("kind", Scalar),
                    ("name", Scalar),
                    ("version", Scalar),
                    ("reference_stage", Scalar),
                    ("reference_alias", Scalar),
                    ("run_id", Scalar),
                    ("artifact_path", Scalar),
                    ("stage", Scalar),
                    ("alias", Scalar),
                ],
                open: false,
            },
        ),
        (
            "registered_model",
            Object {
                fields: &[
                    ("name", Scalar),
                    ("creation_timestamp", Scalar),
                    ("last_updated_timestamp", Scalar),
                    ("user_id", Scalar),
                    ("description", Scalar),
                    ("id", Scalar),
                    ("permission_level", Scalar),
                    ("latest_versions", List(&Any)),
                    ("tags", Map(&Scalar)),
                    ("aliases", List(&ALIAS_REF)),
                ],
                open: true,
            },
        ),
        ("model_version", MODEL_VERSION),
        ("run", RUN),
        ("experiment", EXPERIMENT),
        ("mlflow_model", Any),
        ("logged_model", Any),
        ("input_example", Any),
        ("artifacts", ARTIFACTS),
        ("permissions", PERMISSIONS),
        ("transition_requests", List(&Any)),
        ("incumbent", INCUMBENT),
        (
            "errors",
            List(&Object {
                fields: &[
                    ("section", Scalar),
                    ("call", Scalar),
                    ("http_status", Scalar),
                    ("error_code", Scalar),
                    ("message", Scalar),
                    ("method", Scalar),
                    ("url", Scalar),
                    ("class", Scalar),
                    ("attempts", Scalar),
                    ("content_type", Scalar),
                    ("retry_after", Scalar),
                ],
                open: false,
            }),
        ),
        (
            "unavailable",
            List(&Object {
                fields: &[("section", Scalar), ("reason", Scalar)],
                open: false,
            }),
        ),
    ],
    open: false,
};

impl Node {
    /// The known field names of an object node (empty for other nodes).
    pub fn field_names(&self) -> Vec<&'static str> {
        match self {
            Object { fields, .. } => fields.iter().map(|(name, _)| *name).collect(),
            _ => Vec::new(),
        }
    }

    /// The child node for a field name, if this node can have that field.
    pub fn field(&self, name: &str) -> Option<&Node> {
        match self {
            Object { fields, open } => fields
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, node)| node)
                .or(if *open { Some(&Any) } else { None }),
            Map(inner) => Some(inner),
            Any => Some(&Any),
            List(_) | Scalar => None,
        }
    }

    /// Whether `name` is a declared field (not merely allowed by openness).
    pub fn declares(&self, name: &str) -> bool {
        matches!(self, Object { fields, .. } if fields.iter().any(|(n, _)| *n == name))
    }

    /// Whether this node is an open object (accepts undeclared fields).
    pub fn is_open_object(&self) -> bool {
        matches!(self, Object { open: true, .. })
    }

    /// The element node when this node can be iterated with `[*]` or indexed.
    pub fn element(&self) -> Option<&Node> {
        match self {
            List(inner) | Map(inner) => Some(inner),
            Any => Some(&Any),
            Object { .. } | Scalar => None,
        }
    }
}
