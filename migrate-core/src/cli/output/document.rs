//! What every report of a command shares: the database it is about ([`Database`]), writing a
//! JSON document, and a schema diff in JSON.

use std::io::{self, Write};

use serde::Serialize;

use crate::schema::{SchemaDiff, SchemaObject};
use crate::Dialect;

/// Where the command ran, for headers and JSON.
#[derive(Debug)]
pub(in crate::cli) struct Database<'a> {
    /// The URL with its password hidden.
    pub(in crate::cli) url: &'a str,
    pub(in crate::cli) dialect: Dialect,
    pub(in crate::cli) history_table: &'a str,
}

/// Writes `value` as one pretty-printed JSON document and a newline.
pub(super) fn json(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}

/// A [`SchemaDiff`] in JSON: the objects added, removed and changed.
#[derive(Serialize)]
pub(super) struct DiffJson {
    added: Vec<ObjectJson>,
    removed: Vec<ObjectJson>,
    changed: Vec<ChangedJson>,
}

#[derive(Serialize)]
struct ObjectJson {
    kind: &'static str,
    name: String,
    definition: String,
}

#[derive(Serialize)]
struct ChangedJson {
    kind: &'static str,
    name: String,
    before: String,
    after: String,
}

impl DiffJson {
    pub(super) fn new(diff: &SchemaDiff) -> DiffJson {
        let object = |o: &SchemaObject| ObjectJson {
            kind: o.kind.as_str(),
            name: o.name.clone(),
            definition: o.definition.clone(),
        };
        DiffJson {
            added: diff.added.iter().map(object).collect(),
            removed: diff.removed.iter().map(object).collect(),
            changed: diff
                .changed
                .iter()
                .map(|c| ChangedJson {
                    kind: c.kind.as_str(),
                    name: c.name.clone(),
                    before: c.before.clone(),
                    after: c.after.clone(),
                })
                .collect(),
        }
    }
}
