//! The few places where the backends' SQL differs, so every query has one source.
//!
//! Queries are written once with `?` placeholders and portable SQL; this adapter renders the
//! placeholders for PostgreSQL (`$1`, `$2`, …) and supplies the expressions that differ:
//! timestamps read as text, booleans read as integers, the current time, and upserts.

use migrate_core::Dialect;
use sqlx::any::AnyArguments;
use sqlx::{AnyPool, AssertSqlSafe};

/// The dialect of the connected database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sql(pub(crate) Dialect);

impl Sql {
    /// `sql` with its `?` placeholders in the backend's syntax. Queries never contain `?`
    /// inside literals. The text is this crate's own (values are always bound), which is what
    /// sqlx's `AssertSqlSafe` asserts.
    pub(crate) fn render(self, sql: &str) -> AssertSqlSafe<String> {
        AssertSqlSafe(self.placeholders(sql))
    }

    fn placeholders(self, sql: &str) -> String {
        if self.0 != Dialect::Postgres {
            return sql.to_owned();
        }
        let mut out = String::with_capacity(sql.len() + 8);
        let mut n = 0;
        for c in sql.chars() {
            if c == '?' {
                n += 1;
                out.push_str(&format!("${n}"));
            } else {
                out.push(c);
            }
        }
        out
    }

    /// A timestamp column read as text: sqlx's `Any` driver has no timestamp types. (It also
    /// hands MySQL's long text types over as blobs, which is why the MySQL schema stores text
    /// in bounded `VARCHAR`s and the cast here is short.)
    pub(crate) fn text(self, column: &str) -> String {
        match self.0 {
            Dialect::MySql => format!("CAST({column} AS CHAR(32)) AS {column}"),
            Dialect::Postgres => format!("{column}::text AS {column}"),
            Dialect::Sqlite => column.to_owned(),
        }
    }

    /// A boolean column read as 0 or 1 (sqlx's `Any` driver cannot read SQLite booleans).
    pub(crate) fn flag(self, column: &str) -> String {
        format!("CASE WHEN {column} THEN 1 ELSE 0 END AS {column}")
    }

    /// The current time, in the column types the schema uses.
    pub(crate) fn now(self) -> &'static str {
        match self.0 {
            Dialect::MySql => "CURRENT_TIMESTAMP(6)",
            Dialect::Postgres => "now()",
            Dialect::Sqlite => "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        }
    }

    /// Whether `INSERT … RETURNING` gives back the new row (MySQL's `INSERT` has no
    /// `RETURNING`; the id comes from `last_insert_id` instead).
    pub(crate) fn returns_inserted(self) -> bool {
        self.0 != Dialect::MySql
    }

    /// Runs `insert` (with `?` placeholders) and returns the new row's id: through
    /// `RETURNING id` where the backend has it, else through the connection's last insert id.
    pub(crate) async fn insert_returning_id(
        self,
        pool: &AnyPool,
        insert: &str,
        args: AnyArguments,
    ) -> Result<i64, sqlx::Error> {
        if self.returns_inserted() {
            let rendered = self.render(&format!("{insert} RETURNING id"));
            let (id,): (i64,) = sqlx::query_as_with(rendered, args).fetch_one(pool).await?;
            return Ok(id);
        }
        sqlx::query_with(AssertSqlSafe(insert), args)
            .execute(pool)
            .await?
            .last_insert_id()
            .ok_or_else(|| {
                sqlx::Error::Protocol("the database returned no id for the new row".into())
            })
    }

    /// `INSERT` of (`name`, `value`) into metadata that replaces an existing value.
    pub(crate) fn upsert_metadata(self) -> &'static str {
        match self.0 {
            Dialect::MySql => {
                "INSERT INTO metadata (name, value) VALUES (?, ?) \
                 ON DUPLICATE KEY UPDATE value = VALUES(value), updated_at = CURRENT_TIMESTAMP(6)"
            }
            Dialect::Postgres => {
                "INSERT INTO metadata (name, value) VALUES (?, ?) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = now()"
            }
            Dialect::Sqlite => {
                "INSERT INTO metadata (name, value) VALUES (?, ?) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value, \
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres_only() {
        let sql = "SELECT * FROM apps WHERE id = ? AND name = ?";
        assert_eq!(
            Sql(Dialect::Postgres).render(sql).0,
            "SELECT * FROM apps WHERE id = $1 AND name = $2"
        );
        assert_eq!(Sql(Dialect::MySql).render(sql).0, sql);
        assert_eq!(Sql(Dialect::Sqlite).render(sql).0, sql);
    }
}
