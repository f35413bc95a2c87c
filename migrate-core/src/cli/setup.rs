//! The [`Cli`] an application builds: where its migrations come from, the runner
//! configuration and the defaults. Running a command ([`Cli::run`]) is in the parent module.

use std::path::PathBuf;

use crate::{Config, MigrationSet};

/// The operator commands for one application's migrations: build it, then [`Cli::run`].
#[derive(Debug, Clone)]
pub struct Cli<'s> {
    pub(super) migrations: Migrations<'s>,
    pub(super) config: Config,
    pub(super) default_database_url: Option<String>,
    pub(super) versions_dir: Option<PathBuf>,
    pub(super) version: Option<&'static str>,
}

/// Where the migrations come from.
#[derive(Debug, Clone, Copy)]
pub(super) enum Migrations<'s> {
    /// Embedded in the binary (or loaded by the application); `--dir` replaces them.
    Set(&'s MigrationSet),
    /// Read at run time from `--dir`, `MIGRATE_DIR` or [`Cli::versions_dir`].
    Folder,
}

impl<'s> Cli<'s> {
    /// The commands for `set`, with the default runner configuration.
    pub fn new(set: &'s MigrationSet) -> Cli<'s> {
        Cli {
            migrations: Migrations::Set(set),
            config: Config::default(),
            default_database_url: None,
            versions_dir: None,
            version: None,
        }
    }

    /// The database used when neither `--database-url` nor `DATABASE_URL` is given (for
    /// example an SQLite file, `sqlite://app.db`, with the `sqlx-sqlite` feature). Without
    /// one, a missing URL is a usage error.
    pub fn default_database_url(mut self, url: impl Into<String>) -> Cli<'s> {
        self.default_database_url = Some(url.into());
        self
    }

    /// The versions folder where `new` creates version folders when `--dir` is not given
    /// (relative to the current directory, or absolute). For [`Cli::from_dir`], also the
    /// folder every command reads.
    pub fn versions_dir(mut self, dir: impl Into<PathBuf>) -> Cli<'s> {
        self.versions_dir = Some(dir.into());
        self
    }

    /// The runner configuration (history table, lock timeout, actor, …); `--table` overrides
    /// its history table.
    pub fn config(mut self, config: Config) -> Cli<'s> {
        self.config = config;
        self
    }

    /// Adds `--version`, printing `migrate VERSION`.
    pub fn version(mut self, version: &'static str) -> Cli<'s> {
        self.version = Some(version);
        self
    }
}

impl Cli<'static> {
    /// The commands for the versions folder `dir`, read when a command runs (relative to
    /// the current directory, or absolute): what the standalone `migrate` binary does.
    /// `--dir` or the `MIGRATE_DIR` variable replace it. A folder that is missing or breaks the
    /// directory contract is a usage error (exit 2) naming the file.
    pub fn from_dir(dir: impl Into<PathBuf>) -> Cli<'static> {
        Cli {
            migrations: Migrations::Folder,
            config: Config::default(),
            default_database_url: None,
            versions_dir: Some(dir.into()),
            version: None,
        }
    }
}
