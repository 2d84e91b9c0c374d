//! Fuzz target: the MLflow REST response types gathering decodes (server-controlled JSON). The
//! first byte picks the type, the rest is the body. The wire → snapshot conversion is private
//! to `gather`, so this covers decoding (with its lenient number and string deserialisers)
//! only. Asserts only "no panic, no hang".
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlgate::gather::wire;

fn decode<'a, T: serde::Deserialize<'a>>(body: &'a [u8]) -> Option<T> {
    serde_json::from_slice(body).ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    match selector % 8 {
        0 => {
            let _ = decode::<wire::RegisteredModelResponse>(body);
        }
        1 => {
            if let Some(r) = decode::<wire::ModelVersionResponse>(body) {
                let _ = r.model_version.source_run();
            }
        }
        2 => {
            let _ = decode::<wire::RunResponse>(body);
        }
        3 => {
            let _ = decode::<wire::ExperimentResponse>(body);
        }
        4 => {
            let _ = decode::<wire::LoggedModelResponse>(body);
        }
        5 => {
            if let Some(r) = decode::<wire::ModelVersionsResponse>(body) {
                for v in &r.model_versions {
                    let _ = v.source_run();
                }
            }
        }
        6 => {
            let _ = decode::<wire::DownloadUriResponse>(body);
        }
        _ => {
            let _ = decode::<wire::DatabricksRegisteredModelResponse>(body);
        }
    }
});
