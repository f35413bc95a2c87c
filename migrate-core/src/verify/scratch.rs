//! [`ScratchServer`]: scratch databases on the server of a database URL.
//!
//! Cleaning up is the server's job, not the verifier's: whatever stops a run (an error
//! returned early, a panic, a dropped future), dropping the `ScratchServer` drops every
//! database it created and has not disposed of yet. And the first connection of each
//! `ScratchServer` sweeps scratch databases that killed runs left behind (see
//! `crate::scratch_name` for the rule).

use std::fmt;
use std::time::Duration;

use super::databases::ScratchDatabases;
use crate::driver::{redact_url, with_database, AnyDriver, ConnectOptions, Driver, DriverError};
use crate::scratch_name;
use crate::{Dialect, Error};

/// The prefix of every scratch database's name.
pub const SCRATCH_PREFIX: &str = "migrate_verify_";

/// How long dropping a [`ScratchServer`] waits for its databases to be dropped before it gives
/// up and leaves them to a later run's sweep.
const DROP_WAIT: Duration = Duration::from_secs(30);

/// Scratch databases on the server of a database URL: `CREATE DATABASE migrate_verify_…` on
/// MySQL/MariaDB and PostgreSQL (the URL's own database is only connected to, to issue that
/// statement), temporary files for SQLite (whatever file the URL names is not opened).
///
/// Names are `migrate_verify_{pid}_{unix seconds}_{n}`. Dropping the value drops the databases
/// it still holds (blocking, on a helper thread with its own runtime, for at most 30 s), so
/// nothing is left behind when verification stops with an error or a panic. Its first
/// connection also drops scratch databases (or SQLite files) created more than a day ago:
/// left by killed runs, since no run lasts that long.
pub struct ScratchServer {
    url: String,
    admin: Option<AnyDriver>,
    created: Vec<String>,
    /// Whether the stale SQLite files were swept (servers: on the admin connection).
    swept_files: bool,
    /// How every connection is opened (the connect timeout).
    options: ConnectOptions,
}

impl fmt::Debug for ScratchServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScratchServer")
            .field("url", &redact_url(&self.url))
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

impl ScratchServer {
    /// Scratch databases next to the one `url` names. The account needs the right to create
    /// and drop databases.
    pub fn new(url: impl Into<String>) -> ScratchServer {
        ScratchServer {
            url: url.into(),
            admin: None,
            created: Vec::new(),
            swept_files: false,
            options: ConnectOptions::default(),
        }
    }

    /// The same, opening every connection (the admin one and each scratch database's) with
    /// `options`, such as the CLI's `--connect-timeout`.
    pub fn connect_options(mut self, options: ConnectOptions) -> ScratchServer {
        self.options = options;
        self
    }

    fn is_sqlite(&self) -> bool {
        self.url.to_ascii_lowercase().starts_with("sqlite:")
    }

    fn next_name() -> String {
        scratch_name::new_name(SCRATCH_PREFIX)
    }

    async fn admin(&mut self) -> Result<&mut AnyDriver, Error> {
        let admin = match self.admin.take() {
            Some(admin) => admin,
            None => {
                let connecting = AnyDriver::connect_with(&self.url, &self.options);
                let mut admin = connecting.await.map_err(scratch_error(
                    "connecting to the server for scratch databases",
                ))?;
                sweep_stale(&mut admin).await;
                admin
            }
        };
        Ok(self.admin.insert(admin))
    }

    /// An SQLite scratch database is a file in a folder of its own, `{temp}/{name}/scratch.db`:
    /// removing the folder also defeats a connection still being opened when its future was
    /// dropped (SQLite does not create folders, so it cannot recreate the file afterwards).
    fn sqlite_dir(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(name)
    }

    async fn drop_database(&mut self, name: &str) -> Result<(), Error> {
        if self.is_sqlite() {
            remove_sqlite_files(name);
            return Ok(());
        }
        drop_on(self.admin().await?, name)
            .await
            .map_err(scratch_error("dropping a scratch database"))
    }
}

impl Drop for ScratchServer {
    fn drop(&mut self) {
        let names = std::mem::take(&mut self.created);
        if names.is_empty() {
            return;
        }
        if self.is_sqlite() {
            names.iter().for_each(|name| remove_sqlite_files(name));
            return;
        }
        // The admin connection belongs to the caller's runtime, which may be unwinding or gone;
        // Drop cannot await either. A helper thread with its own runtime connects anew.
        self.admin = None;
        let url = self.url.clone();
        let options = self.options;
        let (done, wait) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("migrate-verify-cleanup".to_owned())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                let result = match runtime {
                    Ok(runtime) => runtime.block_on(drop_all(&url, &options, &names)),
                    Err(e) => Err(DriverError::other(e)),
                };
                let _ = done.send(result);
            });
        let outcome = match spawned {
            Ok(_) => wait.recv_timeout(DROP_WAIT).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "could not drop a scratch database; a later run drops it after a day")
            }
            Err(e) => {
                tracing::warn!(error = %e, "gave up dropping scratch databases; a later run drops them after a day")
            }
        }
    }
}

