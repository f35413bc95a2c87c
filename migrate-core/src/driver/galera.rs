//! The migration lock on a Galera cluster (MariaDB Galera Cluster, Percona XtraDB Cluster),
//! shared by both MySQL drivers.
//!
//! `GET_LOCK` is not replicated: it locks the node it runs on only, so runners connected to
//! different nodes would migrate at once
//! (<https://mariadb.com/kb/en/mariadb-galera-cluster-known-limitations/>). On a node where
//! `wsrep_on` is set, the lock is instead one row in a lock table, `<history table>_lock`
//! (created when missing, left out of schema descriptions): owner (a UUID per lock call), node
//! (`wsrep_node_name`), host and port, connection, client process, when taken and last renewed, and a
//! heartbeat counter.
//!
//! **Why two runners cannot both hold it.** Every claim is one autocommit write of the row with
//! primary key 1: an `INSERT IGNORE` when there is no row, or an `UPDATE … WHERE owner = <seen>
//! AND beat = <seen>` taking over a lease seen unchanged for [`LEASE`]. Galera certifies each
//! transaction's write set at commit, in one total order that every node agrees on: of two
//! transactions writing the same key, where the second did not see the first (committed after
//! its snapshot), the second fails certification and rolls back (error 1213, "Deadlock
//! found"; <https://galeracluster.com/library/documentation/certification-based-replication.html>).
//! So two claims from different nodes cannot both commit; a claim that commits is then read
//! back, causally (`wsrep_sync_wait`), and the runner holds the lock only when the row names
//! it. A holder's heartbeat writes the same key, so a takeover whose reading of the row predates
//! the last heartbeat fails certification too.
//!
//! **Leases.** A second connection renews the row every [`RENEW`] while the lock is held (a
//! killed runner stops renewing). A waiter polls, causally, and takes over a row whose owner and
//! counter it has seen unchanged for [`LEASE`] by its own clock: no comparison of clocks
//! between nodes. A killed client's statement may still run on the server (the server only
//! notices when it next writes to the socket): the lease must outlast the longest single
//! statement of a migration, or a waiter takes over while it runs.
//!
//! **Sessions.** The lock sets `wsrep_sync_wait` (bit 1: reads) on the session while it is
//! held, so the runner's history read after the lock sees every commit made anywhere before
//! it; a node otherwise reads its own, possibly lagging, state. Schema changes must replicate
//! in total order (`wsrep_OSU_method = TOI`): under `RSU` a DDL statement runs on one node
//! only, so the lock refuses to be taken
//! (<https://mariadb.com/kb/en/galera-cluster-system-variables/#wsrep_osu_method>).

use std::future::Future;
use std::time::{Duration, Instant};

use super::{Driver, DriverError, DriverErrorKind, Lease, LockHolder, LockOutcome, LockState, Row};
use crate::history::HistoryTable;
use crate::Dialect;

/// How long a waiter must see a lock row unchanged before it takes the lock over.
pub(crate) const LEASE: Duration = Duration::from_secs(10);
/// How often the holder renews its row.
const RENEW: Duration = Duration::from_secs(2);
/// How often a waiter looks at the row.
const POLL: Duration = Duration::from_millis(200);
/// Galera's certification failure (and InnoDB's deadlock): the claim lost to another write.
const CERTIFICATION_FAILED: u32 = 1213;

/// What the server turned out to be, found at the first lock of a driver.
#[derive(Debug, Default)]
pub(crate) enum Server {
    /// Not asked yet.
    #[default]
    Unknown,
    /// A server without Galera replication: `GET_LOCK` serializes its runners.
    Single,
    /// A Galera node.
    Galera(Node),
}

/// The Galera settings of a node, as the session sees them.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    name: String,
    osu_method: String,
    sync_wait: String,
}

/// The lock state a MySQL driver keeps between calls.
#[derive(Debug, Default)]
pub(crate) struct ClusterLock {
    pub(crate) server: Server,
    /// The row as this driver last saw it while waiting, and since when (its clock).
    seen: Option<Seen>,
    /// The lock this driver holds.
    held: Option<Held>,
}

