//! `up`'s unlocked read: when the history already holds every version up to the target, with
//! the embedded checksums, that one query is the whole start-up. Anything else is left to the
//! locked path, which reads the whole history and plans. Under [`UnknownVersions::Ignore`],
//! applied versions the binary does not embed are no obstacle: they are collected for the
//! report, so an older release next to a newer database also starts in one query.

use super::{driver_error, Migrator};
use crate::driver::{Driver, DriverErrorKind};
use crate::history::State;
use crate::plan::{Target, UnknownVersions};
use crate::{Dialect, Direction, Error, MigrationSet, Version};

impl Migrator<'_> {
    /// The unlocked read behind `up`'s shortcut: whether the history already holds everything
    /// up to `target`, and if so the unknown versions ignored beside it (`Some`). Only a
    /// shortcut: anything but "nothing to do" (`None`) is decided under the lock.
    pub(super) async fn nothing_to_apply<D: Driver>(
        &self,
        driver: &mut D,
        target: Target,
    ) -> Result<Option<Vec<Version>>, Error> {
        let dialect = driver.dialect();
        let sql = self.sql(dialect).select_shortcut();
        let policy = self.config.unknown_versions;
        let mut shortcut = Shortcut::new(self.set, dialect, target, policy);
        match driver.query_each(&sql, |row| shortcut.row(row)).await {
            Ok(()) => Ok(shortcut.nothing_to_apply()),
            Err(e) if e.kind() == DriverErrorKind::UndefinedTable => {
                Ok(self.set.migrations().is_empty().then(Vec::new))
            }
            Err(e) => Err(driver_error("reading the history table")(e)),
        }
    }
}

/// `up`'s unlocked shortcut, fed the history rows (`<version> <state> <checksum>`) in version
/// order: "nothing to apply" only when every row is an applied version the binary has, with
/// the embedded checksum (or, under [`UnknownVersions::Ignore`], an applied version it does
/// not have), and every version up to the target has a row. Anything else — a failed row, a
/// changed script, a refused unknown version, a gap — is left to the locked path, which reads
/// the whole history and plans (and reports errors) properly.
struct Shortcut<'s> {
    set: &'s MigrationSet,
    dialect: Dialect,
    policy: UnknownVersions,
    /// Applied versions the binary does not embed, ignored under the policy.
    unknown: Vec<Version>,
    /// Versions up to here must be applied.
    last: Option<Version>,
    /// Rows at or below `last`.
    covered: usize,
    regular: bool,
}

impl<'s> Shortcut<'s> {
    fn new(
        set: &'s MigrationSet,
        dialect: Dialect,
        target: Target,
        policy: UnknownVersions,
    ) -> Shortcut<'s> {
        let (last, regular) = match target {
            Target::Latest => (set.latest(), true),
            // An unknown target is an error the locked path reports.
            Target::Version(v) => (Some(v), set.get(v).is_some()),
            Target::Empty => (None, true),
        };
        Shortcut {
            set,
            dialect,
            policy,
            unknown: Vec::new(),
            last,
            covered: 0,
            regular,
        }
    }

    fn row(&mut self, row: &[Option<&str>]) {
        if !self.regular {
            return;
        }
        let mut fields = match row {
            [Some(cell)] => cell.split(' '),
            _ => {
                self.regular = false;
                return;
            }
        };
        let (Some(version), Some(state), Some(checksum), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            self.regular = false;
            return;
        };
        let Some(version) = version.parse::<u32>().ok().and_then(Version::new) else {
            self.regular = false;
            return;
        };
        let Some(migration) = self.set.get(version) else {
            if self.policy == UnknownVersions::Ignore && state == State::Applied.as_str() {
                self.unknown.push(version);
            } else {
                self.regular = false;
            }
            return;
        };
        let Some(script) = migration.script(Direction::Up, self.dialect) else {
            self.regular = false;
            return;
        };
        if state != State::Applied.as_str() || !script.checksum().is_written_as(checksum) {
            self.regular = false;
            return;
        }
        if self.last.is_some_and(|last| migration.version() <= last) {
            self.covered += 1;
        }
    }

    /// `Some(unknown versions ignored)` when there is nothing to apply.
    fn nothing_to_apply(self) -> Option<Vec<Version>> {
        // Versions are the table's primary key and every counted row is a known version, so
        // the count says whether each version up to the target has its row.
        let wanted = self.last.map_or(0, |last| last.get() as usize);
        (self.regular && self.covered == wanted).then_some(self.unknown)
    }
}
