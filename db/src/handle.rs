//! The database handle: a pool, the backend's dialect, and the gate between API versions and
//! the live schema.

use anyhow::Context;
use migrate_core::database_url::DatabaseUrl;
use migrate_core::driver::ConnectOptions;
use migrate_core::{Dialect, Version};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Row};

use crate::api::{ApiVersion, VersionError};
use crate::sql::Sql;
use crate::{v1, v2};

/// A connection pool to the application's database.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    sql: Sql,
}

impl Db {
    /// Connects a pool to `url` (`sqlite://…`, `mysql://…`, `postgres://…`) within the
    /// default connect timeout.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        Db::connect_with(url, &ConnectOptions::default()).await
    }

    /// Connects a pool to `url`; `options.connect_timeout` bounds the wait for a connection
    /// (the first, and each one taken from the pool later). Errors never show the password.
    pub async fn connect_with(url: &str, options: &ConnectOptions) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let url = DatabaseUrl::parse(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(5)
            .acquire_timeout(options.connect_timeout)
            .connect(url.connection_string())
            .await
            .map_err(|e| anyhow::anyhow!(url.scrub(&e.to_string())))
            .with_context(|| format!("cannot connect to {url}"))?;
        Ok(Db {
            pool,
            sql: Sql(url.dialect()),
        })
    }

    /// The pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The backend's dialect.
    pub fn dialect(&self) -> Dialect {
        self.sql.0
    }

    /// The newest applied schema version, or `None` on a database never migrated.
    pub async fn schema_version(&self) -> Result<Option<Version>, VersionError> {
        let query = "SELECT version FROM schema_history WHERE state = 'applied' ORDER BY version";
        match sqlx::query(query).fetch_all(&self.pool).await {
            Ok(rows) => {
                let mut newest = None;
                for row in rows {
                    let n: i64 = row
                        .try_get(0)
                        .map_err(|source| VersionError::Unreadable { source })?;
                    newest = u32::try_from(n).ok().and_then(Version::new).max(newest);
                }
                Ok(newest)
            }
            // No history table yet: never migrated.
            Err(sqlx::Error::Database(e)) if is_undefined_table(&*e) => Ok(None),
            Err(source) => Err(VersionError::Unreadable { source }),
        }
    }

    /// Checks that the live schema serves `api`.
    pub async fn check(&self, api: ApiVersion) -> Result<(), VersionError> {
        let found = self.schema_version().await?;
        let needs = api.required_schema();
        if found.is_some_and(|found| found >= needs) {
            Ok(())
        } else {
            Err(VersionError::SchemaTooOld { api, needs, found })
        }
    }

    /// The v1 queries, if the schema has what they need.
    pub async fn v1(&self) -> Result<v1::Api<'_>, VersionError> {
        self.check(ApiVersion::V1).await?;
        Ok(v1::Api::new(&self.pool, self.sql))
    }

    /// The v2 queries, if the schema has what they need.
    pub async fn v2(&self) -> Result<v2::Api<'_>, VersionError> {
        self.check(ApiVersion::V2).await?;
        Ok(v2::Api::new(&self.pool, self.sql))
    }

    /// Loads the development sample data of every schema version up to the live one.
    pub async fn load_sample_data(&self) -> anyhow::Result<()> {
        let live = self.schema_version().await?.map_or(0, Version::get);
        for (script, version) in crate::SAMPLE_DATA.iter().zip(1..=live) {
            for statement in migrate_core::split::split(script, self.dialect())
                .with_context(|| format!("sample data for V{version}"))?
            {
                sqlx::raw_sql(statement.sql)
                    .execute(&self.pool)
                    .await
                    .with_context(|| {
                        format!("sample data for V{version}, line {}", statement.line)
                    })?;
            }
        }
        Ok(())
    }
}

fn is_undefined_table(e: &dyn sqlx::error::DatabaseError) -> bool {
    matches!(e.code().as_deref(), Some("42S02" | "42P01"))
        || e.message().starts_with("no such table")
}
