//! The session a MySQL/MariaDB driver migrates in: the server's own defaults.
//!
//! A migration script means what the server's command-line client would make of it. sqlx
//! changes its sessions by default: it adds `PIPES_AS_CONCAT` to `sql_mode`, sets `time_zone`
//! to `+00:00` and a collation of its choice, and always asks for `CLIENT_IGNORE_SPACE` in the
//! handshake, which adds `IGNORE_SPACE` to `sql_mode`. So `RETURN a || b` would concatenate
//! instead of OR-ing, and `CREATE TABLE count (…)` would be a syntax error. A driver that opens
//! its own connection therefore turns the optional settings off and then copies the server's
//! GLOBAL values into the session (the handshake flag cannot be turned off, hence the copy of
//! `sql_mode` even so), so that both MySQL drivers agree
//! (<https://mariadb.com/kb/en/sql-mode/>, <https://dev.mysql.com/doc/refman/8.0/en/sql-mode.html>).
//!
//! The collation is copied only when its character set is the one the client talks in
//! (`character_set_client`, `utf8mb4` for both drivers): another character set would change
//! how the text of a statement is converted, not only how strings compare.
//!
//! A connection handed over by the application (`from_connection`, `from_pool`) keeps the
//! session the application set up: the application chose it.

use super::{Driver, DriverError};

/// One statement that gives the session the server's GLOBAL `sql_mode`, `time_zone` and, where
/// its character set is the client's, `collation_connection`.
pub(crate) const SERVER_DEFAULTS: &str = "SET SESSION sql_mode = @@GLOBAL.sql_mode, \
     time_zone = @@GLOBAL.time_zone, \
     collation_connection = IF(@@GLOBAL.character_set_connection = @@SESSION.character_set_client, \
     @@GLOBAL.collation_connection, @@SESSION.collation_connection)";

/// Gives `driver`'s session the server's own defaults ([`SERVER_DEFAULTS`]); one round trip.
pub(crate) async fn adopt_server_defaults<D: Driver>(driver: &mut D) -> Result<(), DriverError> {
    driver.execute(SERVER_DEFAULTS).await
}
