//! How a command ended: [`Exit`], the process's exit status.

use std::process::{ExitCode, Termination};

/// How a command ended; the process's exit status ([the table](crate::cli#exit-status)).
///
/// `fn main() -> Exit` works: `Exit` implements [`Termination`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Exit {
    /// 0: the command did its work; `validate` found nothing wrong.
    Success,
    /// 1: the command failed.
    Failure,
    /// 2: the command line was wrong or incomplete.
    Usage,
    /// 3: the history disagrees with this binary.
    Mismatch,
    /// 4: the live schema differs from the one recorded (drift), and nothing else is wrong.
    Drift,
}

impl Exit {
    /// The numeric exit status.
    pub const fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::Usage => 2,
            Exit::Mismatch => 3,
            Exit::Drift => 4,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

impl Termination for Exit {
    fn report(self) -> ExitCode {
        self.into()
    }
}
