//! The runners compared, connected to one database: how each applies the history, starts up
//! with nothing to do, and reverts.
//!
//! Every runner gets the same scripts: migrate and the raw baselines read the tree through
//! migrate's run-time loader (raw splits with migrate's splitter), sqlx's migrator reads the same
//! texts from its own layout, and refinery gets the same texts in memory.

use anyhow::{bail, ensure, Context as _};
use migrate_core::driver::{AnyDriver, MysqlAsync, SqlxMySql, SqlxPostgres, SqlxSqlite};
use migrate_core::{
    split, Config, Dialect, Direction, Fingerprints, MigrationSet, Migrator, Target,
};
use mysql_async::prelude::Queryable as _;
use sqlx::{AssertSqlSafe, Executor as _};

use crate::journal_floor::{self, JOURNAL_TABLE};
use crate::sqlx_conn::SqlxConn;
use crate::tree::TreeDirs;

/// A database client library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Client {
    /// sqlx 0.8 (the backend's own driver).
    Sqlx,
    /// mysql_async (MySQL/MariaDB only).
    MysqlAsync,
}

/// How the raw baseline sends a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RawMode {
    /// Each statement (as migrate's splitter cuts it) in its own round trip.
    Statement,
    /// The whole file in one round trip (a multi-statement query).
    File,
    /// `BEGIN`, the whole file, `COMMIT`.
    FileTx,
}

/// One of the runners compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Runner {
    /// `migrate_core::Migrator` over one of its drivers, with fingerprints off (the same
    /// bookkeeping as the other runners) or recorded after every version (the default).
    Migrate(Client, Fingerprints),
    /// `sqlx::migrate::Migrator` (0.8).
    SqlxMigrator,
    /// refinery 0.10 (no down migrations).
    Refinery,
    /// The same statements with no bookkeeping.
    Raw(RawMode, Client),
    /// A diagnostic on MySQL/MariaDB, where migrate journals: the raw statements with the same
    /// durable writes migrate's journal makes, in the same round trips (one per file unless a
    /// statement must travel apart), planned by migrate's own journal plan
    /// (see [`journal_floor`]), through sqlx. It shows what the journal costs by itself; it is
    /// not a raw variant and not a target baseline.
    JournalFloor,
}

impl Runner {
    /// The runners measured on `dialect`, migrate first, raw last.
    pub(crate) fn for_dialect(dialect: Dialect) -> Vec<Runner> {
        let clients: &[Client] = match dialect {
            Dialect::MySql => &[Client::Sqlx, Client::MysqlAsync],
            Dialect::Postgres | Dialect::Sqlite => &[Client::Sqlx],
        };
        let mut runners: Vec<Runner> = [
            Fingerprints::Off,
            Fingerprints::PerRun,
            Fingerprints::EveryVersion,
        ]
        .into_iter()
        .flat_map(|fp| clients.iter().map(move |&c| Runner::Migrate(c, fp)))
        .collect();
        runners.extend([Runner::SqlxMigrator, Runner::Refinery]);
        for &client in clients {
            for mode in [RawMode::Statement, RawMode::File, RawMode::FileTx] {
                runners.push(Runner::Raw(mode, client));
            }
        }
        if dialect == Dialect::MySql {
            runners.push(Runner::JournalFloor);
        }
        runners
    }

    /// A short identifier, used on the command line of worker processes and in `--runners`.
    pub(crate) fn id(self) -> String {
        match self {
            Runner::Migrate(client, Fingerprints::Off) => format!("migrate-{}", client_id(client)),
            Runner::Migrate(client, Fingerprints::PerRun) => {
                format!("migrate-fp-run-{}", client_id(client))
            }
            Runner::Migrate(client, Fingerprints::EveryVersion) => {
                format!("migrate-fp-{}", client_id(client))
            }
            Runner::SqlxMigrator => "sqlx".to_owned(),
            Runner::Refinery => "refinery".to_owned(),
            Runner::Raw(mode, client) => {
                let mode = match mode {
                    RawMode::Statement => "statement",
                    RawMode::File => "file",
                    RawMode::FileTx => "file-tx",
                };
                format!("raw-{mode}-{}", client_id(client))
            }
            Runner::JournalFloor => "journal-floor".to_owned(),
        }
    }

    /// The runner named `id` (see [`Runner::id`]).
    pub(crate) fn parse(id: &str) -> Option<Runner> {
        [Dialect::MySql]
            .into_iter()
            .flat_map(Runner::for_dialect)
            .find(|r| r.id() == id)
    }

