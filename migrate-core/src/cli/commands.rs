//! Each command: connect, call the [`Migrator`], print. The runner does the work; nothing here
//! touches the history but through it.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::args::{Args, Command};
use super::error::CliError;
use super::exit::Exit;
use super::output::{self, Database, Problem};
use super::progress::Lines;
use super::prompt::confirm;
use super::setup::{Cli, Migrations};
use super::{database, new_version, progress};
use crate::database_url::DatabaseUrl;
use crate::driver::{AnyDriver, ConnectOptions, Driver};
use crate::history::{AppliedMigration, State};
use crate::migration::Reversibility;
use crate::plan::{self, Resume, Target};
use crate::verify::{ScratchServer, Verifier};
use crate::{Config, Dialect, Direction, MigrationSet, Migrator, Version};

/// Runs one parsed command line.
pub(super) async fn run(cli: &Cli<'_>, args: Args) -> Result<Exit, CliError> {
    if let Command::New { name } = &args.command {
        let dir = args
            .dir
            .clone()
            .or_else(|| cli.versions_dir.clone())
            .ok_or(CliError::NoVersionsDir)?;
        return new(&dir, name, cli.migrations);
    }
    if let Command::Fleet(fleet) = &args.command {
        return fleet_command(cli, &args, fleet).await;
    }
    let url = args
        .database_url
        .clone()
        .filter(|url| !url.is_empty())
        .or_else(|| cli.default_database_url.clone())
        .ok_or(CliError::NoDatabaseUrl)?;
    let url = DatabaseUrl::parse(&url)?;
    let options = args
        .connect_timeout
        .map_or_else(ConnectOptions::default, |t| {
            ConnectOptions::default().connect_timeout(t)
        });
    if let Command::Database { action } = args.command {
        return database::run(&url, &options, action).await;
    }
    let config = config(cli, &args);
    let loaded;
    let set = match migrations_folder(cli, &args) {
        Some(dir) => {
            loaded = load(&dir, &[url.dialect()])?;
            &loaded
        }
        None => match cli.migrations {
            Migrations::Set(set) => set,
            Migrations::Folder => return Err(CliError::NoVersionsDir),
        },
    };
    match args.command {
        Command::Verify { scratch_url, json } => {
            let server = match scratch_url {
                Some(scratch) => DatabaseUrl::parse(&scratch)?,
                None => url,
            };
            verify(set, config, &server, &options, json).await
        }
        command => connected(set, config, &url, &options, command).await,
    }
}

/// `new NAME`: creates the next version folder in `dir`.
fn new(dir: &Path, name: &str, migrations: Migrations<'_>) -> Result<Exit, CliError> {
    let created = new_version::create(dir, name)?;
    let folder = created.folder.display();
    let next = match migrations {
        Migrations::Set(_) => {
            "write the SQL that applies and reverts it (the build rejects empty scripts), then rebuild"
        }
        // Read when a command runs: nothing to build.
        Migrations::Folder => "write the SQL that applies and reverts it, then run `up`",
    };
    writeln!(
        io::stdout(),
        "created {folder}/up.sql and {folder}/down.sql (version {})\n{next}",
        created.version
    )?;
    Ok(Exit::Success)
}

/// The folder to read the migrations from, if they do not come from the application:
/// `--dir` (or, for [`Cli::from_dir`], `MIGRATE_DIR` or its folder).
fn migrations_folder(cli: &Cli<'_>, args: &Args) -> Option<PathBuf> {
    match cli.migrations {
        Migrations::Set(_) => args.dir.clone(),
        Migrations::Folder => args.dir.clone().or_else(|| cli.versions_dir.clone()),
    }
}

/// The application's runner configuration with `--table` and `--unknown-versions` applied.
fn config(cli: &Cli<'_>, args: &Args) -> crate::Config {
    let mut config = cli.config.clone();
    if let Some(table) = args.table.clone() {
        config = config.table(table);
    }
    if let Some(policy) = args.unknown_versions {
        config = config.unknown_versions(policy);
    }
    config
}

/// `fleet up|status`: the databases are the fleet's own, in any dialect, so a versions folder
/// is read for every dialect.
async fn fleet_command(
    cli: &Cli<'_>,
    args: &Args,
    fleet: &crate::fleet::cli::FleetArgs,
) -> Result<Exit, CliError> {
    let config = config(cli, args);
    let loaded;
    let set = match migrations_folder(cli, args) {
        Some(dir) => {
            loaded = load(&dir, &Dialect::ALL)?;
            &loaded
        }
        None => match cli.migrations {
            Migrations::Set(set) => set,
            Migrations::Folder => return Err(CliError::NoVersionsDir),
        },
    };
    Ok(crate::fleet::cli::run(set, &config, args.connect_timeout, fleet).await)
}

