//! `database create` and `database drop`: the database the URL names, made or removed.
//!
//! On a server the statements go through a connection to a database that always exists
//! (`postgres` on PostgreSQL, `information_schema` on MySQL/MariaDB: any account may connect to
//! it), with the URL's credentials and TLS parameters. On SQLite the database is the file: an
//! empty file is a valid empty database.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::args::DatabaseAction;
use super::error::CliError;
use super::exit::Exit;
use super::prompt::confirm;
use crate::database_url::DatabaseUrl;
use crate::driver::{AnyDriver, ConnectOptions, Driver};
use crate::Dialect;

/// Runs `database create` or `database drop`.
pub(super) async fn run(
    url: &DatabaseUrl,
    options: &ConnectOptions,
    action: DatabaseAction,
) -> Result<Exit, CliError> {
    let out = &mut io::stdout();
    let name = url.database();
    let shown = url.redacted();
    let done = match (url.dialect(), action) {
        (Dialect::Sqlite, DatabaseAction::Create) => create_file(&sqlite_file(url)?)?,
        (Dialect::Sqlite, DatabaseAction::Drop { yes, .. }) => {
            let file = sqlite_file(url)?;
            if file.exists() {
                confirm(yes, &format!("delete the database file of {shown}"))?;
            }
            remove_file(&file)?
        }
        (dialect, DatabaseAction::Create) => {
            let mut admin = admin(url, options).await?;
            let exists = exists(&mut admin, dialect, name).await?;
            if !exists {
                let create = format!("CREATE DATABASE {}", dialect.quote_ident(name));
                admin
                    .execute(&create)
                    .await
                    .map_err(admin_error("create", name))?;
            }
            !exists
        }
        (dialect, DatabaseAction::Drop { yes, force }) => {
            let mut admin = admin(url, options).await?;
            let exists = exists(&mut admin, dialect, name).await?;
            if exists {
                confirm(yes, &format!("drop database {shown} and everything in it"))?;
                drop_database(&mut admin, dialect, name, force).await?;
            }
            exists
        }
    };
    let message = match (action_name(done, &action), done) {
        (verb, true) => format!("{verb} database {shown}"),
        (state, false) => format!("database {shown} {state}; nothing to do"),
    };
    writeln!(out, "{message}")?;
    Ok(Exit::Success)
}

/// What to say: the verb when something was done, else why not.
fn action_name(done: bool, action: &DatabaseAction) -> &'static str {
    match (action, done) {
        (DatabaseAction::Create, true) => "created",
        (DatabaseAction::Create, false) => "exists already",
        (DatabaseAction::Drop { .. }, true) => "dropped",
        (DatabaseAction::Drop { .. }, false) => "does not exist",
    }
}

/// A connection to the server's always-present database.
async fn admin(url: &DatabaseUrl, options: &ConnectOptions) -> Result<AnyDriver, CliError> {
    let admin = match url.dialect() {
        Dialect::Postgres => url.with_database("postgres"),
        _ => url.with_database("information_schema"),
    };
    AnyDriver::connect_with(admin.connection_string(), options)
        .await
        .map_err(|source| CliError::Connect {
            url: admin.redacted().to_owned(),
            source,
        })
}

/// Drops `name`: refused while other sessions use it, unless `force` ends them first.
async fn drop_database(
    admin: &mut AnyDriver,
    dialect: Dialect,
    name: &str,
    force: bool,
) -> Result<(), CliError> {
    let others = match force {
        true => Vec::new(),
        false => lasting_sessions(admin, dialect, name).await?,
    };
    if !others.is_empty() {
        return Err(CliError::DatabaseInUse {
            database: name.to_owned(),
            sessions: others.len(),
            who: others.join(", "),
        });
    }
    let quoted = dialect.quote_ident(name);
    let drop = match dialect {
        Dialect::Postgres if force => format!("DROP DATABASE {quoted} WITH (FORCE)"),
        Dialect::Postgres => format!("DROP DATABASE {quoted}"),
        _ => {
            if force {
                kill_sessions(admin, dialect, name).await?;
            }
            // A session that connects after the check holds a metadata lock that would
            // otherwise keep the drop waiting for as long as the server's default (a year).
            admin
                .execute("SET SESSION lock_wait_timeout = 30")
                .await
                .map_err(admin_error("drop", name))?;
            format!("DROP DATABASE {quoted}")
        }
    };
    admin
        .execute(&drop)
        .await
        .map_err(admin_error("drop", name))
}

/// How long a drop waits for the other sessions to go before it refuses: a client that has
/// just disconnected (the previous command of a script, say) can stay listed for a moment
/// while its server session ends.
const SESSIONS_GRACE: Duration = Duration::from_secs(2);