    /// The name shown in the report.
    pub(crate) fn label(self, dialect: Dialect) -> String {
        let sqlx_driver = match dialect {
            Dialect::MySql => "sqlx-mysql",
            Dialect::Postgres => "sqlx-postgres",
            Dialect::Sqlite => "sqlx-sqlite",
        };
        let client = |c: Client| match c {
            Client::Sqlx => sqlx_driver,
            Client::MysqlAsync => "mysql_async",
        };
        match self {
            Runner::Migrate(c, Fingerprints::Off) => {
                format!("migrate ({}), fingerprints off", client(c))
            }
            Runner::Migrate(c, Fingerprints::PerRun) => {
                format!("migrate ({}), fingerprint per run (the default)", client(c))
            }
            Runner::Migrate(c, Fingerprints::EveryVersion) => {
                format!("migrate ({}), fingerprint after every version", client(c))
            }
            Runner::SqlxMigrator => "sqlx::migrate::Migrator".to_owned(),
            Runner::Refinery => format!(
                "refinery ({})",
                match dialect {
                    Dialect::MySql => "mysql_async",
                    Dialect::Postgres => "tokio-postgres",
                    Dialect::Sqlite => "rusqlite",
                }
            ),
            Runner::Raw(mode, c) => {
                let mode = match mode {
                    RawMode::Statement => "per statement",
                    RawMode::File => "per file",
                    RawMode::FileTx => "per file in a transaction",
                };
                format!("raw {mode} ({})", client(c))
            }
            Runner::JournalFloor => format!(
                "diagnostic: raw per file + migrate's journal writes ({})",
                client(Client::Sqlx)
            ),
        }
    }

    /// Whether the runner can revert.
    pub(crate) fn reverts(self) -> bool {
        self != Runner::Refinery
    }

    /// Whether the runner keeps a history (and so has a no-op start-up and can run concurrently).
    pub(crate) fn keeps_history(self) -> bool {
        !matches!(self, Runner::Raw(..) | Runner::JournalFloor)
    }

    /// The runner's history table.
    pub(crate) fn history_table(self) -> Option<&'static str> {
        match self {
            Runner::Migrate(..) => Some("schema_history"),
            Runner::SqlxMigrator => Some("_sqlx_migrations"),
            Runner::Refinery => Some("refinery_schema_history"),
            Runner::JournalFloor => Some(JOURNAL_TABLE),
            Runner::Raw(..) => None,
        }
    }
}

fn client_id(client: Client) -> &'static str {
    match client {
        Client::Sqlx => "sqlx",
        Client::MysqlAsync => "mysql_async",
    }
}

/// The history in the form each runner takes it, loaded once per dialect.
pub(crate) struct Workload {
    /// The dialect the scripts are written for.
    pub(crate) dialect: Dialect,
    /// migrate's set, from the run-time loader.
    pub(crate) set: MigrationSet,
    /// migrate's configuration (built once: it looks up the host name).
    pub(crate) config: Config,
    /// sqlx's migrator, from sqlx's layout of the same scripts.
    pub(crate) sqlx: sqlx::migrate::Migrator,
    /// refinery's runner over the same up scripts.
    pub(crate) refinery: refinery::Runner,
    /// Up scripts, in version order.
    pub(crate) up_files: Vec<String>,
    /// Down scripts, in version order.
    pub(crate) down_files: Vec<String>,
    /// Up statements per version, as migrate's splitter cuts them.
    pub(crate) up_statements: Vec<Vec<String>>,
    /// Down statements per version.
    pub(crate) down_statements: Vec<Vec<String>>,
}

