//! A sqlx connection to any of the three backends, for the checks, the raw baselines and the
//! journal-floor diagnostic: one type so that callers need not match on the dialect.

use std::str::FromStr;

use migrate_core::Dialect;
use sqlx::mysql::MySqlConnection;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{AssertSqlSafe, ConnectOptions as _, Connection as _, Executor as _};

/// A sqlx connection to one of the three backends.
pub(crate) enum SqlxConn {
    /// MySQL or MariaDB.
    MySql(MySqlConnection),
    /// PostgreSQL.
    Postgres(PgConnection),
    /// SQLite.
    Sqlite(SqliteConnection),
}

impl SqlxConn {
    /// Connects to `url` (creating an SQLite file if missing).
    pub(crate) async fn connect(dialect: Dialect, url: &str) -> anyhow::Result<SqlxConn> {
        Ok(match dialect {
            Dialect::MySql => SqlxConn::MySql(MySqlConnection::connect(url).await?),
            Dialect::Postgres => SqlxConn::Postgres(PgConnection::connect(url).await?),
            Dialect::Sqlite => SqlxConn::Sqlite(
                SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .connect()
                    .await?,
            ),
        })
    }

    /// Executes `sql` (one or more statements) as text, discarding results.
    pub(crate) async fn exec(&mut self, sql: &str) -> anyhow::Result<()> {
        let raw = sqlx::raw_sql(AssertSqlSafe(sql));
        match self {
            SqlxConn::MySql(c) => c.execute(raw).await.map(drop)?,
            SqlxConn::Postgres(c) => c.execute(raw).await.map(drop)?,
            SqlxConn::Sqlite(c) => c.execute(raw).await.map(drop)?,
        }
        Ok(())
    }

    /// The single integer `sql` returns.
    pub(crate) async fn int(&mut self, sql: &str) -> anyhow::Result<i64> {
        let query = sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql));
        Ok(match self {
            SqlxConn::MySql(c) => query.fetch_one(c).await?,
            SqlxConn::Postgres(c) => {
                sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql))
                    .fetch_one(c)
                    .await?
            }
            SqlxConn::Sqlite(c) => {
                sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql))
                    .fetch_one(c)
                    .await?
            }
        })
    }

    /// The single text `sql` returns.
    pub(crate) async fn text(&mut self, sql: &str) -> anyhow::Result<String> {
        Ok(match self {
            SqlxConn::MySql(c) => {
                sqlx::query_scalar::<_, String>(AssertSqlSafe(sql))
                    .fetch_one(c)
                    .await?
            }
            SqlxConn::Postgres(c) => {
                sqlx::query_scalar::<_, String>(AssertSqlSafe(sql))
                    .fetch_one(c)
                    .await?
            }
            SqlxConn::Sqlite(c) => {
                sqlx::query_scalar::<_, String>(AssertSqlSafe(sql))
                    .fetch_one(c)
                    .await?
            }
        })
    }

    /// Closes the connection.
    pub(crate) async fn close(self) {
        let _ = match self {
            SqlxConn::MySql(c) => c.close().await,
            SqlxConn::Postgres(c) => c.close().await,
            SqlxConn::Sqlite(c) => c.close().await,
        };
    }
}
