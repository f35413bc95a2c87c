//! Runners on a three-node Galera cluster (`scripts/galera.sh start`: nodes on 127.0.0.1:4306,
//! 4307 and 4308): six runners, two per node, apply each version exactly once, trial after
//! trial; a holder killed mid-version is waited for until its lease runs out, then reported
//! truthfully, and `resume` finishes its work.
//!
//! Runs when `MIGRATE_GALERA=1` or the first node answers; otherwise says loudly that it was
//! skipped, and fails under `MIGRATE_REQUIRE_GALERA=1`. `MIGRATE_GALERA_URLS` (comma-separated)
//! overrides the nodes' URLs; each test works in a database of its own, dropped at the end.
//!
//! The test binary is its own child: with `MIGRATE_GALERA_CHILD_URL` set, the `child` test runs
//! one migrator and exits.
#![cfg(all(feature = "sqlx-mysql", feature = "mysql_async"))]

use std::process::Child;
use std::time::{Duration, Instant};

use migrate_core::driver::{Driver, LockState, MysqlAsync, SqlxMySql};
use migrate_core::history::State;
use migrate_core::{source, Config, Dialect, Error, Migrator, Resume, Target};

#[path = "support/child.rs"]
mod child;

const CHILD_URL: &str = "MIGRATE_GALERA_CHILD_URL";
const CHILD_TREE: &str = "MIGRATE_GALERA_CHILD_TREE";
const CHILD_DRIVER: &str = "MIGRATE_GALERA_CHILD_DRIVER";
const NODES: [&str; 3] = [
    "mysql://root@127.0.0.1:4306",
    "mysql://root@127.0.0.1:4307",
    "mysql://root@127.0.0.1:4308",
];
const RUNNERS_PER_NODE: usize = 2;
const TRIALS: usize = 10;

/// The child process: migrate `MIGRATE_GALERA_CHILD_URL` with the tree at
/// `MIGRATE_GALERA_CHILD_TREE`, through the driver `MIGRATE_GALERA_CHILD_DRIVER` names.
#[test]
fn child() {
    let (Ok(url), Ok(tree)) = (std::env::var(CHILD_URL), std::env::var(CHILD_TREE)) else {
        return; // an ordinary test run
    };
    child::exit_with(async {
        let set = source::load_dir(&tree, &Dialect::ALL).expect("tree");
        let m = Migrator::with_config(
            &set,
            Config::default().lock_timeout(Duration::from_secs(120)),
        );
        match std::env::var(CHILD_DRIVER).as_deref() {
            Ok("mysql_async") => {
                let mut d = MysqlAsync::connect(&url).await.expect("connect");
                m.up(&mut d, Target::Latest).await
            }
            _ => {
                let mut d = SqlxMySql::connect(&url).await.expect("connect");
                m.up(&mut d, Target::Latest).await
            }
        }
    })
}

/// The nodes' server URLs (without a database), or `None` with a loud skip.
fn nodes() -> Option<Vec<String>> {
    let urls: Vec<String> = match std::env::var("MIGRATE_GALERA_URLS") {
        Ok(list) => list.split(',').map(|u| u.trim().to_owned()).collect(),
        Err(_) => NODES.iter().map(|u| (*u).to_owned()).collect(),
    };
    let wanted = std::env::var("MIGRATE_GALERA").is_ok_and(|v| v == "1");
    let required = std::env::var("MIGRATE_REQUIRE_GALERA").is_ok_and(|v| v == "1");
    let port = urls[0]
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok());
    let answers = port.is_some_and(|port| {
        std::net::TcpStream::connect_timeout(
            &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
            Duration::from_secs(1),
        )
        .is_ok()
    });
    if wanted || required || answers {
        return Some(urls);
    }
    eprintln!(
        "SKIPPED: no Galera cluster at {} (start one with `scripts/galera.sh start`)",
        urls[0]
    );
    None
}

/// A database of its own on the cluster, created on the first node and dropped on drop.
struct ClusterDb {
    nodes: Vec<String>,
    name: String,
}

