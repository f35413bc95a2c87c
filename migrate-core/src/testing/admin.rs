//! The administrative connection to a test server: creating, listing and dropping test
//! databases and templates, and the sweep of those left by killed runs.

use super::backend::Backend;
use super::skip::{announce, servers_required};
use crate::driver::{redact_url, Batch, Driver, DriverError, Row, SqlxMySql, SqlxPostgres};
use crate::Error;

/// An administrative connection to a test server.
pub(crate) enum Admin {
    MySql(SqlxMySql),
    Postgres(SqlxPostgres),
}

impl Admin {
    pub(crate) async fn connect(backend: Backend, url: &str) -> Result<Admin, DriverError> {
        let connect = async {
            match backend {
                Backend::MySql => SqlxMySql::connect(url).await.map(Admin::MySql),
                _ => SqlxPostgres::connect(url).await.map(Admin::Postgres),
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(10), connect)
            .await
            .unwrap_or_else(|_| Err(DriverError::other("timed out connecting")))
    }

    /// Connects to `backend`'s server at `server`; `Ok(None)` when it is unreachable and not
    /// required, after announcing the skip.
    pub(crate) async fn reach(backend: Backend, server: &str) -> Result<Option<Admin>, Error> {
        match Admin::connect(backend, server).await {
            Ok(admin) => Ok(Some(admin)),
            Err(e) if !servers_required() => {
                // Past the harness's capture, which hides a passing test's output.
                announce(&format!(
                    "SKIPPED: {backend:?} server at {} is not reachable ({e}); set MIGRATE_REQUIRE_SERVERS=1 to make this a failure",
                    redact_url(server)
                ));
                Ok(None)
            }
            Err(e) => Err(admin_error(
                "connecting to the test server (MIGRATE_REQUIRE_SERVERS is set)",
                e,
            )),
        }
    }

    pub(crate) async fn execute(&mut self, sql: &str) -> Result<(), DriverError> {
        match self {
            Admin::MySql(d) => d.execute(sql).await,
            Admin::Postgres(d) => d.execute(sql).await,
        }
    }

    pub(crate) async fn query(&mut self, sql: &str) -> Result<Vec<Row>, DriverError> {
        match self {
            Admin::MySql(d) => d.query(sql).await,
            Admin::Postgres(d) => d.query(sql).await,
        }
    }

    /// Runs `statements` in order as one batch (one round trip where the client allows).
    pub(crate) async fn execute_all(&mut self, statements: &[&str]) -> Result<(), DriverError> {
        let batch = Batch {
            begin: false,
            statements,
            commit: false,
        };
        let result = match self {
            Admin::MySql(d) => d.execute_batch(batch).await,
            Admin::Postgres(d) => d.execute_batch(batch).await,
        };
        result.map_err(|e| e.error)
    }

    /// The first column of every row of `sql`.
    pub(crate) async fn column(&mut self, sql: &str) -> Result<Vec<String>, DriverError> {
        Ok(self
            .query(sql)
            .await?
            .into_iter()
            .filter_map(|row| row.into_iter().next().flatten())
            .collect())
    }

    pub(crate) async fn drop_database(&mut self, name: &str) -> Result<(), DriverError> {
        if let Admin::Postgres(_) = self {
            // Sessions a test leaked (a killed child process) would block the drop, and a
            // template must stop being one before it can be dropped.
            self.execute(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            ))
            .await?;
            let template = self
                .column(&format!(
                    "SELECT datname::text FROM pg_database WHERE datname = '{name}' AND datistemplate"
                ))
                .await?;
            if !template.is_empty() {
                self.execute(&format!("ALTER DATABASE {name} WITH IS_TEMPLATE false"))
                    .await?;
            }
        }
        self.execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .await
    }

    pub(crate) fn dialect(&self) -> crate::Dialect {
        match self {
            Admin::MySql(_) => crate::Dialect::MySql,
            Admin::Postgres(_) => crate::Dialect::Postgres,
        }
    }

    /// Drops the databases named `prefix…` that `stale` says were created more than a day
    /// before `now`; returns their names.
    pub(crate) async fn drop_stale(
        &mut self,
        prefix: &str,
        stale: impl Fn(&str, u64) -> bool,
        now: u64,
    ) -> Result<Vec<String>, DriverError> {
        let mut dropped = Vec::new();
        let list = crate::scratch_name::list_sql(self.dialect(), prefix);
        for name in self.column(&list).await? {
            if stale(&name, now) {
                self.drop_database(&name).await?;
                dropped.push(name);
            }
        }
        Ok(dropped)
    }
}

pub(crate) fn admin_error(doing: &'static str, source: DriverError) -> Error {
    Error::Driver { doing, source }
}
