//! Unity Catalog on customer-hosted S3, against a real S3-compatible server (moto, started by
//! `scripts/storage` before `cargo test`; see there).
