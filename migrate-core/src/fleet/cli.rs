//! The `fleet` operator commands (feature `cli`): `fleet up` and `fleet status` over many
//! databases, for [`crate::cli`] to offer as one subcommand.
//!
//! | command | what it does |
//! |---|---|
//! | `fleet up SOURCE [--to N] [--parallel P] [--canaries N] [--keep-going] [--json]` | applies pending versions on every database (see [`crate::fleet`]); exit 0 when every database is current, 1 when one failed or was skipped |
//! | `fleet status SOURCE [--parallel P] [--json]` | where every database stands: current and latest version, pending versions, failed rows, changed checksums, schema drift, who holds its migration lock; exit 0 when every database could be read |
//!
//! `SOURCE` is one of `--url URL` (repeated), `--urls-file FILE` (one URL per line, `#`
//! comments) or `--catalog-url URL --catalog-query SQL` (one URL per row). A source that
//! cannot be used exits 2 (a bad URL, a duplicate, a bad catalog row) or 1 (an unreadable
//! file, an unreachable catalog, a failed query), printing `error: …` on standard error with
//! the file and line or the row at fault. `--json` prints the documents of
//! [`super::FleetReport::to_json`] and [`super::FleetStatus::to_json`].

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Subcommand};

use super::options::{Fleet, OnFailure};
use super::source::FleetError;
use crate::cli::Exit;
use crate::driver::ConnectOptions;
use crate::{Config, MigrationSet, Target, Version};

/// Migrate or inspect many databases at once (one database per tenant).
#[derive(Debug, clap::Args)]
pub struct FleetArgs {
    #[command(subcommand)]
    command: FleetCommand,
}

