//! The seam between the verifier and where its empty databases come from: a server
//! (`ScratchServer`, with a driver feature) or the caller's own source.

use std::future::Future;

use crate::driver::Driver;
use crate::Error;

/// A source of empty databases for [`Verifier::run`](super::Verifier::run), which disposes of each one it is done
/// with.
pub trait ScratchDatabases {
    /// The driver connected to a scratch database.
    type Driver: Driver;

    /// A new, empty database.
    fn create(&mut self) -> impl Future<Output = Result<Self::Driver, Error>> + Send;

    /// Disposes of the database most recently made by [`ScratchDatabases::create`] (the
    /// verifier holds one at a time).
    fn dispose(&mut self, driver: Self::Driver) -> impl Future<Output = Result<(), Error>> + Send;
}