impl ClusterDb {
    async fn create(nodes: &[String], label: &str) -> ClusterDb {
        let name = format!("migrate_galera_{label}_{}", std::process::id());
        let mut d = SqlxMySql::connect(&format!("{}/mysql", nodes[0]))
            .await
            .expect("connect to the first Galera node");
        d.execute(&format!("DROP DATABASE IF EXISTS `{name}`"))
            .await
            .expect("drop");
        d.execute(&format!("CREATE DATABASE `{name}`"))
            .await
            .expect("create");
        // The other nodes apply the statement after the first one returns: wait for them.
        for node in nodes {
            let mut d = SqlxMySql::connect(&format!("{node}/mysql"))
                .await
                .expect("connect");
            d.execute("SET SESSION wsrep_sync_wait = 1")
                .await
                .expect("wsrep_sync_wait");
            let seen = d
                .query(&format!(
                    "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{name}'"
                ))
                .await
                .expect("schemata");
            assert_eq!(
                seen.len(),
                1,
                "{name} missing on {node} after a causal read"
            );
        }
        ClusterDb {
            nodes: nodes.to_vec(),
            name,
        }
    }

    fn url(&self, node: usize) -> String {
        format!("{}/{}", self.nodes[node], self.name)
    }

    /// A connection whose reads see every commit of the cluster (a causal read).
    async fn causal(&self, node: usize) -> SqlxMySql {
        let mut d = SqlxMySql::connect(&self.url(node)).await.expect("connect");
        d.execute("SET SESSION wsrep_sync_wait = 1")
            .await
            .expect("wsrep_sync_wait");
        d
    }

    async fn drop_database(self) {
        let mut d = SqlxMySql::connect(&format!("{}/mysql", self.nodes[0]))
            .await
            .expect("connect");
        d.execute(&format!("DROP DATABASE IF EXISTS `{}`", self.name))
            .await
            .expect("drop");
    }
}

fn spawn(url: &str, tree: &std::path::Path, driver: &str) -> Child {
    child::command()
        .env(CHILD_URL, url)
        .env(CHILD_TREE, tree)
        .env(CHILD_DRIVER, driver)
        .spawn()
        .expect("spawn child")
}

/// Two runners per node, one on each MySQL driver.
fn spawn_runners(db: &ClusterDb, tree: &std::path::Path) -> Vec<Child> {
    (0..db.nodes.len() * RUNNERS_PER_NODE)
        .map(|i| {
            let driver = ["sqlx", "mysql_async"][i % 2];
            spawn(&db.url(i / RUNNERS_PER_NODE), tree, driver)
        })
        .collect()
}

async fn column(d: &mut SqlxMySql, sql: &str) -> Vec<String> {
    d.query(sql)
        .await
        .expect(sql)
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect()
}

/// Three versions, each recording itself in a side-effect table.
fn racing_tree() -> tempfile::TempDir {
    let mut files = vec![
        (
            "V1/up.sql".to_owned(),
            "CREATE TABLE side_effects (id INTEGER AUTO_INCREMENT PRIMARY KEY, version INTEGER NOT NULL);\n\
             INSERT INTO side_effects (version) VALUES (1);"
                .to_owned(),
        ),
        ("V1/down.sql".to_owned(), "DROP TABLE side_effects;".to_owned()),
    ];
    for n in 2..=3 {
        files.push((
            format!("V{n}/up.sql"),
            format!(
                "CREATE TABLE t{n} (id INTEGER PRIMARY KEY);\n\
                 INSERT INTO side_effects (version) VALUES ({n});"
            ),
        ));
        files.push((format!("V{n}/down.sql"), format!("DROP TABLE t{n};")));
    }
    child::write_tree(&files)
}

