//! The one pipeline every judging command runs: prepare → gather → judge → emit.
//!
//! `check`, `promote` and `check --all-models` (and the commands to come: a guard, history,
//! rollback) differ in what they gather and what they do with a verdict, never in how a
//! command line becomes a policy, a threshold and a clock ([`prepare`]), how a model is read
//! from a live server ([`session`]), how a snapshot is judged ([`judge`]) or how a judged
//! version reaches its outputs ([`emit`]). A command file holds the command's own steps only
//! and calls these; nothing here calls a command, so the import graph stays one-way.

pub(super) mod emit;
pub(super) mod judge;
pub(super) mod prepare;
pub(super) mod session;