impl ClusterLock {
    /// Forgets a held lock without releasing its row: the heartbeat stops, so the lease runs
    /// out. For a session given up while a command may still run on it.
    pub(crate) fn abandon(&mut self) {
        self.held = None;
    }
}

#[derive(Debug)]
struct Seen {
    owner: String,
    beat: String,
    since: Instant,
}

/// A held lock: its owner id and the task that renews it (stopped when dropped).
#[derive(Debug)]
struct Held {
    owner: String,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.heartbeat.abort();
    }
}

/// A MySQL driver that can take the Galera lock: it keeps a [`ClusterLock`] and can open a
/// second connection to the same server for the heartbeat.
pub(crate) trait Clustered: Driver {
    /// The heartbeat's driver.
    type Beat: Driver + 'static;
    /// The driver's lock state.
    fn cluster(&mut self) -> &mut ClusterLock;
    /// A new connection to the same server.
    fn open_heartbeat(&mut self) -> impl Future<Output = Result<Self::Beat, DriverError>> + Send;
}

/// Finds whether the session is on a Galera node with replication on; one round trip.
pub(crate) async fn detect<D: Driver>(driver: &mut D) -> Result<Server, DriverError> {
    let rows = driver
        .query(
            "SHOW VARIABLES WHERE Variable_name IN \
             ('wsrep_on', 'wsrep_provider', 'wsrep_node_name', 'wsrep_OSU_method', 'wsrep_sync_wait')",
        )
        .await?;
    let value = |name: &str| {
        rows.iter()
            .find(|row| {
                row.first()
                    .and_then(Option::as_deref)
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
            .and_then(|row| row.get(1).cloned().flatten())
            .unwrap_or_default()
    };
    let on = value("wsrep_on").eq_ignore_ascii_case("ON");
    let provider = value("wsrep_provider");
    if !on || provider.is_empty() || provider.eq_ignore_ascii_case("none") {
        return Ok(Server::Single);
    }
    Ok(Server::Galera(Node {
        name: value("wsrep_node_name"),
        osu_method: value("wsrep_OSU_method"),
        sync_wait: value("wsrep_sync_wait"),
    }))
}

/// The lock table of lock `name` (`migrate:<history table>`, see
/// [`Migrator::lock_name`](crate::Migrator::lock_name)): `<history table>_lock`, quoted.
fn lock_table(name: &str) -> Result<String, DriverError> {
    let table = name
        .strip_prefix("migrate:")
        .and_then(|table| HistoryTable::new(table).ok())
        .ok_or_else(|| {
            DriverError::other(format!(
                "the Galera migration lock needs a lock name `migrate:<history table>`, not `{name}`"
            ))
        })?;
    Ok(Dialect::MySql.quote_ident(&table.lock_name()))
}

/// The refusal of a node that applies schema changes locally.
fn refuse_rsu(node: &Node) -> Result<(), DriverError> {
    if node.osu_method.eq_ignore_ascii_case("TOI") {
        return Ok(());
    }
    Err(DriverError::other(format!(
        "wsrep_OSU_method is {} on Galera node `{}`: a migration's schema changes would run on \
         this node only; migrate with `SET SESSION wsrep_OSU_method = 'TOI'` (the default)",
        node.osu_method, node.name
    )))
}

/// Who claims the lock: the row this runner writes.
struct Claim {
    owner: String,
    columns: String,
}

impl Claim {
    /// A new owner id and the row's values, from the server; one round trip.
    async fn new<D: Driver>(driver: &mut D, node: &Node) -> Result<Claim, DriverError> {
        let rows = driver
            .query("SELECT UUID(), CONCAT(@@hostname, ':', @@port), CAST(CONNECTION_ID() AS CHAR)")
            .await?;
        let cell = |i: usize| {
            rows.first()
                .and_then(|r| r.get(i).cloned().flatten())
                .unwrap_or_default()
        };
        let owner = cell(0);
        let text = |v: &str| Dialect::MySql.string_literal(v);
        let columns = format!(
            "owner = {}, node = {}, host = {}, connection_id = {}, client_pid = {}, \
             acquired_at = UTC_TIMESTAMP(6), renewed_at = UTC_TIMESTAMP(6), beat = 0",
            text(&owner),
            text(&node.name),
            text(&cell(1)),
            cell(2).parse::<u64>().unwrap_or(0),
            std::process::id()
        );
        Ok(Claim { owner, columns })
    }
}

/// Takes the lock on a Galera node, waiting up to `timeout`.
pub(crate) async fn lock<D: Clustered>(
    driver: &mut D,
    name: &str,
    timeout: Duration,
) -> Result<LockOutcome, DriverError> {
    let Server::Galera(node) = &driver.cluster().server else {
        unreachable!("the Galera lock is taken on Galera nodes only")
    };
    let node = node.clone();
    refuse_rsu(&node)?;
    let table = lock_table(name)?;
    // Reads wait for every commit the cluster made before them, the lock row's and then the
    // history's.
    driver
        .execute("SET SESSION wsrep_sync_wait = @@SESSION.wsrep_sync_wait | 1")
        .await?;
    let claim = Claim::new(driver, &node).await?;
    let started = Instant::now();
    loop {
        let row = attempt(driver, &table, &claim).await?;
        let Some(row) = row else {
            let owner = claim.owner.clone();
            let heartbeat = heartbeat(driver, &table, &owner).await?;
            let cluster = driver.cluster();
            cluster.seen = None;
            cluster.held = Some(Held { owner, heartbeat });
            return Ok(LockOutcome::Acquired);
        };
        if expired(driver.cluster(), &row) {
            tracing::warn!(holder = %holder(&row), "taking over a migration lock whose lease ran out");
            take_over(driver, &table, &claim, &row).await?;
            continue;
        }
        let left = timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Ok(LockOutcome::TimedOut {
                holder: Some(holder(&row).description),
            });
        }
        tokio::time::sleep(POLL.min(left)).await;
    }
}

/// The lock row's columns as [`attempt`] reads them.
const ROW: &str = "owner, CAST(beat AS CHAR), node, host, CAST(connection_id AS CHAR), \
    CAST(client_pid AS CHAR), CAST(acquired_at AS CHAR), \
    CAST(TIMESTAMPDIFF(MICROSECOND, renewed_at, UTC_TIMESTAMP(6)) DIV 1000 AS CHAR)";

/// Claims the lock if nobody holds it and reads the row back: `None` when this runner holds
/// it, else the holder's row.
async fn attempt<D: Driver>(
    driver: &mut D,
    table: &str,
    claim: &Claim,
) -> Result<Option<Row>, DriverError> {
    loop {
        let insert = format!("INSERT IGNORE INTO {table} SET id = 1, {}", claim.columns);
        match driver.execute(&insert).await {
            Ok(()) => {}
            Err(e) if e.kind() == DriverErrorKind::UndefinedTable => {
                create_table(driver, table).await?;
                continue;
            }
            Err(e) if e.number() == Some(CERTIFICATION_FAILED) => {}
            Err(e) => return Err(e),
        }
        let rows = driver
            .query(&format!(
                "SET STATEMENT wsrep_sync_wait = 1 FOR SELECT {ROW} FROM {table} WHERE id = 1"
            ))
            .await?;
        // No row: released between the two statements; claim again.
        let Some(row) = rows.into_iter().next() else {
            continue;
        };
        let mine = row.first().and_then(Option::as_deref) == Some(claim.owner.as_str());
        return Ok((!mine).then_some(row));
    }
}

/// Creates the lock table (a primary key, InnoDB: Galera replicates nothing else reliably).
async fn create_table<D: Driver>(driver: &mut D, table: &str) -> Result<(), DriverError> {
    driver
        .execute(&format!(
            "CREATE TABLE IF NOT EXISTS {table} (id TINYINT NOT NULL PRIMARY KEY, \
             owner VARCHAR(64) NOT NULL, node VARCHAR(255) NOT NULL, host VARCHAR(255) NOT NULL, \
             connection_id BIGINT UNSIGNED NOT NULL, client_pid BIGINT UNSIGNED NOT NULL, \
             acquired_at DATETIME(6) NOT NULL, renewed_at DATETIME(6) NOT NULL, \
             beat BIGINT NOT NULL) ENGINE = InnoDB"
        ))
        .await
}

/// Whether `row` has been seen unchanged for a lease; records what was seen.
fn expired(cluster: &mut ClusterLock, row: &Row) -> bool {
    let cell = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
    let (owner, beat) = (cell(0), cell(1));
    match &cluster.seen {
        Some(seen) if seen.owner == owner && seen.beat == beat => seen.since.elapsed() >= LEASE,
        _ => {
            cluster.seen = Some(Seen {
                owner,
                beat,
                since: Instant::now(),
            });
            false
        }
    }
}

/// Takes over the lock from the holder in `row`, if it has not changed since: a lost race
/// (certification failure, or a row that changed) is left to the next [`attempt`] to see.
async fn take_over<D: Clustered>(
    driver: &mut D,
    table: &str,
    claim: &Claim,
    row: &Row,
) -> Result<(), DriverError> {
    driver.cluster().seen = None;
    let text = |i: usize| {
        Dialect::MySql.string_literal(row.get(i).and_then(Option::as_deref).unwrap_or(""))
    };
    let update = format!(
        "UPDATE {table} SET {} WHERE id = 1 AND owner = {} AND beat = {}",
        claim.columns,
        text(0),
        text(1)
    );
    match driver.execute(&update).await {
        Err(e) if e.number() == Some(CERTIFICATION_FAILED) => Ok(()),
        other => other,
    }
}

/// Who holds the lock now, from the lock row read causally (`wsrep_sync_wait` for this one
/// statement): a claim or renewal committed on another node is applied here before the read,
/// so `status` on any node sees the holder the cluster has.
pub(crate) async fn lock_holder<D: Driver>(
    driver: &mut D,
    name: &str,
) -> Result<LockState, DriverError> {
    let table = lock_table(name)?;
    let read = driver
        .query(&format!(
            "SET STATEMENT wsrep_sync_wait = 1 FOR SELECT {ROW} FROM {table} WHERE id = 1"
        ))
        .await;
    match read {
        Ok(rows) => Ok(rows.into_iter().next().map_or(LockState::Free, |row| {
            LockState::Held(Box::new(holder(&row)))
        })),
        // No lock was ever taken on this database.
        Err(e) if e.kind() == DriverErrorKind::UndefinedTable => Ok(LockState::Free),
        Err(e) => Err(e),
    }
}

/// The holder a lock row names: `runner <uuid> on Galera node `n2` (host h, connection 12,
/// process 345), holding it since …, renewed 800 ms ago` and how long its lease has left.
fn holder(row: &Row) -> LockHolder {
    let cell = |i: usize| row.get(i).cloned().flatten();
    let shown = |i: usize| row.get(i).and_then(Option::as_deref).unwrap_or("?");
    // Negative when the holder's node runs ahead of this one's clock.
    let renewed_ms = cell(7).and_then(|ms| ms.parse::<i64>().ok());
    let lease = renewed_ms.map(|ms| Lease {
        renewed_ago: Duration::from_millis(ms.max(0).unsigned_abs()),
        length: LEASE,
    });
    let left = match lease.as_ref().map(Lease::expires_in) {
        Some(Some(left)) => format!(
            "its lease runs out in {:.1} s unless renewed",
            left.as_secs_f64()
        ),
        Some(None) => "its lease has run out: the next waiter takes the lock over".to_owned(),
        None => "its lease is unknown".to_owned(),
    };
    let description = format!(
        "runner {} on Galera node `{}` (host {}, connection {}, process {}), holding it since {} UTC, \
         renewed {} ms ago; {left}",
        shown(0),
        shown(2),
        shown(3),
        shown(4),
        shown(5),
        shown(6),
        shown(7),
    );
    LockHolder {
        session: cell(0),
        node: cell(2),
        client: cell(3),
        connection: cell(4),
        process: cell(5).and_then(|p| p.parse().ok()),
        since: cell(6),
        lease,
        description,
        ..LockHolder::default()
    }
}

/// Starts renewing the lease of `owner` every [`RENEW`], on a connection of its own.
async fn heartbeat<D: Clustered>(
    driver: &mut D,
    table: &str,
    owner: &str,
) -> Result<tokio::task::JoinHandle<()>, DriverError> {
    let mut beat = driver.open_heartbeat().await?;
    let renew = format!(
        "UPDATE {table} SET beat = beat + 1, renewed_at = UTC_TIMESTAMP(6) WHERE id = 1 AND owner = {}",
        Dialect::MySql.string_literal(owner)
    );
    Ok(tokio::spawn(async move {
        loop {
            tokio::time::sleep(RENEW).await;
            if let Err(error) = beat.execute(&renew).await {
                tracing::warn!(%error, "renewing the migration lock's lease failed; retrying");
            }
        }
    }))
}

/// Releases the lock: stops the heartbeat, deletes the row if it is still this runner's and
/// gives the session back its `wsrep_sync_wait`.
pub(crate) async fn unlock<D: Clustered>(driver: &mut D, name: &str) -> Result<(), DriverError> {
    let table = lock_table(name)?;
    let Some(held) = driver.cluster().held.take() else {
        return Ok(());
    };
    let owner = held.owner.clone();
    drop(held);
    let delete = format!(
        "DELETE FROM {table} WHERE id = 1 AND owner = {}",
        Dialect::MySql.string_literal(&owner)
    );
    // A certification failure here can only be the heartbeat's last write, already stopped.
    let mut tries = 0;
    loop {
        match driver.execute(&delete).await {
            Err(e) if e.number() == Some(CERTIFICATION_FAILED) && tries < 3 => tries += 1,
            other => break other?,
        }
    }
    if let Server::Galera(node) = &driver.cluster().server {
        let restore = format!(
            "SET SESSION wsrep_sync_wait = {}",
            node.sync_wait.parse::<u32>().unwrap_or(0)
        );
        driver.execute(&restore).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_table_follows_the_history_table() {
        assert_eq!(
            lock_table("migrate:schema_history").expect("a history table"),
            "`schema_history_lock`"
        );
        assert!(lock_table("other").is_err());
        assert!(lock_table("migrate:bad name").is_err());
    }

    #[test]
    fn rsu_is_refused_naming_the_setting() {
        let node = |method: &str| Node {
            name: "n1".into(),
            osu_method: method.into(),
            sync_wait: "0".into(),
        };
        assert!(refuse_rsu(&node("TOI")).is_ok());
        let error = refuse_rsu(&node("RSU")).expect_err("refused").to_string();
        assert!(error.contains("wsrep_OSU_method is RSU"), "{error}");
    }

    #[test]
    fn a_row_expires_only_after_a_lease_unchanged() {
        let mut cluster = ClusterLock::default();
        let row: Row = vec![Some("a".into()), Some("1".into())];
        assert!(!expired(&mut cluster, &row));
        assert!(!expired(&mut cluster, &row));
        let seen = cluster.seen.as_mut().expect("seen");
        seen.since = seen
            .since
            .checked_sub(LEASE)
            .expect("a clock older than a lease");
        assert!(expired(&mut cluster, &row));
        let renewed: Row = vec![Some("a".into()), Some("2".into())];
        assert!(!expired(&mut cluster, &renewed));
    }
}
