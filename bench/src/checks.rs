//! What the benchmark verifies after each run, without trusting the runner: the audit ledger
//! (one row per applied version, no key), the runner's own history, and what a revert left.

use anyhow::ensure;
use migrate_core::Dialect;

use crate::runners::Runner;
use crate::sqlx_conn::SqlxConn;

/// Every runner's bookkeeping tables, which a revert leaves in place.
const BOOKKEEPING: [&str; 6] = [
    "schema_history",
    "schema_history_log",
    "_sqlx_migrations",
    "refinery_schema_history",
    "bench_journal",
    "bench_journal_log",
];

/// What the database says about how often each version was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Applied {
    /// Rows in the audit ledger (one per application of a version).
    pub(crate) audit_rows: i64,
    /// Distinct versions in the audit ledger.
    pub(crate) audit_versions: i64,
    /// Rows the runner's history table records as applied.
    pub(crate) history_rows: i64,
}

impl Applied {
    /// Whether each of `versions` versions was applied exactly once.
    pub(crate) fn exactly_once(&self, versions: usize) -> bool {
        let n = versions as i64;
        self.audit_rows == n && self.audit_versions == n && self.history_rows == n
    }
}

/// Reads the audit ledger and `runner`'s history.
pub(crate) async fn applied(conn: &mut SqlxConn, runner: Runner) -> anyhow::Result<Applied> {
    let audit_rows = conn.int("SELECT COUNT(*) FROM bench_audit").await?;
    let audit_versions = conn
        .int("SELECT COUNT(DISTINCT version) FROM bench_audit")
        .await?;
    let history_rows = match runner {
        Runner::Migrate(..) => {
            conn.int("SELECT COUNT(*) FROM schema_history WHERE state = 'applied'")
                .await?
        }
        Runner::SqlxMigrator => {
            conn.int("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
                .await?
        }
        Runner::Refinery => {
            conn.int("SELECT COUNT(*) FROM refinery_schema_history")
                .await?
        }
        Runner::JournalFloor => {
            conn.int("SELECT COUNT(*) FROM bench_journal WHERE state = 'applied'")
                .await?
        }
        // No history: the ledger is all there is.
        Runner::Raw(..) => audit_rows,
    };
    Ok(Applied {
        audit_rows,
        audit_versions,
        history_rows,
    })
}

/// Fails unless every version is applied exactly once.
pub(crate) async fn ensure_applied(
    conn: &mut SqlxConn,
    runner: Runner,
    versions: usize,
) -> anyhow::Result<()> {
    let found = applied(conn, runner).await?;
    ensure!(
        found.exactly_once(versions),
        "expected {versions} versions applied once each, found {found:?}"
    );
    Ok(())
}

/// Fails unless a revert left nothing but bookkeeping tables (and, for a runner with a history,
/// an empty history).
pub(crate) async fn ensure_reverted(
    conn: &mut SqlxConn,
    dialect: Dialect,
    runner: Runner,
) -> anyhow::Result<()> {
    let keep = BOOKKEEPING
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = match dialect {
        Dialect::MySql => format!(
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_NAME NOT IN ({keep})"
        ),
        Dialect::Postgres => format!(
            "SELECT COUNT(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n \
             ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') \
             AND c.relname NOT IN ({keep}) AND c.relname NOT LIKE '%pkey'"
        ),
        Dialect::Sqlite => format!(
            "SELECT COUNT(*) FROM sqlite_master WHERE type IN ('table', 'index') \
             AND name NOT IN ({keep}) AND name NOT LIKE 'sqlite%'"
        ),
    };
    let left = conn.int(&sql).await?;
    ensure!(left == 0, "the revert left {left} tables or indexes behind");
    if let Some(table) = runner.history_table() {
        let rows = conn.int(&format!("SELECT COUNT(*) FROM {table}")).await?;
        ensure!(rows == 0, "the revert left {rows} rows in {table}");
    }
    Ok(())
}

/// The server's version string.
pub(crate) async fn server_version(
    conn: &mut SqlxConn,
    dialect: Dialect,
) -> anyhow::Result<String> {
    let sql = match dialect {
        Dialect::MySql => "SELECT CAST(VERSION() AS CHAR)",
        Dialect::Postgres => "SELECT current_setting('server_version')",
        Dialect::Sqlite => "SELECT sqlite_version()",
    };
    conn.text(sql).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_once_needs_ledger_and_history_to_agree() {
        let ok = Applied {
            audit_rows: 5,
            audit_versions: 5,
            history_rows: 5,
        };
        assert!(ok.exactly_once(5));
        assert!(!Applied {
            audit_rows: 6,
            ..ok
        }
        .exactly_once(5));
        assert!(!Applied {
            history_rows: 4,
            ..ok
        }
        .exactly_once(5));
    }
}
