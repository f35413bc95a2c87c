//! The expected schema while a command runs ([`ExpectedSchema`]): what the history records,
//! the live schema as last described, and how the schema after each version is found
//! ([`Describe`]): known, scoped or described whole.

use std::collections::BTreeMap;

use super::reach::Reach;
use super::scope::{self, Reached};
use super::{
    drift, rebuild, Fingerprint, Functions, SchemaChange, SchemaDescription, SchemaDiff, Scope,
};
use crate::Dialect;

/// The schema the history says the database has, kept up to date while a command runs:
/// rebuilt from the rows' stored changes, replaced by the live description after each version
/// that records one (a version applied without a record leaves it as it was,
/// [`ExpectedSchema::unrecorded`]). It also keeps the live schema as last described during the command, while no
/// statement that could change it has run since, and decides how the schema after each
/// version is found ([`ExpectedSchema::how`]).
#[derive(Debug, Default)]
pub(crate) struct ExpectedSchema {
    changes: BTreeMap<crate::Version, SchemaChange>,
    current: Option<SchemaDescription>,
    live: Live,
    /// What the PostgreSQL database holds, while no statement that could change it has run.
    functions: Option<Functions>,
    /// Whether `live` was built from a scoped description since the whole schema was last
    /// described.
    scoped: bool,
    /// The last version the command applies: its schema is described whole when `scoped`.
    last_up: Option<crate::Version>,
    /// Drift found before the command applied anything, kept out of what it records
    /// ([`drift::without`]).
    drift: Option<SchemaDiff>,
}

impl ExpectedSchema {
    /// From the stored changes (rows without one contribute nothing).
    pub(crate) fn new(changes: Vec<(crate::Version, Option<SchemaChange>)>) -> ExpectedSchema {
        ExpectedSchema {
            changes: changes
                .into_iter()
                .filter_map(|(v, c)| c.map(|c| (v, c)))
                .collect(),
            current: None,
            live: Live::Unknown,
            functions: None,
            scoped: false,
            last_up: None,
            drift: None,
        }
    }

    /// Keeps `drift`, from the expected schema to the live one, out of the schemas recorded
    /// after the versions this command applies.
    pub(crate) fn keep_out(&mut self, drift: SchemaDiff) {
        self.drift = Some(drift);
    }

    /// Records the live schema, just described whole.
    pub(crate) fn observed(&mut self, live: SchemaDescription) {
        self.live = if self.description() == &live {
            Live::Current
        } else {
            Live::Own(live)
        };
        self.scoped = false;
    }

    /// Records the last version the command applies.
    pub(crate) fn last_up(&mut self, version: Option<crate::Version>) {
        self.last_up = version;
    }

    /// Whether [`ExpectedSchema::how`] needs [`Functions`] it does not have for `reaches`.
    pub(crate) fn needs_functions(&self, reaches: &[Reach], dialect: Dialect) -> bool {
        dialect.user_code_runs_ddl()
            && self.functions.is_none()
            && self.live().is_some()
            && !reaches.contains(&Reach::Anything)
            && reaches.iter().any(|r| r != &Reach::Nothing)
    }

    /// Records what the PostgreSQL database holds.
    pub(crate) fn set_functions(&mut self, functions: Functions) {
        self.functions = Some(functions);
    }

    /// How the schema after `version`, whose statements reach `reaches`, is found: known when
    /// they cannot change it, scoped to the tables they name when that is all they can change
    /// (PostgreSQL: when no event trigger could take them further; a data statement changes
    /// nothing there only when no user function exists), else
    /// described whole. The last version a command applies after a scoped description is
    /// described whole, so that what the command leaves is checked against the server.
    pub(crate) fn how(
        &self,
        version: crate::Version,
        reaches: &[Reach],
        dialect: Dialect,
    ) -> Describe {
        let how = self.how_alone(reaches, dialect);
        match how {
            Describe::Known | Describe::Scoped(_)
                if self.last_up == Some(version)
                    && (self.scoped || matches!(how, Describe::Scoped(_))) =>
            {
                Describe::Check(Box::new(how))
            }
            how => how,
        }
    }