/// The versions folder `dir`, read for `dialects`.
fn load(dir: &Path, dialects: &[Dialect]) -> Result<MigrationSet, CliError> {
    if !dir.is_dir() {
        return Err(CliError::NoSuchVersionsDir {
            dir: dir.to_path_buf(),
        });
    }
    crate::source::load_dir(dir, dialects).map_err(|source| CliError::Load {
        dir: dir.to_path_buf(),
        source,
    })
}

/// The commands that work on the database itself: connects, then runs `command`.
async fn connected(
    set: &MigrationSet,
    config: Config,
    url: &DatabaseUrl,
    options: &ConnectOptions,
    command: Command,
) -> Result<Exit, CliError> {
    let shown = url.redacted().to_owned();
    tracing::debug!(database = %shown, timeout = ?options.connect_timeout, "connecting");
    let mut driver = AnyDriver::connect_with(url.connection_string(), options)
        .await
        .map_err(|source| CliError::Connect {
            url: shown.clone(),
            source,
        })?;
    let lines = match command {
        Command::Up { json: true, .. } | Command::Down { json: true, .. } => Lines::Stderr,
        _ => Lines::Stdout,
    };
    let display = progress::Display::new(lines);
    let history_table = config.history_table().name().to_owned();
    let session = Session {
        migrator: Migrator::with_config(set, config).with_progress(display.observer()),
        db: Database {
            url: &shown,
            dialect: driver.dialect(),
            history_table: &history_table,
        },
    };
    let result = session.run(&mut driver, command).await;
    display.finish();
    result
}

/// A command's connection-independent context.
struct Session<'a, 's> {
    migrator: Migrator<'s>,
    db: Database<'a>,
}

impl Session<'_, '_> {
    async fn run(&self, driver: &mut AnyDriver, command: Command) -> Result<Exit, CliError> {
        // Not a `StdoutLock`: it would make the future `!Send` across the awaits below.
        let out = &mut io::stdout();
        match command {
            Command::Status { json } => self.status(driver, out, json).await,
            Command::Up { to, json } => {
                let target = to.map_or(Target::Latest, Target::Version);
                let report = self.migrator.up(driver, target).await?;
                if json {
                    return self.run_json(driver, out, Direction::Up, &report).await;
                }
                if report.steps.is_empty() {
                    writeln!(out, "nothing to apply")?;
                }
                self.print_outcome(driver, out, &report).await
            }
            Command::Down { to, yes, json } => self.down(driver, out, to, yes, json).await,
            Command::Redo { yes } => self.redo(driver, out, yes).await,
            Command::Plan { to, down, json } => self.plan(driver, out, to, down, json).await,
            Command::Validate { json } => self.validate(driver, out, json).await,
            Command::Resume { skip, rerun } => {
                let resume = match (skip, rerun) {
                    (true, _) => Resume::Skip,
                    (_, true) => Resume::Rerun,
                    _ => Resume::AfterFix,
                };
                let report = self.migrator.resume(driver, resume).await?;
                self.print_outcome(driver, out, &report).await
            }
            Command::Repair => self.repair(driver, out).await,
            Command::Baseline { version } => {
                self.migrator.baseline(driver, version).await?;
                writeln!(
                    out,
                    "recorded versions 1 to {version} as applied without running their scripts"
                )?;
                self.print_standing(driver, out).await
            }
            Command::AcceptChecksum { version } => self.accept_checksum(driver, out, version).await,
            Command::AcceptSchema => self.accept_schema(driver, out).await,
            // Handled before connecting.
            Command::New { .. }
            | Command::Verify { .. }
            | Command::Database { .. }
            | Command::Fleet(_) => Ok(Exit::Success),
        }
    }

    /// `plan`: what `up` (or `down --to`) would run, as text or JSON.
    async fn plan(
        &self,
        driver: &mut AnyDriver,
        out: &mut impl Write,
        to: Option<Target>,
        down: bool,
        json: bool,
    ) -> Result<Exit, CliError> {
        // clap makes `--down` require `--to`.
        let to = to.unwrap_or(Target::Latest);
        let (direction, plan) = if down {
            (Direction::Down, self.migrator.plan_down(driver, to).await?)
        } else {
            (Direction::Up, self.migrator.plan_up(driver, to).await?)
        };
        if json {
            output::plan_json(out, &self.db, direction, &plan)?;
        } else {
            output::plan_text(out, &self.db, direction, &plan)?;
        }
        Ok(Exit::Success)
    }

