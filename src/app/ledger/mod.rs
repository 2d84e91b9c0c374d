//! The promotion ledger's commands and I/O: `history` reads a target's ledger, `rollback`
//! moves a target back through promote's gate, and [`store`] appends the entries `promote`,
//! `rollback` and `guard` write (the pure chain is `crate::ledger`).

pub(crate) mod actor;
pub(crate) mod history;
pub(crate) mod named;
pub(crate) mod rollback;
pub(crate) mod store;
