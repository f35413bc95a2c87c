//! [`ScratchServer`]: scratch databases on the server of a database URL.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::ScratchDatabases;
use crate::driver::{redact_url, with_database, AnyDriver, Driver, DriverError};
use crate::{Dialect, Error};

/// The prefix of every scratch database's name.
pub const SCRATCH_PREFIX: &str = "migrate_verify_";

/// Scratch databases on the server of a database URL: `CREATE DATABASE migrate_verify_…` on
/// MySQL/MariaDB and PostgreSQL (the URL's own database is only connected to, to issue that
/// statement), temporary files for SQLite (whatever file the URL names is not opened).
pub struct ScratchServer {
    url: String,
    admin: Option<AnyDriver>,
    created: Vec<String>,
}

impl fmt::Debug for ScratchServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScratchServer")
            .field("url", &redact_url(&self.url))
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

static SCRATCH_COUNTER: AtomicU32 = AtomicU32::new(0);

impl ScratchServer {
    /// Scratch databases next to the one `url` names. The account needs the right to create
    /// and drop databases.
    pub fn new(url: impl Into<String>) -> ScratchServer {
        ScratchServer {
            url: url.into(),
            admin: None,
            created: Vec::new(),
        }
    }

    fn is_sqlite(&self) -> bool {
        self.url.to_ascii_lowercase().starts_with("sqlite:")
    }

    fn next_name() -> String {
        let n = SCRATCH_COUNTER.fetch_add(1, Ordering::Relaxed);
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        format!("{SCRATCH_PREFIX}{}_{secs}_{n}", std::process::id())
    }

    async fn admin(&mut self) -> Result<&mut AnyDriver, Error> {
        let admin = match self.admin.take() {
            Some(admin) => admin,
            None => AnyDriver::connect(&self.url).await.map_err(scratch_error(
                "connecting to the server for scratch databases",
            ))?,
        };
        Ok(self.admin.insert(admin))
    }

    fn sqlite_path(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("{name}.db"))
    }

    async fn drop_database(&mut self, name: &str) -> Result<(), Error> {
        if self.is_sqlite() {
            let path = Self::sqlite_path(name);
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            return Ok(());
        }
        let admin = self.admin().await?;
        let drop = match admin.dialect() {
            // A connection the pool has not closed yet must not block the drop.
            Dialect::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            _ => format!("DROP DATABASE IF EXISTS {name}"),
        };
        admin
            .execute(&drop)
            .await
            .map_err(scratch_error("dropping a scratch database"))
    }
}

impl ScratchDatabases for ScratchServer {
    type Driver = AnyDriver;

    async fn create(&mut self) -> Result<AnyDriver, Error> {
        let name = ScratchServer::next_name();
        let url = if self.is_sqlite() {
            format!("sqlite://{}", ScratchServer::sqlite_path(&name).display())
        } else {
            let create = format!("CREATE DATABASE {name}");
            self.admin()
                .await?
                .execute(&create)
                .await
                .map_err(scratch_error(
                    "creating a scratch database (the account needs the right to create databases)",
                ))?;
            with_database(&self.url, &name)
        };
        self.created.push(name);
        AnyDriver::connect(&url)
            .await
            .map_err(|source| Error::Driver {
                doing: "connecting to a scratch database",
                source: DriverError::other(format!("{} ({source})", redact_url(&url))),
            })
    }

    async fn dispose(&mut self, driver: AnyDriver) -> Result<(), Error> {
        drop(driver);
        let Some(name) = self.created.pop() else {
            return Ok(());
        };
        self.drop_database(&name).await
    }
}

fn scratch_error(doing: &'static str) -> impl Fn(DriverError) -> Error {
    move |source| Error::Driver { doing, source }
}