    /// [`ExpectedSchema::how`], leaving out the last version's check.
    fn how_alone(&self, reaches: &[Reach], dialect: Dialect) -> Describe {
        let Some(live) = self.live() else {
            return Describe::Full;
        };
        let Some(reached) = self.tables_reached(reaches, dialect, live) else {
            return Describe::Full;
        };
        if reached.names.is_empty() {
            return Describe::Known;
        }
        if self.beyond_tables(live, reached.drops, dialect) {
            return Describe::Full;
        }
        Scope::of_tables(reached, dialect, live).map_or(Describe::Full, Describe::Scoped)
    }

    /// The tables `reaches` can change; `None` when a statement may reach beyond the tables
    /// it names: any statement not understood, a PostgreSQL data statement while a user
    /// function exists (or whether one does is not known), a `DROP INDEX` of an index the
    /// live schema does not have.
    fn tables_reached(
        &self,
        reaches: &[Reach],
        dialect: Dialect,
        live: &SchemaDescription,
    ) -> Option<Reached> {
        let mut reached = Reached::default();
        for reach in reaches {
            match reach {
                Reach::Nothing => {}
                Reach::Functions if !dialect.user_code_runs_ddl() => {}
                Reach::Functions => match self.functions {
                    Some(f) if !f.user_functions => {}
                    _ => return None,
                },
                Reach::Tables { names, drop } => {
                    reached
                        .names
                        .extend(names.iter().flat_map(|n| n.stored(dialect)));
                    reached.drops |= drop;
                }
                Reach::Indexes(indexes) => {
                    for index in indexes {
                        let tables = scope::index_tables(live, index, dialect);
                        if tables.is_empty() {
                            return None;
                        }
                        reached.names.extend(tables);
                    }
                }
                Reach::Anything => return None,
            }
        }
        Some(reached)
    }

    /// Whether DDL may reach beyond the tables it names: on PostgreSQL an event trigger runs
    /// on DDL (or whether one exists is not known), and dropping a partitioned table drops
    /// its partitions.
    fn beyond_tables(&self, live: &SchemaDescription, drops: bool, dialect: Dialect) -> bool {
        let event_triggers = !matches!(self.functions, Some(f) if !f.event_triggers);
        (dialect.user_code_runs_ddl() && event_triggers)
            || (dialect.table_inheritance()
                && drops
                && live
                    .tables()
                    .any(|(_, definition)| definition.contains("PARTITION OF")))
    }

    /// The live schema as last described, unless a statement that could change it has run
    /// since (a version applied without a description, or any version reverted).
    pub(crate) fn live(&self) -> Option<&SchemaDescription> {
        match &self.live {
            Live::Unknown => None,
            Live::Current => self.current.as_ref(),
            Live::Own(live) => Some(live),
        }
    }

    /// Records how the schema after the version about to be recorded was found: after a
    /// whole description the database's functions must be asked again (its statements may
    /// have made some).
    pub(crate) fn found(&mut self, how: &Describe) {
        match how {
            Describe::Known => {}
            Describe::Scoped(_) => self.scoped = true,
            Describe::Full | Describe::Check(_) => {
                self.scoped = false;
                self.functions = None;
            }
        }
    }

    /// The expected schema now.
    pub(crate) fn description(&mut self) -> &SchemaDescription {
        self.current
            .get_or_insert_with(|| rebuild(self.changes.values()))
    }

