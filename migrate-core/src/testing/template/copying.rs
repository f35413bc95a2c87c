//! What a test database at a version is copied from ([`Template`]), and making a database as a
//! copy of one.

use std::path::PathBuf;
use std::sync::Arc;

use super::mysql;
use crate::driver::DriverError;
use crate::testing::admin::{admin_error, Admin};
use crate::Error;

/// What a test database at a version is made from.
#[derive(Debug, Clone)]
pub(crate) enum Template {
    /// A PostgreSQL template database: `CREATE DATABASE … TEMPLATE`.
    Postgres(String),
    /// A MariaDB/MySQL database whose tables are copied by the statements `copy` holds.
    MySql(String, Arc<mysql::Copy>),
    /// An SQLite file, copied.
    Sqlite(PathBuf),
    /// Nothing to copy from: the migrations made objects that a copy would not reproduce
    /// faithfully (MySQL/MariaDB views, triggers, routines, events, sequences, system-versioned
    /// tables), so each test replays them.
    Replay,
}

impl Template {
    /// The template database's name, or its file's path; `None` for [`Template::Replay`].
    pub(crate) fn name(&self) -> Option<String> {
        match self {
            Template::Postgres(name) | Template::MySql(name, _) => Some(name.clone()),
            Template::Sqlite(path) => Some(path.display().to_string()),
            Template::Replay => None,
        }
    }
}

/// Creates the server database `name`, empty or as a copy of `template`.
pub(crate) async fn create(
    admin: &mut Admin,
    server: &str,
    name: &str,
    template: Option<&Template>,
) -> Result<(), DriverError> {
    match template {
        Some(Template::Postgres(source)) => {
            admin
                .execute(&format!("CREATE DATABASE {name} TEMPLATE {source}"))
                .await
        }
        Some(Template::MySql(_, copy)) => {
            admin.execute(&format!("CREATE DATABASE {name}")).await?;
            copy.run(admin, server, name).await
        }
        _ => admin.execute(&format!("CREATE DATABASE {name}")).await,
    }
}

/// What to make of the MySQL/MariaDB template database `name`: a [`Copy`](struct@mysql::Copy),
/// or replay.
pub(crate) async fn mysql_template(admin: &mut Admin, name: &str) -> Result<Template, Error> {
    match mysql::inspect(admin, name).await {
        Ok(Some(copy)) => Ok(Template::MySql(name.to_owned(), std::sync::Arc::new(copy))),
        Ok(None) => Ok(Template::Replay),
        Err(e) => Err(admin_error("reading a template's tables", e)),
    }
}
