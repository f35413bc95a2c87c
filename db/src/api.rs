//! API versions and the schema each needs.

use std::fmt;

use migrate_core::Version;

/// A version of the application's API, served by its own query module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApiVersion {
    /// API v1: apps and metadata ([`crate::v1`]).
    V1,
    /// API v2: apps with a type, features ([`crate::v2`]).
    V2,
}

impl ApiVersion {
    /// Every API version, oldest first.
    pub const ALL: [ApiVersion; 2] = [ApiVersion::V1, ApiVersion::V2];

    /// The schema version whose tables and columns this API's queries use.
    pub const fn required_schema(self) -> Version {
        match self {
            ApiVersion::V1 => crate::v1::REQUIRED_SCHEMA,
            ApiVersion::V2 => crate::v2::REQUIRED_SCHEMA,
        }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ApiVersion::V1 => "v1",
            ApiVersion::V2 => "v2",
        })
    }
}

/// Why a query module was not handed out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VersionError {
    /// The live schema is older than the API needs (for example after a rollback).
    #[error("API {api} needs schema version {needs} but the database is at {}; migrate up, or serve an older API version", found.map_or_else(|| "no version (never migrated)".to_owned(), |v| format!("version {v}")))]
    SchemaTooOld {
        /// The API asked for.
        api: ApiVersion,
        /// The schema version it needs.
        needs: Version,
        /// The schema version found, if any.
        found: Option<Version>,
    },
    /// The schema version could not be read.
    #[error("cannot read the schema version")]
    Unreadable {
        /// The database error.
        #[source]
        source: sqlx::Error,
    },
}