    /// `repair`: marks a failed row not applied, saying where its step stopped.
    async fn repair(&self, driver: &mut AnyDriver, out: &mut impl Write) -> Result<Exit, CliError> {
        let failed = self.failed_row(driver).await?;
        let report = self.migrator.repair(driver).await?;
        if let Some(row) = failed {
            let stopped = match row.statements_done >= row.statements_total {
                true => format!("after all {} statements", row.statements_total),
                false => format!(
                    "at statement {} of {}",
                    row.statements_done + 1,
                    row.statements_total
                ),
            };
            writeln!(
                out,
                "version {} marked not applied; {} stopped {stopped} in `{}` (recorded in the log table)",
                row.version, row.direction, row.script
            )?;
        }
        self.print_outcome(driver, out, &report).await
    }

    /// `accept-checksum`: records the embedded checksum of `version`, saying what it replaced.
    async fn accept_checksum(
        &self,
        driver: &mut AnyDriver,
        out: &mut impl Write,
        version: Version,
    ) -> Result<Exit, CliError> {
        let before = self.migrator.history(driver).await?;
        self.migrator.accept_checksum(driver, version).await?;
        let after = self.migrator.history(driver).await?;
        let checksum = |rows: &[AppliedMigration]| {
            rows.iter()
                .find(|r| r.version == version)
                .map(|r| (r.checksum, r.script.clone()))
        };
        if let (Some((old, _)), Some((new, script))) = (checksum(&before), checksum(&after)) {
            writeln!(
                out,
                "version {version}: accepted checksum {new} of `{script}` (was {old}); recorded in the log table"
            )?;
        }
        Ok(Exit::Success)
    }

    /// `accept-schema`: records the live schema as the one after the last applied version.
    async fn accept_schema(
        &self,
        driver: &mut AnyDriver,
        out: &mut impl Write,
    ) -> Result<Exit, CliError> {
        self.migrator.accept_schema(driver).await?;
        let applied = self.migrator.history(driver).await?;
        if let Some(row) = crate::schema::recorded::last_applied(&applied) {
            let fingerprint = row.fingerprint.map(|f| f.to_string()).unwrap_or_default();
            writeln!(
                out,
                "recorded the live schema ({fingerprint}) as the one after version {}; recorded in the log table",
                row.version
            )?;
        }
        Ok(Exit::Success)
    }

    async fn status(
        &self,
        driver: &mut AnyDriver,
        out: &mut impl Write,
        json: bool,
    ) -> Result<Exit, CliError> {
        let set = self.migrator.migrations();
        let dialect = self.db.dialect;
        let applied = self.migrator.history(driver).await?;
        let lines = crate::status::status(set, &applied, dialect);
        let schema = self.migrator.check_schema_against(driver, &applied).await?;
        // Secondary to the history: a lock that cannot be read is shown as such, not fatal.
        let lock = self.migrator.lock_holder(driver).await;
        if json {
            let lock = output::LockJson::new(&lock);
            output::status_json(out, &self.db, &lines, &schema, set.latest(), lock)?;
        } else {
            let failures: Vec<(Version, crate::Error)> = applied
                .iter()
                .filter(|r| r.state == State::Failed)
                .filter_map(|r| {
                    plan::reject_failed(set, std::slice::from_ref(r), dialect)
                        .err()
                        .map(|e| (r.version, e))
                })
                .collect();
            output::status_table(out, &self.db, &lines, &failures, set.latest())?;
            write!(out, "{schema}")?;
            writeln!(out, "{}", output::LockLine(&lock))?;
        }
        Ok(Exit::Success)
    }

