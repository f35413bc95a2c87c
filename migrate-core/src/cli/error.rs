//! Why a command did not complete ([`CliError`]), and the exit status each reason gives.

use std::path::PathBuf;

use super::exit::Exit;
use super::new_version::NewVersionError;
use crate::driver::DriverError;
use crate::{Error, LoadError, Version};

/// Why a command did not complete.
#[derive(Debug, thiserror::Error)]
pub(super) enum CliError {
    #[error(transparent)]
    Migrate(#[from] Error),
    #[error("cannot connect to {url}; check --database-url (or DATABASE_URL) and that the server is running")]
    Connect {
        url: String,
        #[source]
        source: DriverError,
    },
    #[error("no database URL; pass --database-url or set DATABASE_URL")]
    NoDatabaseUrl,
    #[error("unusable database URL; fix --database-url (or DATABASE_URL)")]
    Url(#[from] crate::database_url::UrlError),
    #[error("cannot revert to {target}: {}; revert to {} or later instead, or restore from a backup", irreversible_list(versions), versions.first().map_or(0, |(v, _)| v.get()))]
    Irreversible {
        target: String,
        /// Newest first, with the down script that says so.
        versions: Vec<(Version, String)>,
    },
    #[error(
        "refusing to {what} without confirmation: standard input is not a terminal; pass --yes"
    )]
    NotConfirmed { what: String },
    #[error("nothing was changed: not confirmed")]
    Declined,
    #[error("no versions folder; pass --dir")]
    NoVersionsDir,
    #[error("versions folder `{}` does not exist; pass --dir (or set MIGRATE_DIR) with the folder that holds the `V{{n}}` version folders", dir.display())]
    NoSuchVersionsDir { dir: PathBuf },
    #[error("cannot read the migrations in `{}`; fix the file named below", dir.display())]
    Load {
        dir: PathBuf,
        #[source]
        source: LoadError,
    },
    #[error(
        "cannot {action} database `{database}`; check that the account may {action} databases"
    )]
    DatabaseAdmin {
        action: &'static str,
        database: String,
        #[source]
        source: DriverError,
    },
    #[error(
        "database `{database}` has {sessions} other session(s) connected ({who}); \
         stop them, or pass --force to end them and drop it"
    )]
    DatabaseInUse {
        database: String,
        sessions: usize,
        who: String,
    },
    #[error("{url} is an in-memory SQLite database: there is no file to create or drop")]
    InMemory { url: String },
    #[error("cannot create or delete `{}`", path.display())]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    NewVersion(#[from] NewVersionError),
    #[error("reading the answer or writing the output failed")]
    Output(#[from] std::io::Error),
}

fn irreversible_list(versions: &[(Version, String)]) -> String {
    let each: Vec<String> = versions
        .iter()
        .map(|(v, script)| format!("version {v} (`{script}`)"))
        .collect();
    let verb = if versions.len() == 1 { "is" } else { "are" };
    format!(
        "{} {verb} irreversible (`-- migrate:irreversible`)",
        each.join(", ")
    )
}

impl CliError {
    pub(super) fn exit(&self) -> Exit {
        match self {
            CliError::NoDatabaseUrl
            | CliError::Url(_)
            | CliError::NotConfirmed { .. }
            | CliError::NoVersionsDir
            | CliError::NoSuchVersionsDir { .. }
            | CliError::Load { .. }
            | CliError::InMemory { .. } => Exit::Usage,
            CliError::NewVersion(e) if e.is_usage() => Exit::Usage,
            CliError::Migrate(e) if is_mismatch(e) => Exit::Mismatch,
            CliError::Migrate(Error::SchemaDrift { .. }) => Exit::Drift,
            _ => Exit::Failure,
        }
    }
}

/// Whether `error` says the history disagrees with the binary (exit 3).
fn is_mismatch(error: &Error) -> bool {
    matches!(
        error,
        Error::ChecksumMismatch { .. }
            | Error::DownChecksumMismatch { .. }
            | Error::UnknownVersion { .. }
            | Error::FailedMigration { .. }
            | Error::OutOfOrder { .. }
            | Error::StaleBinary { .. }
            | Error::FailedUnknownVersion { .. }
            | Error::PendingBelowUnknown { .. }
            | Error::RevertUnknown { .. }
    )
}