impl Workload {
    /// Loads the tree written under `dirs` for `dialect`.
    pub(crate) async fn load(dirs: &TreeDirs, dialect: Dialect) -> anyhow::Result<Workload> {
        let set = migrate_core::source::load_dir(&dirs.migrate, &[dialect])
            .with_context(|| format!("loading {}", dirs.migrate.display()))?;
        let sqlx = sqlx::migrate::Migrator::new(dirs.sqlx.as_path())
            .await
            .with_context(|| format!("loading {} with sqlx", dirs.sqlx.display()))?;
        let (mut up_files, mut down_files) = (Vec::new(), Vec::new());
        let (mut up_statements, mut down_statements) = (Vec::new(), Vec::new());
        let mut refinery = Vec::new();
        for migration in set.migrations() {
            let script = |direction| {
                migration
                    .script(direction, dialect)
                    .map(|s| s.sql().to_owned())
                    .with_context(|| format!("V{} has no {direction} script", migration.version()))
            };
            let (up, down) = (script(Direction::Up)?, script(Direction::Down)?);
            let statements = |sql: &str| -> anyhow::Result<Vec<String>> {
                Ok(split::split(sql, dialect)?
                    .into_iter()
                    .map(|s| s.sql.to_owned())
                    .collect())
            };
            up_statements.push(statements(&up)?);
            down_statements.push(statements(&down)?);
            let name: String = migration
                .description()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            refinery.push(refinery::Migration::unapplied(
                &format!("V{}__{name}", migration.version()),
                &up,
            )?);
            up_files.push(up);
            down_files.push(down);
        }
        ensure!(
            sqlx.iter()
                .filter(|m| m.migration_type.is_up_migration())
                .count()
                == up_files.len(),
            "sqlx sees a different number of versions than migrate"
        );
        Ok(Workload {
            dialect,
            set,
            config: Config::default(),
            sqlx,
            refinery: refinery::Runner::new(&refinery),
            up_files,
            down_files,
            up_statements,
            down_statements,
        })
    }

    /// How many versions.
    pub(crate) fn versions(&self) -> usize {
        self.up_files.len()
    }

    fn migrator(&self, fingerprints: Fingerprints) -> Migrator<'_> {
        Migrator::with_config(&self.set, self.config.clone().fingerprints(fingerprints))
    }
}

/// A connection for the raw baseline and the one-query floor.
pub(crate) enum RawConn {
    /// Through sqlx (`raw_sql`: text protocol, no preparation).
    Sqlx(SqlxConn),
    /// Through mysql_async (`COM_QUERY`).
    MysqlAsync(mysql_async::Conn),
}

impl RawConn {
    /// Connects with `client`.
    pub(crate) async fn connect(
        client: Client,
        dialect: Dialect,
        url: &str,
    ) -> anyhow::Result<RawConn> {
        Ok(match client {
            Client::Sqlx => RawConn::Sqlx(SqlxConn::connect(dialect, url).await?),
            Client::MysqlAsync => RawConn::MysqlAsync(
                mysql_async::Conn::new(mysql_async::Opts::from_url(url)?).await?,
            ),
        })
    }

    /// Executes `sql` (one or more statements), discarding results.
    pub(crate) async fn exec(&mut self, sql: &str) -> anyhow::Result<()> {
        match self {
            RawConn::Sqlx(c) => c.exec(sql).await,
            RawConn::MysqlAsync(c) => Ok(c.query_drop(sql).await?),
        }
    }

    /// Closes the connection.
    pub(crate) async fn close(self) {
        match self {
            RawConn::Sqlx(c) => c.close().await,
            RawConn::MysqlAsync(c) => {
                let _ = c.disconnect().await;
            }
        }
    }
}

/// The exact query migrate's no-op start-up sends (each row's version, state and checksum),
/// for the raw one-query floor.
pub(crate) fn history_query(dialect: Dialect) -> String {
    migrate_core::history::HistoryTable::default().shortcut_sql(dialect)
}

/// `sql` sent raw on the connection inside migrate's driver, rows fetched and not decoded: the
/// one-query floor, on the very connection migrate's no-op start-up uses.
pub(crate) async fn raw_fetch_in(driver: &mut AnyDriver, sql: &str) -> anyhow::Result<usize> {
    let raw = sqlx::raw_sql(AssertSqlSafe(sql));
    Ok(match driver {
        AnyDriver::SqlxMySql(d) => d.connection().fetch_all(raw).await?.len(),
        AnyDriver::SqlxPostgres(d) => d.connection().fetch_all(raw).await?.len(),
        AnyDriver::SqlxSqlite(d) => d.connection().fetch_all(raw).await?.len(),
        AnyDriver::MysqlAsync(d) => {
            let rows: Vec<mysql_async::Row> = d.connection().query(sql).await?;
            rows.len()
        }
        _ => bail!("a driver the benchmark does not know"),
    })
}

