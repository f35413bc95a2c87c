//! API v2: apps with a type, features, and metadata, on schema V2 and later.

pub mod queries;
pub mod tables;

use migrate_core::Version;
use sqlx::AnyPool;

use crate::sql::Sql;

/// The schema version v2 needs.
pub const REQUIRED_SCHEMA: Version = match Version::new(2) {
    Some(v) => v,
    None => Version::FIRST,
};

/// The v2 queries, handed out by [`crate::Db::v2`].
#[derive(Debug, Clone, Copy)]
pub struct Api<'a> {
    pool: &'a AnyPool,
    sql: Sql,
}

impl<'a> Api<'a> {
    pub(crate) fn new(pool: &'a AnyPool, sql: Sql) -> Api<'a> {
        Api { pool, sql }
    }

    /// Apps.
    pub fn apps(&self) -> queries::apps::Apps<'a> {
        queries::apps::Apps::new(self.pool, self.sql)
    }

    /// Features.
    pub fn features(&self) -> queries::features::Features<'a> {
        queries::features::Features::new(self.pool, self.sql)
    }

    /// Metadata.
    pub fn metadata(&self) -> queries::metadata::Metadata<'a> {
        queries::metadata::Metadata::new(self.pool, self.sql)
    }
}