    /// Records that `version` was applied and left the schema as `found` says: returns its
    /// fingerprint and the change from the expected schema without it. While the expected
    /// schema is the live one as last described, a scoped or known schema is found in place:
    /// only the objects the scope covers are compared and replaced.
    pub(crate) fn applied(
        &mut self,
        version: crate::Version,
        found: Found,
    ) -> (Fingerprint, SchemaChange) {
        if self.changes.remove(&version).is_some() {
            self.forget_current();
        }
        let mut live = Live::Current;
        let change = match (found, &self.live) {
            (Found::Known, Live::Current) => SchemaChange::default(),
            (Found::Scoped(scope, scoped), Live::Current) => {
                let current = self
                    .current
                    .as_mut()
                    .expect("the live schema is the current one");
                current.replace_scope(&scope, scoped)
            }
            (found, _) => {
                let mut after = match (found, std::mem::take(&mut self.live)) {
                    (Found::Whole(after), _) => after,
                    (Found::Known, Live::Own(live)) => live,
                    (Found::Scoped(scope, scoped), Live::Own(live)) => {
                        live.with_scope(&scope, scoped)
                    }
                    (Found::Known | Found::Scoped(..), _) => {
                        unreachable!("a known or scoped schema needs the live one")
                    }
                };
                if let Some(recorded) = self.drift.as_ref().map(|d| drift::without(&after, d)) {
                    if recorded != after {
                        live = Live::Own(std::mem::replace(&mut after, recorded));
                    }
                }
                let change = self.description().diff(&after).to_change();
                self.current = Some(after);
                change
            }
        };
        self.live = live;
        let current = self.current.as_ref().expect("the schema was just recorded");
        let fingerprint = current.fingerprint();
        self.changes.insert(version, change.clone());
        (fingerprint, change)
    }

    /// The whole schema `found` stands for.
    pub(crate) fn whole(&self, found: Found) -> SchemaDescription {
        match (found, self.live()) {
            (Found::Whole(whole), _) => whole,
            (Found::Known, Some(live)) => live.clone(),
            (Found::Scoped(scope, scoped), Some(live)) => live.clone().with_scope(&scope, scoped),
            (Found::Known | Found::Scoped(..), None) => {
                unreachable!("a known or scoped schema needs the live one")
            }
        }
    }

    /// Drops the expected schema (to be rebuilt from the stored changes), keeping the live
    /// one as last described.
    fn forget_current(&mut self) {
        match self.live {
            Live::Current => self.live = self.current.take().map_or(Live::Unknown, Live::Own),
            _ => self.current = None,
        }
    }

    /// Records that `version` is applied without a record of the schema it leaves (a version
    /// before a run's last with fingerprints per run): the live schema is no longer known,
    /// and the expected one stays the one before it, which the change recorded for the run's
    /// last version starts from.
    pub(crate) fn unrecorded(&mut self, version: crate::Version) {
        self.live = Live::Unknown;
        self.functions = None;
        self.scoped = false;
        if self.changes.remove(&version).is_some() {
            self.current = None;
        }
    }

    /// Records that `version` was reverted.
    pub(crate) fn reverted(&mut self, version: crate::Version) {
        self.live = Live::Unknown;
        self.functions = None;
        if self.changes.remove(&version).is_some() {
            self.current = None;
        }
    }
}

/// The live schema as last described, while no statement that could change it has run since.
#[derive(Debug, Default)]
enum Live {
    /// Unknown: described again before it is relied on.
    #[default]
    Unknown,
    /// The expected schema ([`ExpectedSchema::current`]): no copy is kept.
    Current,
    /// A description that differs from the expected schema.
    Own(SchemaDescription),
}

/// The schema after a version, as found.
#[derive(Debug)]
pub(crate) enum Found {
    /// Described whole.
    Whole(SchemaDescription),
    /// The live schema as last described: the version's statements cannot change it.
    Known,
    /// The live schema as last described with what the scope covers replaced by a scoped
    /// description.
    Scoped(Scope, SchemaDescription),
}

/// How the schema after a version is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Describe {
    /// Its statements cannot change it: the live schema as last described.
    Known,
    /// Its statements change only the objects of some tables: those are described.
    Scoped(Scope),
    /// The whole schema is described.
    Full,
    /// The whole schema is described, and compared with what the inner way would have found:
    /// the last version a command applies after scoped descriptions, so that a scoped
    /// description that missed something shows in the log.
    Check(Box<Describe>),
}
