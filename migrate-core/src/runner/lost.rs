//! A step whose connection was lost: [`Error::ConnectionLost`] instead of the error the
//! runner saw, which may name an earlier statement than the one the server was running and
//! call the history updated when the server never got the write.

use crate::driver::DriverErrorKind;
use crate::plan::{self, Step};
use crate::{Dialect, Error};

/// `error` from running `step`, as [`Error::ConnectionLost`] when its cause is a lost
/// connection ([`DriverErrorKind::ConnectionLost`]); any other error unchanged.
pub(super) fn connection_lost(error: Error, step: &Step<'_>, dialect: Dialect) -> Error {
    let source = match error {
        Error::StatementFailed { source, .. }
        | Error::JournalFailed { source, .. }
        | Error::Driver { source, .. }
            if source.kind() == DriverErrorKind::ConnectionLost =>
        {
            source
        }
        other => return other,
    };
    Error::ConnectionLost {
        version: step.migration.version(),
        direction: step.direction,
        script: step.script.path().to_owned(),
        atomic: plan::execution(dialect, step.script) == plan::Execution::Atomic,
        source,
    }
}
