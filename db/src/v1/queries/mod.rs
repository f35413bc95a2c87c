//! v1's queries, one file per resource.

pub mod apps;
pub mod metadata;
