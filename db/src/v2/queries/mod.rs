//! v2's queries, one file per resource.

pub mod apps;
pub mod features;
pub mod metadata;