#[tokio::test]
async fn six_runners_on_three_nodes_apply_each_version_once() {
    let Some(nodes) = nodes() else { return };
    let tree = racing_tree();
    let set = source::load_dir(tree.path(), &Dialect::ALL).expect("tree");
    for trial in 0..TRIALS {
        let db = ClusterDb::create(&nodes, &format!("race{trial}")).await;
        let started = Instant::now();
        for (i, child) in spawn_runners(&db, tree.path()).into_iter().enumerate() {
            let out = child.wait_with_output().expect("child output");
            assert!(
                out.status.success(),
                "trial {trial}, runner {i} (node {}) failed: {}",
                i / RUNNERS_PER_NODE + 1,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let elapsed = started.elapsed();
        // Checked on every node, causally: each sees the same history.
        for node in 0..db.nodes.len() {
            let mut d = db.causal(node).await;
            let m = Migrator::new(&set);
            let history = m.history(&mut d).await.expect("history");
            let versions: Vec<u32> = history.iter().map(|r| r.version.get()).collect();
            assert_eq!(versions, [1, 2, 3], "trial {trial}, node {node}");
            assert!(history.iter().all(|r| r.state == State::Applied));
            let effects = column(
                &mut d,
                "SELECT CAST(version AS CHAR) FROM side_effects ORDER BY version",
            )
            .await;
            assert_eq!(
                effects,
                ["1", "2", "3"],
                "trial {trial}, node {node}: each version must run exactly once"
            );
            assert_eq!(m.log(&mut d).await.expect("log").len(), 3, "trial {trial}");
            let locks = column(&mut d, "SELECT owner FROM schema_history_lock").await;
            assert!(
                locks.is_empty(),
                "trial {trial}: lock left behind: {locks:?}"
            );
        }
        eprintln!("Galera trial {trial}: 6 runners on 3 nodes in {elapsed:?}");
        db.drop_database().await;
    }
}

/// One version that pauses between two statements, long enough to kill its runner there. The
/// pause is a compound statement, sent in a round trip of its own: a client killed during it
/// sends nothing more (a client killed during a multi-statement batch leaves the server running
/// the rest of the batch).
fn slow_tree() -> tempfile::TempDir {
    child::write_tree(&[
        (
            "V1/up.sql".to_owned(),
            "CREATE TABLE k1 (id INTEGER PRIMARY KEY);\nBEGIN NOT ATOMIC DO SLEEP(3); END;\n\
             CREATE TABLE k2 (id INTEGER PRIMARY KEY);"
                .to_owned(),
        ),
        (
            "V1/down.sql".to_owned(),
            "DROP TABLE k2;\nDROP TABLE k1;".to_owned(),
        ),
    ])
}

#[tokio::test]
async fn killed_holder_is_waited_for_then_reported_and_resumed() {
    let Some(nodes) = nodes() else { return };
    let tree = slow_tree();
    let set = source::load_dir(tree.path(), &Dialect::ALL).expect("tree");
    let db = ClusterDb::create(&nodes, "kill").await;
    let mut holder = spawn(&db.url(0), tree.path(), "sqlx");
    // Kill it once its first statement is journaled: in the pause.
    let mut watch = db.causal(1).await;
    wait_until_v1_is_journaled(&mut watch).await;
    holder.kill().expect("SIGKILL");
    let _ = holder.wait();
    let killed = Instant::now();
    waiters_report_the_interrupted_version(&db, tree.path());
    // Nobody took over before the lease ran out (less the heartbeat interval it may have
    // renewed before the kill).
    assert!(
        killed.elapsed() >= Duration::from_secs(7),
        "the waiters did not wait for the lease: {:?}",
        killed.elapsed()
    );
    let m = Migrator::new(&set);
    let mut d = db.causal(2).await;
    journal_tells_the_truth_and_resume_finishes(&m, &mut d).await;
    drop(d);
    db.drop_database().await;
}

/// Waits until V1 has a statement done in the journal `watch` reads (at most 30 s).
async fn wait_until_v1_is_journaled(watch: &mut SqlxMySql) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let done = watch
            .query("SELECT CAST(statements_done AS CHAR) FROM schema_history WHERE version = 1")
            .await
            .ok()
            .and_then(|rows| rows.into_iter().next())
            .and_then(|row| row.into_iter().next().flatten());
        if done.as_deref().is_some_and(|n| n != "0") {
            break;
        }
        assert!(Instant::now() < deadline, "the holder never started V1");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Four runners of `tree` on the other two nodes, one per driver on each, wait for the killed
/// holder's lock and each report its interrupted version.
fn waiters_report_the_interrupted_version(db: &ClusterDb, tree: &std::path::Path) {
    let waiters: Vec<Child> = [1, 2]
        .iter()
        .flat_map(|&node| {
            [
                spawn(&db.url(node), tree, "sqlx"),
                spawn(&db.url(node), tree, "mysql_async"),
            ]
        })
        .collect();
    for child in waiters {
        let out = child.wait_with_output().expect("child output");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "a waiter must report the interrupted version: {stderr}"
        );
        assert!(
            stderr.contains("version 1 was interrupted") && stderr.contains("run `resume"),
            "{stderr}"
        );
    }
}

/// After the kill, V1's row is failed and its journal tells the truth: what it records as
/// done exists, and at most the statement in flight is unknown. `up` is refused until
/// `resume`, told what the tables show, finishes V1.
async fn journal_tells_the_truth_and_resume_finishes(m: &Migrator<'_>, d: &mut SqlxMySql) {
    let history = m.history(d).await.expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].state, State::Failed);
    let tables = column(
        d,
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
         AND TABLE_NAME IN ('k1', 'k2') ORDER BY TABLE_NAME",
    )
    .await;
    let done = history[0].statements_done as usize;
    let made = tables.len();
    assert!(
        done.div_ceil(2) <= made && made <= done.div_ceil(2) + 1,
        "{done} done, {tables:?}"
    );
    let err = m
        .up(d, Target::Latest)
        .await
        .expect_err("refused until resumed");
    assert!(matches!(err, Error::FailedMigration { .. }), "{err}");
    let choice = match made {
        2 => Resume::Skip,
        _ => Resume::Rerun,
    };
    m.resume(d, choice).await.expect("resume");
    let history = m.history(d).await.expect("history");
    assert!(
        history.len() == 1 && history[0].state == State::Applied,
        "{history:?}"
    );
}