#[derive(Debug, Subcommand)]
enum FleetCommand {
    /// Apply pending versions on every database of the fleet, a few at a time.
    Up {
        #[command(flatten)]
        source: SourceArgs,
        /// The last version to apply (default: the newest).
        #[arg(long, value_name = "N", value_parser = version)]
        to: Option<Version>,
        /// How many databases migrate at once (default: twice the cores, at least 4).
        #[arg(long, short = 'j', value_name = "P")]
        parallel: Option<usize>,
        /// How many databases, first in the list, migrate one at a time before the rest; a
        /// canary's failure stops the run.
        #[arg(long, value_name = "N", default_value_t = 1)]
        canaries: usize,
        /// Keep migrating the other databases after one fails (default: start no new one).
        #[arg(long)]
        keep_going: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Where every database of the fleet stands, changing nothing.
    Status {
        #[command(flatten)]
        source: SourceArgs,
        /// How many databases are read at once (default: twice the cores, at least 4).
        #[arg(long, short = 'j', value_name = "P")]
        parallel: Option<usize>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Where the fleet's databases come from: exactly one source.
#[derive(Debug, Clone, clap::Args)]
#[command(group(ArgGroup::new("source").required(true).args(["urls", "urls_file", "catalog_url"])))]
struct SourceArgs {
    /// A database of the fleet; repeat for each.
    #[arg(long = "url", value_name = "URL")]
    urls: Vec<String>,
    /// A file with one database URL per line (blank lines and `#` comments skipped).
    #[arg(long, value_name = "FILE")]
    urls_file: Option<PathBuf>,
    /// A catalog database whose --catalog-query lists the fleet.
    #[arg(long, value_name = "URL", requires = "catalog_query")]
    catalog_url: Option<String>,
    /// The query on the catalog database: one column, a database URL per row.
    #[arg(long, value_name = "SQL", requires = "catalog_url")]
    catalog_query: Option<String>,
}

fn version(text: &str) -> Result<Version, String> {
    let n: u32 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a version number"))?;
    Version::new(n).ok_or_else(|| "versions start at 1".to_owned())
}

impl SourceArgs {
    async fn fleet(self, options: &ConnectOptions) -> Result<Fleet, FleetError> {
        match (self.urls_file, self.catalog_url, self.catalog_query) {
            (Some(file), _, _) => Fleet::from_file(file),
            (None, Some(url), Some(query)) => Fleet::from_catalog_url(&url, options, &query).await,
            _ => Fleet::from_urls(self.urls),
        }
    }
}

/// Runs a parsed `fleet` command for `set` with `config` on every database, printing to
/// standard output; `connect_timeout` is the CLI's `--connect-timeout`.
pub async fn run(
    set: &MigrationSet,
    config: &Config,
    connect_timeout: Option<Duration>,
    args: &FleetArgs,
) -> Exit {
    let mut out = io::stdout().lock();
    match run_to(set, config, connect_timeout, args, &mut out).await {
        Ok(exit) => exit,
        Err(e) => {
            if e.kind() != io::ErrorKind::BrokenPipe {
                eprintln!("error: writing the output failed: {e}");
            }
            Exit::Failure
        }
    }
}

/// [`run`] writing to `out`.
async fn run_to(
    set: &MigrationSet,
    config: &Config,
    connect_timeout: Option<Duration>,
    args: &FleetArgs,
    out: &mut impl Write,
) -> io::Result<Exit> {
    let options = connect_timeout.map_or_else(ConnectOptions::default, |t| {
        ConnectOptions::default().connect_timeout(t)
    });
    let (source, parallel) = match &args.command {
        FleetCommand::Up {
            source, parallel, ..
        }
        | FleetCommand::Status {
            source, parallel, ..
        } => (source.clone(), *parallel),
    };
    let mut fleet = match source.fleet(&options).await {
        Ok(fleet) => fleet.connect_options(options).config(config.clone()),
        Err(e) => return Ok(refused(&e)),
    };
    if let Some(p) = parallel {
        fleet = fleet.parallelism(p);
    }
    match args.command {
        FleetCommand::Up {
            to,
            canaries,
            keep_going,
            json,
            ..
        } => {
            let report = fleet
                .canaries(canaries)
                .on_failure(if keep_going {
                    OnFailure::Continue
                } else {
                    OnFailure::Stop
                })
                .up(set, to.map_or(Target::Latest, Target::Version))
                .await;
            print(out, json, &report, || report.to_json())?;
            Ok(if report.is_success() {
                Exit::Success
            } else {
                Exit::Failure
            })
        }
        FleetCommand::Status { json, .. } => {
            let status = fleet.status(set).await;
            print(out, json, &status, || status.to_json())?;
            Ok(if status.summary().unreadable == 0 {
                Exit::Success
            } else {
                Exit::Failure
            })
        }
    }
}

fn print(
    out: &mut impl Write,
    json: bool,
    table: &impl std::fmt::Display,
    document: impl FnOnce() -> String,
) -> io::Result<()> {
    if json {
        writeln!(out, "{}", document())
    } else {
        write!(out, "{table}")
    }
}

/// Prints why the fleet could not be built: `error: …` and its causes. A list that is
/// wrong is a usage error (2); one that could not be read or queried a failure (1).
fn refused(error: &FleetError) -> Exit {
    let mut text = format!("error: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!("\n  caused by: {cause}"));
        source = cause.source();
    }
    eprintln!("{text}");
    match error {
        FleetError::InvalidUrl { .. }
        | FleetError::Duplicate { .. }
        | FleetError::CatalogRow { .. } => Exit::Usage,
        _ => Exit::Failure,
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Top {
        #[command(subcommand)]
        fleet: Wrapped,
    }

    #[derive(Debug, Subcommand)]
    enum Wrapped {
        Fleet(FleetArgs),
    }

    fn parse(args: &[&str]) -> Result<FleetCommand, clap::Error> {
        let all = ["migrate", "fleet"].iter().chain(args);
        Top::try_parse_from(all).map(|top| match top.fleet {
            Wrapped::Fleet(f) => f.command,
        })
    }

    #[test]
    fn up_reads_its_options_and_one_source() {
        let parsed = parse(&[
            "up",
            "--url",
            "sqlite://a.db",
            "--url",
            "sqlite://b.db",
            "-j",
            "8",
            "--canaries",
            "2",
            "--keep-going",
            "--to",
            "3",
        ])
        .expect("parses");
        let FleetCommand::Up {
            source,
            to,
            parallel,
            canaries,
            keep_going,
            json,
        } = parsed
        else {
            panic!("not up: {parsed:?}");
        };
        assert_eq!(source.urls, ["sqlite://a.db", "sqlite://b.db"]);
        assert_eq!(
            (to.map(Version::get), parallel, canaries, keep_going, json),
            (Some(3), Some(8), 2, true, false)
        );
    }

    fn fleet_args(args: &[&str]) -> FleetArgs {
        let all = ["migrate", "fleet"].iter().chain(args);
        match Top::try_parse_from(all).expect("parses").fleet {
            Wrapped::Fleet(f) => f,
        }
    }

    fn sqlite_set(dir: &std::path::Path) -> MigrationSet {
        let v1 = dir.join("versions/V1__items");
        std::fs::create_dir_all(&v1).expect("mkdir");
        std::fs::write(v1.join("up.sql"), "CREATE TABLE items (id INTEGER);\n").expect("up");
        std::fs::write(v1.join("down.sql"), "DROP TABLE items;\n").expect("down");
        crate::source::load_dir(dir.join("versions"), &[crate::Dialect::Sqlite]).expect("loads")
    }

    async fn run_args(set: &MigrationSet, args: &[&str]) -> (Exit, String) {
        let mut out = Vec::new();
        let exit = run_to(set, &Config::default(), None, &fleet_args(args), &mut out)
            .await
            .expect("writes");
        (exit, String::from_utf8(out).expect("utf-8"))
    }

    #[tokio::test]
    async fn up_then_status_on_a_file_of_sqlite_databases() {
        let dir = tempfile::tempdir().expect("temp dir");
        let set = sqlite_set(dir.path());
        let list = dir.path().join("tenants.txt");
        let urls: Vec<String> = (0..3)
            .map(|i| format!("sqlite://{}", dir.path().join(format!("t{i}.db")).display()))
            .collect();
        std::fs::write(&list, format!("# tenants\n{}\n", urls.join("\n"))).expect("list");
        let file = list.to_str().expect("utf-8 path");
        let (exit, out) = run_args(&set, &["up", "--urls-file", file, "--json"]).await;
        assert_eq!(exit, Exit::Success, "{out}");
        let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
        assert_eq!(doc["summary"]["applied"], 3, "{out}");
        assert_eq!(doc["databases"][1]["applied"], serde_json::json!([1]));
        let (exit, out) = run_args(&set, &["status", "--urls-file", file]).await;
        assert_eq!(exit, Exit::Success, "{out}");
        assert!(
            out.contains("3 databases") && out.contains("3 current"),
            "{out}"
        );
    }

    #[tokio::test]
    async fn a_bad_list_is_a_usage_error_and_a_failed_database_a_failure() {
        let dir = tempfile::tempdir().expect("temp dir");
        let set = sqlite_set(dir.path());
        let (exit, out) = run_args(&set, &["up", "--url", "not-a-url"]).await;
        assert_eq!((exit, out.as_str()), (Exit::Usage, ""));
        let missing = "sqlite:///nonexistent-folder/t.db";
        let (exit, out) = run_args(&set, &["up", "--url", missing]).await;
        assert_eq!(exit, Exit::Failure, "{out}");
        assert!(out.contains("1 failed"), "{out}");
    }

    #[test]
    fn a_source_is_required_and_only_one() {
        assert!(parse(&["status"]).is_err());
        assert!(parse(&["status", "--url", "sqlite://a.db", "--urls-file", "t.txt"]).is_err());
        assert!(parse(&["status", "--catalog-url", "sqlite://c.db"]).is_err());
        assert!(parse(&[
            "status",
            "--catalog-url",
            "sqlite://c.db",
            "--catalog-query",
            "SELECT url FROM t"
        ])
        .is_ok());
    }
}
