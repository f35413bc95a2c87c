//! Suite tests about server errors: the server's error number and SQLSTATE survive into the
//! runner's error, its message and the history row.

use migrate_core::driver::Driver;
use migrate_core::history::HistoryTable;
use migrate_core::{Dialect, Error, Fingerprints, Migrator, Target};

use super::{config, Connect, Ctx, Tree};

/// What one failing statement should come back with on each backend.
struct Case {
    /// The version's tag (table and history names).
    tag: &'static str,
    /// The up script; its last statement fails.
    up: &'static str,
    /// `(number, sqlstate)` on MySQL/MariaDB, PostgreSQL and SQLite.
    mysql: (Option<u32>, Option<&'static str>),
    postgres: (Option<u32>, Option<&'static str>),
    sqlite: (Option<u32>, Option<&'static str>),
}

const CASES: &[Case] = &[
    Case {
        tag: "no_default",
        up: "CREATE TABLE no_default (id INTEGER NOT NULL, name VARCHAR(10) NOT NULL);\n\
             INSERT INTO no_default (id) VALUES (1);\n",
        // Field 'name' doesn't have a default value / null value violates not-null constraint.
        mysql: (Some(1364), Some("HY000")),
        postgres: (None, Some("23502")),
        sqlite: (Some(1299), None),
    },
    Case {
        tag: "dup_key",
        up: "CREATE TABLE dup_key (id INTEGER NOT NULL);\n\
             CREATE INDEX dup_key_id ON dup_key (id);\n\
             CREATE INDEX dup_key_id ON dup_key (id);\n",
        // Duplicate key name / relation already exists / index already exists.
        mysql: (Some(1061), Some("42000")),
        postgres: (None, Some("42P07")),
        sqlite: (Some(1), None),
    },
];

/// A failing statement's error keeps the server's error number and SQLSTATE (MySQL 1364 and
/// 1061; PostgreSQL's SQLSTATE; SQLite's result code), shows them in its message as
/// `error 1061 (42000): Duplicate key name …`, and the history row of a journaled step
/// records them with the message.
pub async fn server_error_keeps_its_number_and_sqlstate<C: Connect>(ctx: &Ctx<C>) {
    for case in CASES {
        let tree = Tree::new(&[
            (&format!("V1__{}/up.sql", case.tag), case.up),
            (&format!("V1__{}/down.sql", case.tag), "SELECT 1;\n"),
        ]);
        let set = tree.set();
        let table = HistoryTable::new(format!("history_{}", case.tag)).expect("valid name");
        let m = Migrator::with_config(&set, config().table(table).fingerprints(Fingerprints::Off));
        let mut d = ctx.driver().await;
        let (number, sqlstate) = match d.dialect() {
            Dialect::MySql => case.mysql,
            Dialect::Postgres => case.postgres,
            Dialect::Sqlite => case.sqlite,
        };
        let err = m.up(&mut d, Target::Latest).await.expect_err("fails");
        let Error::StatementFailed { source, .. } = &err else {
            panic!("{}: unexpected: {err}", case.tag);
        };
        assert_eq!(source.number(), number, "{}: {source}", case.tag);
        assert_eq!(source.sqlstate(), sqlstate, "{}: {source}", case.tag);
        let prefix = expected_prefix(number, sqlstate);
        let shown = source.to_string();
        assert!(shown.starts_with(&prefix), "{}: {shown}", case.tag);
        assert!(shown.ends_with(source.message()), "{}: {shown}", case.tag);
        if d.dialect() == Dialect::MySql {
            let rows = m.history(&mut d).await.expect("history");
            let recorded = rows[0].error.as_deref().unwrap_or_default();
            assert!(recorded.starts_with(&prefix), "{}: {recorded}", case.tag);
        }
    }
}

fn expected_prefix(number: Option<u32>, sqlstate: Option<&str>) -> String {
    match (number, sqlstate) {
        (Some(n), Some(s)) => format!("error {n} ({s}): "),
        (Some(n), None) => format!("error {n}: "),
        (None, Some(s)) => format!("error {s}: "),
        (None, None) => String::new(),
    }
}
