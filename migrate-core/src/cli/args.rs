//! The command line, as clap reads it. Doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::history::HistoryTable;
use crate::plan::Target;
use crate::Version;

/// Versioned database migrations: inspect, apply, revert and repair the schema history.
#[derive(Debug, Parser)]
#[command(name = "migrate", disable_version_flag = true)]
pub(super) struct Args {
    /// The database (`sqlite://app.db`, `mysql://user:password@host/db`, `postgres://…`);
    /// default: the DATABASE_URL variable, else the application's default.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    pub(super) database_url: Option<String>,

    /// Seconds to wait for the server to accept the connection (default 10). Statements
    /// themselves are not timed out: a long migration is legitimate.
    #[arg(long, global = true, value_name = "SECONDS", env = "MIGRATE_CONNECT_TIMEOUT", value_parser = crate::driver::parse_timeout)]
    pub(super) connect_timeout: Option<std::time::Duration>,

    /// The versions folder: `new` creates versions there, and every other command runs the
    /// migrations read from it instead of the application's own.
    #[arg(long, global = true, value_name = "DIR")]
    pub(super) dir: Option<PathBuf>,

    /// The history table (default: the application's, else `schema_history`); the log table
    /// is `<NAME>_log`.
    #[arg(long, global = true, value_name = "NAME", value_parser = history_table)]
    pub(super) table: Option<HistoryTable>,

    /// Versions in the history that these migrations do not have (applied by a newer
    /// release): `refuse` them (the default), or `ignore` them, touching nothing at or after
    /// them.
    #[arg(long, global = true, value_name = "POLICY", env = "MIGRATE_UNKNOWN_VERSIONS", value_parser = unknown_versions)]
    pub(super) unknown_versions: Option<crate::UnknownVersions>,

    #[command(subcommand)]
    pub(super) command: Command,
}

#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Migrate or inspect many databases at once (one database per tenant).
    Fleet(crate::fleet::cli::FleetArgs),
    /// Every version with its state, when and by whom it was applied, and its checksum.
    Status {
        /// Print JSON (shape in the `migrate_core::cli` docs).
        #[arg(long)]
        json: bool,
    },
    /// Apply every pending version, or those up to --to.
    Up {
        /// The last version to apply (default: the newest).
        #[arg(long, value_name = "N", value_parser = version)]
        to: Option<Version>,
        /// Print JSON (shape in the `migrate_core::cli` docs).
        #[arg(long)]
        json: bool,
    },
    /// Revert every version after --to, newest first, with their down scripts.
    Down {
        /// The version to go back to; 0 reverts everything.
        #[arg(long, value_name = "N", value_parser = target)]
        to: Target,
        /// Do not ask for confirmation (needed when not on a terminal).
        #[arg(long, short)]
        yes: bool,
        /// Print JSON (shape in the `migrate_core::cli` docs).
        #[arg(long)]
        json: bool,
    },
    /// Revert the newest version and apply it again.
    Redo {
        /// Do not ask for confirmation (needed when not on a terminal).
        #[arg(long, short)]
        yes: bool,
    },
    /// Print every statement that `up` (or `down --to N`) would run, changing nothing.
    Plan {
        /// Plan up to this version (with --down: back to it; 0 reverts everything).
        #[arg(long, value_name = "N", value_parser = target)]
        to: Option<Target>,
        /// Plan a revert (needs --to).
        #[arg(long, requires = "to")]
        down: bool,
        /// Print JSON (shape in the `migrate_core::cli` docs).
        #[arg(long)]
        json: bool,
    },
    /// Check the history against this binary and the live schema against the history,
    /// changing nothing; exit 3 on a history mismatch, 4 on schema drift alone.
    Validate {
        /// Print JSON (shape in the `migrate_core::cli` docs).
        #[arg(long)]
        json: bool,
    },
    /// Finish a failed migration from its failed statement, after fixing the cause.
    Resume {
        /// Continue after the failed statement instead (it took effect, or was completed by
        /// hand).
        #[arg(long, conflicts_with = "rerun")]
        skip: bool,
        /// Run the statement that was in flight when the run stopped again: it did not take
        /// effect (a row whose statement's outcome is unknown needs --skip or --rerun).
        #[arg(long)]
        rerun: bool,
    },
    /// Mark a failed migration as not applied, after undoing its statements by hand.
    Repair,
    /// Record versions 1 to --version as applied without running them (existing database).
    Baseline {
        /// The version the database's schema is at.
        #[arg(long, value_name = "N", value_parser = version)]
        version: Version,
    },
    /// Record the embedded checksums of an applied version's up and down scripts after a
    /// deliberate edit.
    AcceptChecksum {
        /// The version whose script was edited.
        #[arg(long, value_name = "N", value_parser = version)]
        version: Version,
    },
    /// Record the live schema as the one after the last applied version, after a change
    /// reported as drift was judged right.
    AcceptSchema,
    /// On scratch databases, apply, revert and re-apply every version, checking that each
    /// down script restores the schema exactly; exit 3 if any does not. Never touches the
    /// database itself: scratch databases are created next to it and dropped afterwards.
    Verify {
        /// Create the scratch databases on this server instead of the database's own (the
        /// account needs the right to create databases; `sqlite:` uses temporary files).
        #[arg(long, value_name = "URL")]
        scratch_url: Option<String>,
        /// Print JSON (shape in the `migrate_core::cli` docs).
        #[arg(long)]
        json: bool,
    },
    /// Create the next version folder, `V<n>__NAME`, with empty up.sql and down.sql.
    New {
        /// What the version does, in letters, digits and `_` (`add_index`).
        name: String,
    },
    /// Create or drop the database the URL names.
    Database {
        #[command(subcommand)]
        action: DatabaseAction,
    },
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub(super) enum DatabaseAction {
    /// Create the database if it does not exist (SQLite: an empty file).
    Create,
    /// Drop the database and everything in it (SQLite: delete the file). Refused while other
    /// sessions are still connected to it after 2 s, unless `--force`.
    Drop {
        /// Do not ask for confirmation (needed when not on a terminal).
        #[arg(long, short)]
        yes: bool,
        /// End the other sessions connected to the database first (PostgreSQL
        /// `DROP DATABASE … WITH (FORCE)`; MySQL/MariaDB `KILL` of each session this account
        /// can see; on a Galera cluster only those on the node connected to).
        #[arg(long, short)]
        force: bool,
    },
}