    async fn down(
        &self,
        driver: &mut AnyDriver,
        out: &mut impl Write,
        to: Target,
        yes: bool,
        json: bool,
    ) -> Result<Exit, CliError> {
        let applied = self.migrator.history(driver).await?;
        let keep = match to {
            Target::Version(v) => Some(v),
            Target::Empty => None,
            Target::Latest => return Ok(Exit::Success),
        };
        let reverted: Vec<&AppliedMigration> = applied
            .iter()
            .rev()
            .filter(|r| keep.is_none_or(|keep| r.version > keep))
            .collect();
        let shown_target = keep.map_or("empty".to_owned(), |v| format!("version {v}"));
        self.refuse_irreversible(&reverted, &shown_target)?;
        // The planner's own checks (changed checksums, failed rows, unknown target) come before
        // the question, so the operator is never asked about a revert that cannot run.
        let policy = self.migrator.config().unknown_versions;
        let set = self.migrator.migrations();
        let plan = plan::plan_down_with(set, &applied, self.db.dialect, to, policy)?;
        if plan.is_empty() {
            if json {
                let report = crate::Report::default();
                return self.run_json(driver, out, Direction::Down, &report).await;
            }
            writeln!(out, "nothing to revert")?;
            return self.print_standing(driver, out).await;
        }
        let list: Vec<String> = plan
            .steps
            .iter()
            .map(|s| format!("V{}", s.migration.version()))
            .collect();
        confirm(
            yes,
            &format!(
                "revert {} of {} with their down scripts",
                list.join(", "),
                self.db.url
            ),
        )?;
        let report = self.migrator.down(driver, to).await?;
        if json {
            return self.run_json(driver, out, Direction::Down, &report).await;
        }
        self.print_outcome(driver, out, &report).await
    }

    async fn redo(
        &self,
        driver: &mut AnyDriver,
        out: &mut impl Write,
        yes: bool,
    ) -> Result<Exit, CliError> {
        let applied = self.migrator.history(driver).await?;
        let Some(newest) = applied.last() else {
            writeln!(out, "nothing to redo: no version is applied")?;
            return Ok(Exit::Success);
        };
        let before = Version::new(newest.version.get() - 1)
            .map_or("empty".to_owned(), |v| format!("version {v}"));
        self.refuse_irreversible(&[newest], &before)?;
        confirm(
            yes,
            &format!("revert and re-apply V{} of {}", newest.version, self.db.url),
        )?;
        let report = self.migrator.redo(driver).await?;
        self.print_outcome(driver, out, &report).await
    }

    /// Refuses a revert that crosses irreversible versions, naming every one of them.
    fn refuse_irreversible(
        &self,
        reverted: &[&AppliedMigration],
        target: &str,
    ) -> Result<(), CliError> {
        let versions: Vec<(Version, String)> = reverted
            .iter()
            .filter_map(|row| {
                let script = self
                    .migrator
                    .migrations()
                    .get(row.version)?
                    .script(Direction::Down, self.db.dialect)?;
                (script.directives().reversibility == Reversibility::Irreversible)
                    .then(|| (row.version, script.path().to_owned()))
            })
            .collect();
        if versions.is_empty() {
            Ok(())
        } else {
            Err(CliError::Irreversible {
                target: target.to_owned(),
                versions,
            })
        }
    }

    /// Every mismatch between the history and the binary, each checked on its own so that one
    /// does not hide the next (the runner stops at the first).
    async fn validate(
        &self,
        driver: &mut AnyDriver,
        out: &mut impl Write,
        json: bool,
    ) -> Result<Exit, CliError> {
        let set = self.migrator.migrations();
        let dialect = self.db.dialect;
        let applied = self.migrator.history(driver).await?;
        let mut problems = Vec::new();
        if let Err(e) = set.check_source_dir() {
            problems.push(Problem::new(None, &e));
        }
        // A version ignored under `--unknown-versions ignore` is not a problem: `up` warns.
        let policy = self.migrator.config().unknown_versions;
        for row in &applied {
            let one = std::slice::from_ref(row);
            if let Err(e) = plan::check_history_with(set, one, dialect, policy)
                .and_then(|_| plan::check_down_checksums(set, one, dialect))
            {
                problems.push(Problem::new(Some(row.version), &e));
            } else if let Err(e) = plan::reject_failed(set, one, dialect) {
                problems.push(Problem::new(Some(row.version), &e));
            }
        }
        if problems.is_empty() {
            // What is left: pending versions that cannot run (out of order, no script for
            // this dialect), as `up` would find them.
            if let Err(e) = self.migrator.plan_up(driver, Target::Latest).await {
                if let crate::Error::Driver { .. } = e {
                    return Err(e.into());
                }
                let version = match &e {
                    crate::Error::OutOfOrder { version, .. }
                    | crate::Error::MissingDialectScript { version, .. }
                    | crate::Error::PendingBelowUnknown { version, .. } => Some(*version),
                    _ => None,
                };
                problems.push(Problem::new(version, &e));
            }
        }
        if let crate::schema::SchemaCheck::Drifted(drift) =
            self.migrator.check_schema_against(driver, &applied).await?
        {
            let version = drift.version;
            let error = crate::Error::SchemaDrift {
                drift: Box::new(drift),
            };
            problems.push(Problem::new(Some(version), &error));
        }
        let pending = pending(set, &applied, dialect);
        if json {
            output::validate_json(out, &self.db, &problems, &pending)?;
        } else {
            let standing = output::standing(output::current(&applied), set.latest(), &pending);
            output::validate_text(out, &self.db, &problems, &standing)?;
        }
        Ok(if problems.is_empty() {
            Exit::Success
        } else if problems.iter().all(|p| p.kind == "schema_drift") {
            Exit::Drift
        } else {
            Exit::Mismatch
        })
    }

