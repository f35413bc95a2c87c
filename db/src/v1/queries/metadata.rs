//! Metadata: a key-value store (unchanged since V1, so v2 serves the same queries).

use anyhow::Context;
use sqlx::AnyPool;

use crate::sql::Sql;
use crate::v1::tables::Metadata as Entry;

/// The metadata queries.
#[derive(Debug, Clone, Copy)]
pub struct Metadata<'a> {
    pool: &'a AnyPool,
    sql: Sql,
}

impl<'a> Metadata<'a> {
    pub(crate) fn new(pool: &'a AnyPool, sql: Sql) -> Metadata<'a> {
        Metadata { pool, sql }
    }

    /// The value of `name`, if set.
    pub async fn get(&self, name: &str) -> anyhow::Result<Option<String>> {
        let query = "SELECT name, value FROM metadata WHERE name = ?";
        let row: Option<Entry> = sqlx::query_as(self.sql.render(query))
            .bind(name)
            .fetch_optional(self.pool)
            .await
            .with_context(|| format!("reading metadata `{name}`"))?;
        Ok(row.map(|entry| entry.value))
    }

    /// Sets `name` to `value`, replacing any earlier value.
    pub async fn set(&self, name: &str, value: &str) -> anyhow::Result<()> {
        sqlx::query(self.sql.render(self.sql.upsert_metadata()))
            .bind(name)
            .bind(value)
            .execute(self.pool)
            .await
            .with_context(|| format!("setting metadata `{name}`"))?;
        Ok(())
    }
}
