//! Before every command: undo what an abandoned one left on the driver's connection.
//!
//! A caller that wraps a command in `tokio::time::timeout` (or `select!`) drops its future
//! mid-run but keeps the driver. The dropped command may still hold the migration lock — on
//! MySQL/MariaDB and PostgreSQL a session lock that a second `lock` takes again and a single
//! `unlock` does not free — and may have left a transaction open, inside which the next
//! command would run. [`Driver::recover`] rolls that back and releases the lock; it costs no
//! round trip when nothing was left, so the no-op start-up stays one query.

use super::{driver_error, Migrator};
use crate::driver::Driver;
use crate::Error;

impl Migrator<'_> {
    /// Calls [`Driver::recover`] for this runner's lock. Only at the start of a public
    /// command: inside one, the lock the command holds would be released.
    pub(super) async fn recover<D: Driver>(&self, driver: &mut D) -> Result<(), Error> {
        driver
            .recover(&self.lock_name())
            .await
            .map_err(driver_error(
                "releasing the lock and transaction an abandoned command left",
            ))
    }
}