#[tokio::test]
async fn rsu_is_refused_naming_the_setting() {
    let Some(nodes) = nodes() else { return };
    let tree = racing_tree();
    let set = source::load_dir(tree.path(), &Dialect::ALL).expect("tree");
    let db = ClusterDb::create(&nodes, "rsu").await;
    let mut d = SqlxMySql::connect(&db.url(0)).await.expect("connect");
    d.execute("SET SESSION wsrep_OSU_method = 'RSU'")
        .await
        .expect("RSU");
    let err = Migrator::new(&set)
        .up(&mut d, Target::Latest)
        .await
        .expect_err("refused under RSU");
    let chain = format!(
        "{err}: {}",
        std::error::Error::source(&err)
            .map(ToString::to_string)
            .unwrap_or_default()
    );
    assert!(chain.contains("wsrep_OSU_method is RSU"), "{chain}");
    drop(d);
    db.drop_database().await;
}

#[tokio::test]
async fn lock_timeout_names_the_holder_and_its_node() {
    let Some(nodes) = nodes() else { return };
    let tree = racing_tree();
    let set = source::load_dir(tree.path(), &Dialect::ALL).expect("tree");
    let db = ClusterDb::create(&nodes, "holder").await;
    let m = Migrator::new(&set);
    let mut holder = MysqlAsync::connect(&db.url(0)).await.expect("connect");
    let outcome = holder
        .lock(&m.lock_name(), Duration::from_secs(5))
        .await
        .expect("lock");
    assert_eq!(outcome, migrate_core::driver::LockOutcome::Acquired);
    let mut other = SqlxMySql::connect(&db.url(2)).await.expect("connect");
    let quick = Migrator::with_config(&set, Config::default().lock_timeout(Duration::from_secs(1)));
    let err = quick.redo(&mut other).await.expect_err("timed out");
    let message = err.to_string();
    assert!(
        matches!(err, Error::LockTimeout { .. }) && message.contains("Galera node `n1`"),
        "{message}"
    );
    holder.unlock(&m.lock_name()).await.expect("unlock");
    drop((holder, other));
    db.drop_database().await;
}