/// The other sessions still connected to `name` after [`SESSIONS_GRACE`] (none as soon as
/// they are gone).
async fn lasting_sessions(
    admin: &mut AnyDriver,
    dialect: Dialect,
    name: &str,
) -> Result<Vec<String>, CliError> {
    let deadline = Instant::now() + SESSIONS_GRACE;
    loop {
        let others = sessions(admin, dialect, name).await?;
        if others.is_empty() || Instant::now() >= deadline {
            return Ok(others);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The other sessions connected to `name` that this account can see, each as
/// `id user@host`.
async fn sessions(
    admin: &mut AnyDriver,
    dialect: Dialect,
    name: &str,
) -> Result<Vec<String>, CliError> {
    let literal = dialect.string_literal(name);
    let sql = match dialect {
        Dialect::Postgres => format!(
            "SELECT CAST(pid AS TEXT), COALESCE(usename, '?'), \
             COALESCE(CAST(client_addr AS TEXT), 'local') FROM pg_stat_activity \
             WHERE datname = {literal} AND pid <> pg_backend_pid() ORDER BY pid"
        ),
        _ => format!(
            "SELECT CAST(ID AS CHAR), USER, HOST FROM information_schema.PROCESSLIST \
             WHERE DB = {literal} AND ID <> CONNECTION_ID() ORDER BY ID"
        ),
    };
    let rows = admin
        .query(&sql)
        .await
        .map_err(admin_error("list the sessions of", name))?;
    Ok(rows
        .iter()
        .map(|row| {
            let cell = |i: usize| row.get(i).cloned().flatten().unwrap_or_else(|| "?".into());
            format!("{} {}@{}", cell(0), cell(1), cell(2))
        })
        .collect())
}

/// MySQL/MariaDB: ends every other session connected to `name` that this account can see. A
/// session that ended on its own in between is not an error.
async fn kill_sessions(
    admin: &mut AnyDriver,
    dialect: Dialect,
    name: &str,
) -> Result<(), CliError> {
    let literal = dialect.string_literal(name);
    let sql = format!(
        "SELECT CAST(ID AS CHAR) FROM information_schema.PROCESSLIST \
         WHERE DB = {literal} AND ID <> CONNECTION_ID()"
    );
    let rows = admin
        .query(&sql)
        .await
        .map_err(admin_error("list the sessions of", name))?;
    for id in rows
        .into_iter()
        .filter_map(|row| row.into_iter().next().flatten())
    {
        let id: u64 = id.parse().map_err(|_| CliError::DatabaseAdmin {
            action: "end the sessions of",
            database: name.to_owned(),
            source: crate::driver::DriverError::other(format!("session id `{id}` is not a number")),
        })?;
        match admin.execute(&format!("KILL CONNECTION {id}")).await {
            // 1094: unknown thread id, the session has gone.
            Err(e) if e.number() != Some(1094) => {
                return Err(admin_error("end the sessions of", name)(e))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether the server has a database called `name`.
async fn exists(admin: &mut AnyDriver, dialect: Dialect, name: &str) -> Result<bool, CliError> {
    let literal = dialect.string_literal(name);
    let sql = match dialect {
        Dialect::Postgres => format!("SELECT datname FROM pg_database WHERE datname = {literal}"),
        _ => format!(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = {literal}"
        ),
    };
    let rows = admin
        .query(&sql)
        .await
        .map_err(admin_error("look up", name))?;
    Ok(!rows.is_empty())
}

fn admin_error(
    action: &'static str,
    name: &str,
) -> impl FnOnce(crate::driver::DriverError) -> CliError {
    let database = name.to_owned();
    move |source| CliError::DatabaseAdmin {
        action,
        database,
        source,
    }
}

/// The file of an SQLite URL; an in-memory database has none.
fn sqlite_file(url: &DatabaseUrl) -> Result<PathBuf, CliError> {
    let file = url.database();
    let in_memory = file == ":memory:"
        || file.starts_with("file::memory:")
        || url.connection_string().contains("mode=memory");
    if in_memory {
        return Err(CliError::InMemory {
            url: url.redacted().to_owned(),
        });
    }
    Ok(PathBuf::from(file))
}

/// Creates an empty file at `path`; `false` if one exists already.
fn create_file(path: &Path) -> Result<bool, CliError> {
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(source) => Err(CliError::File {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Deletes the database file and the journal files SQLite keeps beside it; `false` if there
/// was no database file.
fn remove_file(path: &Path) -> Result<bool, CliError> {
    let removed = remove_if_present(path)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut companion = path.as_os_str().to_owned();
        companion.push(suffix);
        remove_if_present(Path::new(&companion))?;
    }
    Ok(removed)
}

fn remove_if_present(path: &Path) -> Result<bool, CliError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(CliError::File {
            path: path.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_file_is_created_once_and_removed_with_its_journals() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("app.db");
        assert!(create_file(&file).expect("create"));
        assert!(!create_file(&file).expect("exists"));
        std::fs::write(dir.path().join("app.db-wal"), b"").expect("wal");
        assert!(remove_file(&file).expect("remove"));
        assert!(!file.exists() && !dir.path().join("app.db-wal").exists());
        assert!(!remove_file(&file).expect("gone"));
    }

    #[test]
    fn in_memory_sqlite_has_no_file() {
        let url = DatabaseUrl::parse("sqlite::memory:").expect("url");
        assert!(matches!(sqlite_file(&url), Err(CliError::InMemory { .. })));
    }
}