/// A valid history table name.
fn history_table(text: &str) -> Result<HistoryTable, String> {
    HistoryTable::new(text).map_err(|e| e.to_string())
}

/// A version number, 1 or more.
fn version(text: &str) -> Result<Version, String> {
    let n: u32 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a version number"))?;
    Version::new(n).ok_or_else(|| "versions start at 1".to_owned())
}

/// A version number, or 0 for "before the first version".
fn target(text: &str) -> Result<Target, String> {
    let n: u32 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a version number"))?;
    Ok(Version::new(n).map_or(Target::Empty, Target::Version))
}

/// `refuse` or `ignore`.
fn unknown_versions(text: &str) -> Result<crate::UnknownVersions, String> {
    match text {
        "refuse" => Ok(crate::UnknownVersions::Refuse),
        "ignore" => Ok(crate::UnknownVersions::Ignore),
        other => Err(format!("`{other}` is not `refuse` or `ignore`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn down_to_zero_means_empty() {
        let args = Args::try_parse_from(["migrate", "down", "--to", "0", "--yes"]).expect("valid");
        assert!(matches!(
            args.command,
            Command::Down {
                to: Target::Empty,
                yes: true,
                json: false
            }
        ));
    }

    #[test]
    fn baseline_rejects_version_zero() {
        let err = Args::try_parse_from(["migrate", "baseline", "--version", "0"]).expect_err("0");
        assert!(err.to_string().contains("versions start at 1"), "{err}");
    }

    #[test]
    fn resume_takes_skip_or_rerun_not_both() {
        let args = Args::try_parse_from(["migrate", "resume", "--rerun"]).expect("valid");
        assert!(matches!(
            args.command,
            Command::Resume {
                skip: false,
                rerun: true
            }
        ));
        Args::try_parse_from(["migrate", "resume", "--skip", "--rerun"]).expect_err("both");
    }

    #[test]
    fn plan_down_needs_a_target() {
        Args::try_parse_from(["migrate", "plan", "--down"]).expect_err("needs --to");
    }

    #[test]
    fn database_url_may_follow_the_command() {
        let args = Args::try_parse_from(["migrate", "status", "--database-url", "sqlite://x.db"])
            .expect("valid");
        assert_eq!(args.database_url.as_deref(), Some("sqlite://x.db"));
    }

    #[test]
    fn dir_and_table_are_global() {
        let args = Args::try_parse_from([
            "migrate",
            "up",
            "--dir",
            "db/versions",
            "--table",
            "history",
            "--json",
        ])
        .expect("valid");
        assert_eq!(args.dir, Some(PathBuf::from("db/versions")));
        assert_eq!(args.table.as_ref().map(HistoryTable::name), Some("history"));
        assert!(matches!(
            args.command,
            Command::Up {
                to: None,
                json: true
            }
        ));
    }

    #[test]
    fn table_must_be_an_identifier() {
        Args::try_parse_from(["migrate", "status", "--table", "x; DROP"]).expect_err("invalid");
    }

    #[test]
    fn database_drop_takes_yes() {
        let args = Args::try_parse_from(["migrate", "database", "drop", "--yes"]).expect("valid");
        assert!(matches!(
            args.command,
            Command::Database {
                action: DatabaseAction::Drop {
                    yes: true,
                    force: false
                }
            }
        ));
    }

    #[test]
    fn connect_timeout_reads_seconds() {
        let args =
            Args::try_parse_from(["migrate", "status", "--connect-timeout", "1.5"]).expect("valid");
        assert_eq!(
            args.connect_timeout,
            Some(std::time::Duration::from_millis(1500))
        );
        Args::try_parse_from(["migrate", "status", "--connect-timeout", "0"]).expect_err("0");
    }
}
