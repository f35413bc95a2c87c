//! Metadata: unchanged since v1, so v2 serves v1's queries.

pub use crate::v1::queries::metadata::Metadata;