/// One runner connected to one database.
pub(crate) enum Session {
    /// migrate over one of its drivers.
    Migrate(AnyDriver, Fingerprints),
    /// sqlx's migrator.
    Sqlx(SqlxConn),
    /// refinery on MySQL/MariaDB (its driver works on a pool).
    RefineryMySql(mysql_async::Pool),
    /// refinery on PostgreSQL.
    RefineryPostgres(tokio_postgres::Client),
    /// refinery on SQLite.
    RefinerySqlite(rusqlite::Connection),
    /// The raw baseline.
    Raw(RawConn, RawMode),
    /// The journal-floor diagnostic.
    Journal(SqlxConn),
}

impl Session {
    /// Connects `runner` to `url`. Connecting is not part of any timing.
    pub(crate) async fn connect(
        runner: Runner,
        dialect: Dialect,
        url: &str,
    ) -> anyhow::Result<Session> {
        let session = match (runner, dialect) {
            (Runner::Migrate(Client::Sqlx, fp), Dialect::MySql) => {
                Session::Migrate(AnyDriver::SqlxMySql(SqlxMySql::connect(url).await?), fp)
            }
            (Runner::Migrate(Client::MysqlAsync, fp), Dialect::MySql) => {
                Session::Migrate(AnyDriver::MysqlAsync(MysqlAsync::connect(url).await?), fp)
            }
            (Runner::Migrate(Client::Sqlx, fp), Dialect::Postgres) => Session::Migrate(
                AnyDriver::SqlxPostgres(SqlxPostgres::connect(url).await?),
                fp,
            ),
            (Runner::Migrate(Client::Sqlx, fp), Dialect::Sqlite) => {
                Session::Migrate(AnyDriver::SqlxSqlite(SqlxSqlite::connect(url).await?), fp)
            }
            (Runner::SqlxMigrator, _) => Session::Sqlx(SqlxConn::connect(dialect, url).await?),
            (Runner::Refinery, Dialect::MySql) => {
                let pool = mysql_async::Pool::new(mysql_async::Opts::from_url(url)?);
                // Open the pool's connection now, so that no timing includes it.
                drop(pool.get_conn().await?);
                Session::RefineryMySql(pool)
            }
            (Runner::Refinery, Dialect::Postgres) => {
                let (client, connection) =
                    tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
                tokio::spawn(connection);
                Session::RefineryPostgres(client)
            }
            (Runner::Refinery, Dialect::Sqlite) => {
                let path = url.strip_prefix("sqlite://").unwrap_or(url);
                let conn = rusqlite::Connection::open(path)?;
                // The same settings as sqlx's SQLite connections (foreign keys on, 5 s busy
                // timeout); rusqlite leaves foreign keys off.
                conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;")?;
                Session::RefinerySqlite(conn)
            }
            (Runner::Raw(mode, client), _) => {
                Session::Raw(RawConn::connect(client, dialect, url).await?, mode)
            }
            (Runner::JournalFloor, _) => {
                let mut conn = SqlxConn::connect(dialect, url).await?;
                conn.exec(&format!(
                    "CREATE TABLE {JOURNAL_TABLE} (version INTEGER NOT NULL PRIMARY KEY, \
                     state VARCHAR(16) NOT NULL, direction VARCHAR(8) NOT NULL, \
                     done INTEGER NOT NULL, total INTEGER NOT NULL)"
                ))
                .await?;
                conn.exec(&format!(
                    "CREATE TABLE {JOURNAL_TABLE}_log (version INTEGER NOT NULL, \
                     action VARCHAR(16) NOT NULL)"
                ))
                .await?;
                Session::Journal(conn)
            }
            (Runner::Migrate(Client::MysqlAsync, _), _) => {
                bail!("mysql_async serves MySQL/MariaDB only")
            }
        };
        Ok(session)
    }

    /// Applies every version; returns how many this session applied, where the runner says.
    pub(crate) async fn apply(&mut self, w: &Workload) -> anyhow::Result<Option<usize>> {
        match self {
            Session::Migrate(driver, fp) => {
                let report = w.migrator(*fp).up(driver, Target::Latest).await?;
                Ok(Some(report.steps.len()))
            }
            Session::Sqlx(conn) => {
                match conn {
                    SqlxConn::MySql(c) => w.sqlx.run(c).await?,
                    SqlxConn::Postgres(c) => w.sqlx.run(c).await?,
                    SqlxConn::Sqlite(c) => w.sqlx.run(c).await?,
                }
                Ok(None)
            }
            Session::RefineryMySql(pool) => {
                let report = w.refinery.run_async(pool).await?;
                Ok(Some(report.applied_migrations().len()))
            }
            Session::RefineryPostgres(client) => {
                let report = w.refinery.run_async(client).await?;
                Ok(Some(report.applied_migrations().len()))
            }
            Session::RefinerySqlite(conn) => {
                let report = w.refinery.run(conn)?;
                Ok(Some(report.applied_migrations().len()))
            }
            Session::Raw(conn, mode) => {
                run_raw(conn, *mode, &w.up_files, &w.up_statements, Order::Forward).await?;
                Ok(Some(w.versions()))
            }
            Session::Journal(conn) => {
                journal_floor::run(conn, &w.up_statements, Direction::Up).await?;
                Ok(Some(w.versions()))
            }
        }
    }