/// Drops `names` over a new connection to `url`.
async fn drop_all(
    url: &str,
    options: &ConnectOptions,
    names: &[String],
) -> Result<(), DriverError> {
    let mut admin = AnyDriver::connect_with(url, options).await?;
    for name in names {
        settle(&mut admin, name).await?;
        drop_on(&mut admin, name).await?;
    }
    Ok(())
}

/// Waits (up to 20 s) until no other session runs a statement naming `name`: a `CREATE
/// DATABASE` whose future was dropped while in flight still completes on the server, and a
/// drop issued before it would find nothing and leave the database behind.
async fn settle(admin: &mut AnyDriver, name: &str) -> Result<(), DriverError> {
    let sql = match admin.dialect() {
        Dialect::Postgres => format!(
            "SELECT COUNT(*)::text FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND query LIKE '%{name}%'"
        ),
        _ => format!(
            "SELECT CAST(COUNT(*) AS CHAR) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND INFO LIKE '%{name}%'"
        ),
    };
    for _ in 0..400 {
        let rows = admin.query(&sql).await?;
        let busy = rows
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten())
            .is_some_and(|n| n != "0");
        if !busy {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

async fn drop_on(admin: &mut AnyDriver, name: &str) -> Result<(), DriverError> {
    let drop = match admin.dialect() {
        // A connection the pool has not closed yet must not block the drop.
        Dialect::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        _ => format!("DROP DATABASE IF EXISTS {name}"),
    };
    admin.execute(&drop).await
}

fn remove_sqlite_files(name: &str) {
    let dir = ScratchServer::sqlite_dir(name);
    // A file created while the folder was being emptied makes one pass fail: try again.
    for _ in 0..3 {
        match std::fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => continue,
            _ => return,
        }
    }
}

/// Drops the scratch databases on the server that are stale (more than a day old). A failure
/// only logs a warning: the sweep is housekeeping, not part of verifying.
async fn sweep_stale(admin: &mut AnyDriver) {
    let now = scratch_name::now_secs();
    let listed = admin
        .query(&scratch_name::list_sql(admin.dialect(), SCRATCH_PREFIX))
        .await;
    let names = match listed {
        Ok(rows) => rows
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten()),
        Err(e) => {
            tracing::warn!(error = %e, "could not list stale scratch databases");
            return;
        }
    };
    for name in names.filter(|n| scratch_name::is_stale(SCRATCH_PREFIX, n, now)) {
        match drop_on(admin, &name).await {
            Ok(()) => tracing::info!(database = %name, "dropped a stale scratch database"),
            Err(e) => {
                tracing::warn!(database = %name, error = %e, "could not drop a stale scratch database")
            }
        }
    }
}

/// Removes the SQLite scratch folders in the temporary folder that are stale.
fn sweep_stale_sqlite_files() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    let now = scratch_name::now_secs();
    for name in entries.filter_map(|e| e.ok()?.file_name().into_string().ok()) {
        if scratch_name::is_stale(SCRATCH_PREFIX, &name, now) {
            remove_sqlite_files(&name);
        }
    }
}

impl ScratchDatabases for ScratchServer {
    type Driver = AnyDriver;

    async fn create(&mut self) -> Result<AnyDriver, Error> {
        let name = ScratchServer::next_name();
        let url = if self.is_sqlite() {
            if !std::mem::replace(&mut self.swept_files, true) {
                sweep_stale_sqlite_files();
            }
            let dir = ScratchServer::sqlite_dir(&name);
            std::fs::create_dir(&dir).map_err(|e| Error::Driver {
                doing: "creating a folder for an SQLite scratch database",
                source: DriverError::other(format!("{}: {e}", dir.display())),
            })?;
            self.created.push(name);
            format!("sqlite://{}", dir.join("scratch.db").display())
        } else {
            // Remembered before it is sent: a future dropped while the statement is in flight
            // must still leave the name for `Drop` (`DROP DATABASE IF EXISTS` either way).
            self.created.push(name.clone());
            let created = match self.admin().await {
                Ok(admin) => admin
                    .execute(&format!("CREATE DATABASE {name}"))
                    .await
                    .map_err(scratch_error(
                    "creating a scratch database (the account needs the right to create databases)",
                )),
                Err(e) => Err(e),
            };
            if let Err(e) = created {
                self.created.pop();
                return Err(e);
            }
            with_database(&self.url, &name)
        };
        AnyDriver::connect_with(&url, &self.options)
            .await
            .map_err(|source| Error::Driver {
                doing: "connecting to a scratch database",
                source: DriverError::other(format!("{} ({source})", redact_url(&url))),
            })
    }

    async fn dispose(&mut self, driver: AnyDriver) -> Result<(), Error> {
        drop(driver);
        let Some(name) = self.created.last().cloned() else {
            return Ok(());
        };
        // Forgotten only once dropped: a dispose cut short leaves the name for `Drop`.
        self.drop_database(&name).await?;
        self.created.pop();
        Ok(())
    }
}

fn scratch_error(doing: &'static str) -> impl Fn(DriverError) -> Error {
    move |source| Error::Driver { doing, source }
}
