//! Who holds the migration lock, as [`Driver::lock_holder`](super::Driver::lock_holder) reads
//! it for `status`, from a session other than the holder's.

use std::fmt;
use std::time::Duration;

/// Whether the migration lock is held, and by whom, as far as the server can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LockState {
    /// Nobody holds it.
    Free,
    /// A session holds it (boxed: the other states are small).
    Held(Box<LockHolder>),
    /// The driver cannot tell (the default of [`Driver::lock_holder`](super::Driver::lock_holder)).
    NotTracked,
}

/// The session holding the migration lock. Which fields are known depends on the server:
///
/// | server | lock | known |
/// |---|---|---|
/// | MySQL/MariaDB | `GET_LOCK` | connection id; user, client host and activity where the processlist shows them (the `PROCESS` privilege) |
/// | Galera | the lease row `<history table>_lock` | runner id, node, host, connection, client process, since, lease |
/// | PostgreSQL | advisory lock | backend pid; user, client address, application and activity where `pg_stat_activity` shows them |
/// | SQLite | the write lock | nothing: SQLite does not say which connection holds it |
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct LockHolder {
    /// The holding session as the server names it: a MySQL connection id, a PostgreSQL
    /// backend pid, a Galera runner's id.
    pub session: Option<String>,
    /// The database user of the holding session.
    pub user: Option<String>,
    /// Where the holder connects from (`host:port`, an address, `local socket`), or on Galera
    /// the host of the node it is connected to.
    pub client: Option<String>,
    /// On Galera, the node (`wsrep_node_name`) whose session holds the lock.
    pub node: Option<String>,
    /// The holder's connection id on its node, on Galera (where `session` is the runner's id).
    pub connection: Option<String>,
    /// The PostgreSQL `application_name` of the holding session.
    pub application: Option<String>,
    /// The holder's process id on its own machine, where recorded (Galera).
    pub process: Option<u64>,
    /// When the holder took the lock (UTC, as the server shows it), where recorded (Galera).
    pub since: Option<String>,
    /// The lease of a Galera lock.
    pub lease: Option<Lease>,
    /// What the holding session is doing (the statement it runs, or how long it has been idle),
    /// where shown.
    pub activity: Option<String>,
    /// All of it in one line, for people and for a lock timeout's error.
    pub description: String,
}

/// A Galera lock's lease: the holder renews it every few seconds; a waiter takes the lock over
/// once it has seen the lease unrenewed for [`Lease::length`] by its own clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    /// How long ago the holder last renewed it (the reading node's clock against the holder
    /// node's, so off by their difference).
    pub renewed_ago: Duration,
    /// How long a lease lasts without renewal.
    pub length: Duration,
}

impl Lease {
    /// How long until the lease runs out unless renewed; `None` when it has run out, and a
    /// waiter may take the lock over.
    pub fn expires_in(&self) -> Option<Duration> {
        self.length
            .checked_sub(self.renewed_ago)
            .filter(|d| !d.is_zero())
    }
}

impl fmt::Display for LockHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description)
    }
}

impl fmt::Display for LockState {
    /// `free`, `held by …` or `not tracked by this driver`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockState::Free => f.write_str("free"),
            LockState::Held(holder) => write!(f, "held by {holder}"),
            LockState::NotTracked => f.write_str("not tracked by this driver"),
        }
    }
}

impl LockState {
    /// `free`, `held` or `not_tracked`, for machines.
    pub const fn as_str(&self) -> &'static str {
        match self {
            LockState::Free => "free",
            LockState::Held(_) => "held",
            LockState::NotTracked => "not_tracked",
        }
    }

    /// The holder's description, when held: what a lock timeout names.
    pub fn into_description(self) -> Option<String> {
        match self {
            LockState::Held(holder) => Some(holder.description),
            LockState::Free | LockState::NotTracked => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_expires_after_its_length_unrenewed() {
        let lease = |ago_ms| Lease {
            renewed_ago: Duration::from_millis(ago_ms),
            length: Duration::from_secs(10),
        };
        assert_eq!(lease(800).expires_in(), Some(Duration::from_millis(9200)));
        assert_eq!(lease(10_000).expires_in(), None);
        assert_eq!(lease(12_000).expires_in(), None);
    }

    #[test]
    fn state_shows_the_holder() {
        let holder = LockHolder {
            session: Some("12".into()),
            description: "connection 12 (app@10.0.0.5:40000)".into(),
            ..LockHolder::default()
        };
        let held = LockState::Held(Box::new(holder));
        assert_eq!(
            held.to_string(),
            "held by connection 12 (app@10.0.0.5:40000)"
        );
        assert_eq!(held.as_str(), "held");
        assert_eq!(LockState::Free.to_string(), "free");
        assert_eq!(LockState::NotTracked.into_description(), None);
    }
}
