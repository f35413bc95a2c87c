//! Schema fingerprints: a canonical description of a database's live schema, its SHA-256, and
//! readable differences between two descriptions.
//!
//! [`describe()`] reads the schema of the database a driver is connected to — tables, columns
//! (type, nullability, default), indexes, constraints (primary, unique, foreign keys, checks),
//! views, triggers, routines, and on PostgreSQL sequences and types — in one query, leaving out
//! the history and log tables. The result is a [`SchemaDescription`]: a sorted set of
//! [`SchemaObject`]s, each a kind, a name and a definition in the server's own normalised words.
//! Nothing in it depends on the database's name, on object ids, on creation times or on data
//! (auto-increment counters, sequence positions), so the same scripts run on two databases of
//! the same server version describe the same way.
//!
//! [`SchemaDescription::fingerprint`] is the SHA-256 of the description's canonical text
//! ([`SchemaDescription::canonical_text`]), written `sha256:<hex>` like a checksum.
//! [`SchemaDescription::diff`] says what was added, removed or changed between two
//! descriptions.
//!
//! The runner records the fingerprint in the history row of the version a run ends at (by
//! default; after each applied version with `Fingerprints::EveryVersion`), along with the
//! [`SchemaChange`] from the expected schema before it (before the run: the change of the
//! whole run), so that the expected schema at the last applied version can be rebuilt from the
//! rows that have one and compared with the live one ([`Drift`]). Rows without a change
//! contribute nothing. Recording every version, it describes after most versions only the
//! tables their statements can change (see `scope`).
//!
//! # Modules
//!
//! - `description`: the model — [`ObjectKind`], [`SchemaObject`], [`SchemaDescription`] with
//!   its canonical text and fingerprint.
//! - `diff`: comparing two descriptions — [`SchemaDiff`], [`ChangedObject`].
//! - `change`: what one version changed — [`SchemaChange`], its stored text form, and the
//!   expected schema rebuilt from the stored changes.
//! - `text`: the escapes and one-line forms those texts share.
//! - `describe`: reading the live schema from the server, with one query per dialect
//!   (`describe/{mysql,postgres,sqlite}.rs`); the only part of this module that does I/O.
//! - `reach`: what one statement can change, judged from its text.
//! - `scope`: scoped descriptions — which tables a version can change, and merging their
//!   description into the whole one.
//! - `expected`: the expected schema while a command runs, and how the schema after each
//!   version is found (known, scoped or described whole).
//! - `drift`: the live schema against the one recorded — [`Drift`], [`SchemaCheck`].

mod change;
mod describe;
mod description;
mod diff;
pub(crate) mod drift;
mod expected;
pub(crate) mod reach;
pub(crate) mod recorded;
mod scope;
#[cfg(test)]
mod tests;
mod text;

pub use crate::digest::Fingerprint;

pub use change::{ParseSchemaChangeError, SchemaChange};
pub use describe::describe;
pub use description::{ObjectKind, SchemaDescription, SchemaObject};
pub use diff::{ChangedObject, SchemaDiff};
pub use drift::{Drift, SchemaCheck};

pub(crate) use change::rebuild;
pub(crate) use describe::{describe_scoped, functions, Functions};
pub(crate) use expected::{Describe, ExpectedSchema, Found};
pub(crate) use scope::Scope;