/// `status` on another node names the runner holding the lock mid-version: its node, the
/// node's host and port, its process and its lease; the lock reads free before and after. The
/// watcher's session is a plain one, and the causal read leaves it so.
#[tokio::test]
async fn status_names_the_holder_and_its_node() {
    let Some(nodes) = nodes() else { return };
    let tree = slow_tree();
    let set = source::load_dir(tree.path(), &Dialect::ALL).expect("tree");
    let db = ClusterDb::create(&nodes, "status").await;
    let m = Migrator::new(&set);
    // A plain session (`wsrep_sync_wait` 0): the holder's read is causal by itself.
    let mut watcher = SqlxMySql::connect(&db.url(2)).await.expect("connect");
    let before = causal_reads(&mut watcher).await;
    let state = m.lock_holder(&mut watcher).await.expect("lock state");
    assert_eq!(state, LockState::Free);
    // Other tests' reads on this node can only add to the count, never hide this one.
    assert!(causal_reads(&mut watcher).await > before, "a causal read");
    let runner = spawn(&db.url(0), tree.path(), "mysql_async");
    let deadline = Instant::now() + Duration::from_secs(30);
    let holder = loop {
        if let LockState::Held(holder) = m.lock_holder(&mut watcher).await.expect("read") {
            break holder;
        }
        assert!(Instant::now() < deadline, "never saw the lock held");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let port = nodes[0].rsplit(':').next().expect("a port");
    assert_eq!(holder.node.as_deref(), Some("n1"), "{holder}");
    assert!(
        holder
            .client
            .as_deref()
            .is_some_and(|c| c.ends_with(&format!(":{port}"))),
        "{holder}"
    );
    assert_eq!(holder.process, Some(u64::from(runner.id())), "{holder}");
    let lease = holder.lease.expect("a lease");
    assert!(
        lease.expires_in().is_some(),
        "a live runner's lease: {holder}"
    );
    assert!(holder.description.contains("Galera node `n1`"), "{holder}");
    let out = runner.wait_with_output().expect("runner output");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let state = m.lock_holder(&mut watcher).await.expect("lock state");
    assert_eq!(state, LockState::Free);
    let rows = watcher
        .query("SELECT CAST(@@SESSION.wsrep_sync_wait AS CHAR)")
        .await
        .expect("read the session's wsrep_sync_wait");
    assert_eq!(
        rows[0][0].as_deref(),
        Some("0"),
        "the read left it as it was"
    );
    drop(watcher);
    db.drop_database().await;
}

/// The node's count of causal reads (`wsrep_causal_reads`), all sessions together.
async fn causal_reads(driver: &mut SqlxMySql) -> u64 {
    let rows = driver
        .query(
            "SELECT CAST(VARIABLE_VALUE AS CHAR) FROM information_schema.GLOBAL_STATUS \
             WHERE VARIABLE_NAME = 'WSREP_CAUSAL_READS'",
        )
        .await
        .expect("read wsrep_causal_reads");
    let value = rows.first().and_then(|row| row[0].as_deref());
    value.and_then(|v| v.parse().ok()).expect("a count")
}

/// A step's duration counts its statements, on the node's clock, within one batch.
#[tokio::test]
async fn step_durations_are_measured() {
    let Some(nodes) = nodes() else { return };
    let tree = child::write_tree(&[
        (
            "V1/up.sql".to_owned(),
            "CREATE TABLE d1 (id INTEGER PRIMARY KEY);\nDO SLEEP(0.3);\nINSERT INTO d1 VALUES (1);\nDO SLEEP(0.2);"
                .to_owned(),
        ),
        ("V1/down.sql".to_owned(), "DROP TABLE d1;".to_owned()),
    ]);
    let set = source::load_dir(tree.path(), &Dialect::ALL).expect("tree");
    let db = ClusterDb::create(&nodes, "timing").await;
    let m = Migrator::new(&set);
    let mut d = MysqlAsync::connect(&db.url(1)).await.expect("connect");
    m.up(&mut d, Target::Latest).await.expect("up");
    let history = m.history(&mut d).await.expect("history");
    assert!(
        history[0].execution_ms >= 500,
        "execution_ms = {}",
        history[0].execution_ms
    );
    let log = m.log(&mut d).await.expect("log");
    assert!(log.iter().all(|row| row.duration_ms >= 500), "{log:?}");
    drop(d);
    db.drop_database().await;
}