    /// Reverts every version.
    pub(crate) async fn revert(&mut self, w: &Workload) -> anyhow::Result<()> {
        match self {
            Session::Migrate(driver, fp) => {
                let report = w.migrator(*fp).down(driver, Target::Empty).await?;
                ensure!(
                    report.steps.len() == w.versions(),
                    "migrate reverted {} of {} versions",
                    report.steps.len(),
                    w.versions()
                );
            }
            Session::Sqlx(conn) => match conn {
                SqlxConn::MySql(c) => w.sqlx.undo(c, 0).await?,
                SqlxConn::Postgres(c) => w.sqlx.undo(c, 0).await?,
                SqlxConn::Sqlite(c) => w.sqlx.undo(c, 0).await?,
            },
            Session::RefineryMySql(_)
            | Session::RefineryPostgres(_)
            | Session::RefinerySqlite(_) => bail!("refinery has no down migrations"),
            Session::Raw(conn, mode) => {
                run_raw(
                    conn,
                    *mode,
                    &w.down_files,
                    &w.down_statements,
                    Order::Reverse,
                )
                .await?;
            }
            Session::Journal(conn) => {
                journal_floor::run(conn, &w.down_statements, Direction::Down).await?;
            }
        }
        Ok(())
    }

    /// Closes the session's connections.
    pub(crate) async fn close(self) {
        match self {
            Session::Migrate(driver, _) => drop(driver),
            Session::Sqlx(conn) => conn.close().await,
            Session::RefineryMySql(pool) => {
                let _ = pool.disconnect().await;
            }
            Session::RefineryPostgres(client) => drop(client),
            Session::RefinerySqlite(conn) => drop(conn),
            Session::Raw(conn, _) => conn.close().await,
            Session::Journal(conn) => conn.close().await,
        }
    }
}

/// Which way the raw baseline walks the versions.
#[derive(Debug, Clone, Copy)]
enum Order {
    Forward,
    Reverse,
}

async fn run_raw(
    conn: &mut RawConn,
    mode: RawMode,
    files: &[String],
    statements: &[Vec<String>],
    order: Order,
) -> anyhow::Result<()> {
    let indexes: Vec<usize> = match order {
        Order::Forward => (0..files.len()).collect(),
        Order::Reverse => (0..files.len()).rev().collect(),
    };
    for i in indexes {
        match mode {
            RawMode::Statement => {
                for statement in &statements[i] {
                    conn.exec(statement).await?;
                }
            }
            RawMode::File => conn.exec(&files[i]).await?,
            RawMode::FileTx => {
                conn.exec("BEGIN").await?;
                conn.exec(&files[i]).await?;
                conn.exec("COMMIT").await?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runner_ids_round_trip() {
        for runner in Runner::for_dialect(Dialect::MySql) {
            assert_eq!(Runner::parse(&runner.id()), Some(runner));
        }
        assert_eq!(Runner::parse("nope"), None);
    }

    #[test]
    fn only_mysql_measures_mysql_async() {
        assert_eq!(Runner::for_dialect(Dialect::MySql).len(), 15);
        assert_eq!(Runner::for_dialect(Dialect::Postgres).len(), 8);
        assert!(!Runner::for_dialect(Dialect::Sqlite)
            .iter()
            .any(|r| matches!(r, Runner::Migrate(Client::MysqlAsync, _))));
    }

    #[test]
    fn history_query_quotes_per_dialect() {
        assert!(history_query(Dialect::MySql).contains("FROM `schema_history`"));
        assert!(history_query(Dialect::Postgres).contains("FROM \"schema_history\""));
        assert!(history_query(Dialect::Sqlite).contains("version || ' '"));
    }
}