    async fn failed_row(
        &self,
        driver: &mut AnyDriver,
    ) -> Result<Option<AppliedMigration>, CliError> {
        let applied = self.migrator.history(driver).await?;
        Ok(applied.into_iter().find(|r| r.state == State::Failed))
    }

    /// [`Session::print_standing`], then the schema drift the command found, if any (exit 4),
    /// and the version whose schema a revert recorded because it had none.
    async fn print_outcome(
        &self,
        driver: &mut AnyDriver,
        out: &mut impl Write,
        report: &crate::Report,
    ) -> Result<Exit, CliError> {
        self.print_standing(driver, out).await?;
        if let Some(version) = report.schema_recorded {
            writeln!(
                out,
                "version {version} had no recorded schema fingerprint (applied in the middle of a run); recorded the schema found now"
            )?;
        }
        let Some(drift) = &report.drift else {
            return Ok(Exit::Success);
        };
        writeln!(
            out,
            "schema drift: {drift}it stays reported until it is undone by hand, or recorded with `accept-schema` if it is intended"
        )?;
        Ok(Exit::Drift)
    }

    /// `up --json`, `down --json`: the run's document (exit 4 when it found drift).
    async fn run_json(
        &self,
        driver: &mut AnyDriver,
        out: &mut impl Write,
        direction: Direction,
        report: &crate::Report,
    ) -> Result<Exit, CliError> {
        let set = self.migrator.migrations();
        let applied = self.migrator.history(driver).await?;
        let pending = pending(set, &applied, self.db.dialect);
        let standing = output::Standing {
            current: output::current(&applied),
            latest: set.latest(),
            pending: &pending,
        };
        output::run_json(out, &self.db, direction, report, &standing)?;
        Ok(match report.drift {
            Some(_) => Exit::Drift,
            None => Exit::Success,
        })
    }

    /// `database at version 2; …` after a command that changed something.
    async fn print_standing(
        &self,
        driver: &mut AnyDriver,
        out: &mut impl Write,
    ) -> Result<Exit, CliError> {
        let set = self.migrator.migrations();
        let applied = self.migrator.history(driver).await?;
        let pending = pending(set, &applied, self.db.dialect);
        writeln!(
            out,
            "{}",
            output::standing(output::current(&applied), set.latest(), &pending)
        )?;
        Ok(Exit::Success)
    }
}

/// `verify`: round trips of `set` on scratch databases on the server of `server_url`. The
/// database `server_url` names is not changed.
async fn verify(
    set: &MigrationSet,
    config: Config,
    server_url: &DatabaseUrl,
    options: &ConnectOptions,
    json: bool,
) -> Result<Exit, CliError> {
    let mut scratch = ScratchServer::new(server_url.connection_string()).connect_options(*options);
    let verifier = Verifier::new(set).config(config);
    let report = verifier
        .run_observed(&mut scratch, |check| {
            if !json {
                // Each version as it is done: long histories take a while.
                print!("{check}");
            }
        })
        .await?;
    let out = &mut io::stdout();
    if json {
        output::verify_json(out, server_url.redacted(), &report)?;
    } else {
        let summary = report.to_string();
        write!(out, "{}", summary.lines().last().unwrap_or_default())?;
        writeln!(out)?;
    }
    Ok(if report.is_ok() {
        Exit::Success
    } else {
        Exit::Mismatch
    })
}

/// The versions `set` has that the history does not.
fn pending(set: &MigrationSet, applied: &[AppliedMigration], dialect: Dialect) -> Vec<u32> {
    crate::status::status(set, applied, dialect)
        .iter()
        .filter(|l| l.state == crate::status::VersionState::Pending)
        .map(|l| l.version.get())
        .collect()
}
