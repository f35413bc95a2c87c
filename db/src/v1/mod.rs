//! API v1: apps and metadata, on schema V1 and every later schema.
//!
//! v1 is frozen: its queries name only the columns V1 created, so they keep working when later
//! versions add columns and tables (v1 rows written on schema V2 get V2's defaults).

pub mod queries;
pub mod tables;

use migrate_core::Version;
use sqlx::AnyPool;

use crate::sql::Sql;

/// The schema version v1 needs.
pub const REQUIRED_SCHEMA: Version = Version::FIRST;

/// The v1 queries, handed out by [`crate::Db::v1`].
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

    /// Metadata.
    pub fn metadata(&self) -> queries::metadata::Metadata<'a> {
        queries::metadata::Metadata::new(self.pool, self.sql)
    }
}
