//! Questions to the operator. Commands that destroy (`down`, `database drop`) ask first; the
//! answer comes from a terminal or from `--yes`, never from a pipe.

use std::io::{self, BufRead, IsTerminal, Write};

use super::error::CliError;

/// Asks on a terminal; without one, only `--yes` lets a revert (or a drop) run.
pub(super) fn confirm(yes: bool, what: &str) -> Result<(), CliError> {
    if yes {
        return Ok(());
    }
    let stdin = io::stdin();
    if !stdin.is_terminal() {
        return Err(CliError::NotConfirmed {
            what: what.to_owned(),
        });
    }
    eprint!("{what}? [y/N] ");
    io::stderr().flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(CliError::Declined),
    }
}
