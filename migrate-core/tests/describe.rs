//! The live schema's description on real servers (SQLite in-process): every object kind with
//! its details, stability across databases and data, logical column positions, the exact
//! exclusion of the history tables, and manual changes in a diff. One fresh database per test;
//! one test per backend for each scenario.
#![cfg(feature = "testing")]

use migrate_core::driver::{AnyDriver, Driver};
use migrate_core::history::HistoryTable;
use migrate_core::schema::{describe, ObjectKind, SchemaDescription};
use migrate_core::testing::{Backend, TestDatabase};

#[path = "describe/full_schema.rs"]
mod full_schema;

use full_schema::{full_script, Case, Expect};

/// One `#[tokio::test]` per backend for each scenario: `sqlite::name`, `mariadb::name`,
/// `postgres::name`.
macro_rules! per_backend {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $scenario() {
                super::$scenario(super::Backend::Sqlite).await;
            })*
        }
        mod mariadb {
            $(#[tokio::test]
            async fn $scenario() {
                super::$scenario(super::Backend::MySql).await;
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $scenario() {
                super::$scenario(super::Backend::Postgres).await;
            })*
        }
    };
}

per_backend!(
    describes_every_object_kind_with_its_details,
    same_script_on_two_databases_describes_identically,
    rows_and_counters_do_not_change_the_fingerprint,
    readding_a_dropped_column_describes_like_adding_it_once,
    history_tables_are_left_out_by_exact_name,
    custom_history_table_is_left_out_by_its_own_name,
    manual_changes_show_in_the_fingerprint_and_the_diff,
);

/// A fresh database and a connection to it.
struct Db {
    db: TestDatabase,
    driver: AnyDriver,
}

impl Db {
    /// `None` when the server is unreachable and not required (the skip was printed).
    async fn open(backend: Backend) -> Option<Db> {
        let db = TestDatabase::create(backend)
            .await
            .expect("test database")?;
        let driver = AnyDriver::connect(db.url()).await.expect("connect");
        Some(Db { db, driver })
    }

    async fn run(&mut self, statements: &[&str]) {
        for statement in statements {
            if let Err(e) = self.driver.execute(statement).await {
                panic!("{statement}\nfailed: {e}");
            }
        }
    }

    async fn describe(&mut self) -> SchemaDescription {
        self.describe_without(&HistoryTable::default()).await
    }

    async fn describe_without(&mut self, history: &HistoryTable) -> SchemaDescription {
        describe(&mut self.driver, history).await.expect("describe")
    }

    async fn finish(self) {
        drop(self.driver);
        self.db.drop_database().await;
    }
}

/// Rows that move auto-increment counters and sequences.
fn insert_rows(backend: Backend) -> &'static [&'static str] {
    match backend {
        Backend::Postgres => &[
            "INSERT INTO apps (name) VALUES ('one'), ('two')",
            "INSERT INTO orders (app_id, qty) VALUES (1, 5), (2, 50)",
            "SELECT nextval('invoice_numbers')",
        ],
        _ => &[
            "INSERT INTO apps (name) VALUES ('one'), ('two')",
            "INSERT INTO orders (app_id, qty) VALUES (1, 5), (2, 50)",
        ],
    }
}

/// The definition of `kind name`, failing with the whole description when it is missing.
fn definition<'d>(description: &'d SchemaDescription, kind: ObjectKind, name: &str) -> &'d str {
    description
        .get(kind, name)
        .unwrap_or_else(|| panic!("no {kind} {name} in\n{description}"))
}

/// Fails unless `text` contains every one of `parts`.
fn assert_contains(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "`{part}` not in `{text}`");
    }
}

/// Fails unless the object of `case` is in `description` as the case expects.
fn assert_case(description: &SchemaDescription, (kind, name, expect): &Case) {
    let text = definition(description, *kind, name);
    match expect {
        Expect::Described => {}
        Expect::Is(whole) => assert_eq!(text, *whole, "{kind} {name}"),
        Expect::Has(parts) => assert_contains(text, parts),
        Expect::EndsWith(end) => assert!(text.ends_with(end), "{kind} {name}: {text}"),
        Expect::Lacks(part) => assert!(!text.contains(part), "{kind} {name}: {text}"),
    }
}

/// Every object of the full schema is described as its table case says
/// (`describe/full_schema.rs`), and no definition names the database.
async fn describes_every_object_kind_with_its_details(backend: Backend) {
    let Some(mut db) = Db::open(backend).await else {
        return;
    };
    db.run(full_script(backend)).await;
    let d = db.describe().await;
    for case in full_schema::cases(backend) {
        assert_case(&d, case);
    }
    if backend == Backend::Sqlite {
        // SQLite's internal tables (`sqlite_sequence`, made by AUTOINCREMENT) are not the
        // user's schema.
        assert!(d.objects().all(|o| !o.name.starts_with("sqlite_sequence")));
    }
    for object in d.objects() {
        assert!(
            !object.definition.contains(db.db.name()),
            "the database's name leaks into {object}"
        );
    }
    db.finish().await;
}

async fn same_script_on_two_databases_describes_identically(backend: Backend) {
    let (Some(mut a), Some(mut b)) = (Db::open(backend).await, Db::open(backend).await) else {
        return;
    };
    a.run(full_script(backend)).await;
    b.run(full_script(backend)).await;
    let (first, second) = (a.describe().await, b.describe().await);
    assert!(first.diff(&second).is_empty(), "{}", first.diff(&second));
    assert_eq!(first.fingerprint(), second.fingerprint());
    a.finish().await;
    b.finish().await;
}

async fn rows_and_counters_do_not_change_the_fingerprint(backend: Backend) {
    let Some(mut db) = Db::open(backend).await else {
        return;
    };
    db.run(full_script(backend)).await;
    let before = db.describe().await;
    db.run(insert_rows(backend)).await;
    let after = db.describe().await;
    assert!(before.diff(&after).is_empty(), "{}", before.diff(&after));
    assert_eq!(before.fingerprint(), after.fingerprint());
    db.finish().await;
}

async fn readding_a_dropped_column_describes_like_adding_it_once(backend: Backend) {
    let (Some(mut churned), Some(mut direct)) = (Db::open(backend).await, Db::open(backend).await)
    else {
        return;
    };
    let create = "CREATE TABLE t (id INT NOT NULL PRIMARY KEY, a INT)";
    churned
        .run(&[
            create,
            "ALTER TABLE t ADD COLUMN x INT",
            "ALTER TABLE t DROP COLUMN x",
            "ALTER TABLE t ADD COLUMN x INT",
            "ALTER TABLE t ADD COLUMN y TEXT",
        ])
        .await;
    direct
        .run(&[
            create,
            "ALTER TABLE t ADD COLUMN x INT",
            "ALTER TABLE t ADD COLUMN y TEXT",
        ])
        .await;
    let (churned_d, direct_d) = (churned.describe().await, direct.describe().await);
    assert!(
        churned_d.diff(&direct_d).is_empty(),
        "{}",
        churned_d.diff(&direct_d)
    );
    assert_contains(definition(&direct_d, ObjectKind::Column, "t.x"), &["#3"]);
    assert_contains(definition(&direct_d, ObjectKind::Column, "t.y"), &["#4"]);
    churned.finish().await;
    direct.finish().await;
}

/// `CREATE TABLE name (…)` with an auto-incremented key, in the backend's words.
fn table_with_counter(backend: Backend, name: &str) -> String {
    let id = match backend {
        Backend::MySql => "id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY",
        Backend::Postgres => "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        Backend::Sqlite => "id INTEGER PRIMARY KEY AUTOINCREMENT",
    };
    format!("CREATE TABLE {name} ({id}, version INT NOT NULL, note TEXT)")
}

async fn history_tables_are_left_out_by_exact_name(backend: Backend) {
    let Some(mut db) = Db::open(backend).await else {
        return;
    };
    let history = table_with_counter(backend, "schema_history");
    let log = table_with_counter(backend, "schema_history_log");
    let extra = table_with_counter(backend, "schema_history_extra");
    db.run(&[
        &history,
        &log,
        &extra,
        "CREATE INDEX schema_history_version ON schema_history (version)",
        "CREATE INDEX schema_history_extra_version ON schema_history_extra (version)",
    ])
    .await;
    // A trigger on the log, in each backend's words (PostgreSQL's needs a function, which is
    // the user's and is described).
    match backend {
        Backend::MySql => {
            db.run(&[
                "CREATE TRIGGER log_guard BEFORE INSERT ON schema_history_log
                      FOR EACH ROW SET NEW.note = IFNULL(NEW.note, '')",
            ])
            .await
        }
        Backend::Postgres => {
            db.run(&[
                "CREATE FUNCTION log_guard() RETURNS trigger LANGUAGE plpgsql
                   AS $$ BEGIN RETURN NEW; END $$",
                "CREATE TRIGGER log_guard BEFORE INSERT ON schema_history_log
                   FOR EACH ROW EXECUTE FUNCTION log_guard()",
            ])
            .await
        }
        Backend::Sqlite => {
            db.run(
                &["CREATE TRIGGER log_guard AFTER INSERT ON schema_history_log
                      BEGIN SELECT 1; END"],
            )
            .await
        }
    }
    let d = db.describe().await;
    definition(&d, ObjectKind::Table, "schema_history_extra");
    definition(&d, ObjectKind::Column, "schema_history_extra.note");
    definition(
        &d,
        ObjectKind::Index,
        "schema_history_extra.schema_history_extra_version",
    );
    for object in d.objects() {
        let on_extra = object.name == "schema_history_extra"
            || object.name.starts_with("schema_history_extra")
            || object.name == "log_guard()";
        assert!(on_extra, "{object} belongs to the history tables");
    }
    db.finish().await;
}

async fn custom_history_table_is_left_out_by_its_own_name(backend: Backend) {
    let Some(mut db) = Db::open(backend).await else {
        return;
    };
    let custom = HistoryTable::new("custom_hist").expect("valid name");
    db.run(&[
        &table_with_counter(backend, "custom_hist"),
        &table_with_counter(backend, "custom_hist_log"),
        &table_with_counter(backend, "schema_history"),
    ])
    .await;
    let d = db.describe_without(&custom).await;
    let tables: Vec<String> = d
        .objects()
        .filter(|o| o.kind == ObjectKind::Table)
        .map(|o| o.name)
        .collect();
    assert_eq!(tables, ["schema_history"]);
    assert!(
        d.objects().all(|o| !o.name.starts_with("custom_hist")),
        "{d}"
    );
    db.finish().await;
}

async fn manual_changes_show_in_the_fingerprint_and_the_diff(backend: Backend) {
    let Some(mut db) = Db::open(backend).await else {
        return;
    };
    db.run(&[
        "CREATE TABLE t (id INT NOT NULL PRIMARY KEY, a INT)",
        "CREATE VIEW v AS SELECT id FROM t",
    ])
    .await;
    let before = db.describe().await;

    db.run(&["ALTER TABLE t ADD COLUMN b INT"]).await;
    let added_column = db.describe().await;
    assert_ne!(before.fingerprint(), added_column.fingerprint());
    let diff = before.diff(&added_column);
    assert_eq!(
        diff.added
            .iter()
            .map(|o| (o.kind, o.name.as_str()))
            .collect::<Vec<_>>(),
        [(ObjectKind::Column, "t.b")],
        "{diff}"
    );
    assert!(diff.removed.is_empty() && diff.changed.is_empty(), "{diff}");

    db.run(&["CREATE INDEX t_b ON t (b)"]).await;
    let added_index = db.describe().await;
    assert_ne!(added_column.fingerprint(), added_index.fingerprint());
    let diff = added_column.diff(&added_index);
    assert_eq!(
        diff.added
            .iter()
            .map(|o| (o.kind, o.name.as_str()))
            .collect::<Vec<_>>(),
        [(ObjectKind::Index, "t.t_b")],
        "{diff}"
    );

    // SQLite cannot change a column's type in place; a redefined view stands in for it.
    let (change, kind, name): (&[&str], _, _) = match backend {
        Backend::MySql => (
            &["ALTER TABLE t MODIFY a BIGINT"],
            ObjectKind::Column,
            "t.a",
        ),
        Backend::Postgres => (
            &["ALTER TABLE t ALTER COLUMN a TYPE BIGINT"],
            ObjectKind::Column,
            "t.a",
        ),
        Backend::Sqlite => (
            &["DROP VIEW v", "CREATE VIEW v AS SELECT id, a FROM t"],
            ObjectKind::View,
            "v",
        ),
    };
    db.run(change).await;
    let changed = db.describe().await;
    let diff = added_index.diff(&changed);
    assert!(diff.added.is_empty() && diff.removed.is_empty(), "{diff}");
    assert_eq!(
        diff.changed
            .iter()
            .map(|c| (c.kind, c.name.as_str()))
            .collect::<Vec<_>>(),
        [(kind, name)],
        "{diff}"
    );
    db.finish().await;
}

/// Both MySQL clients read the description's cells as the same text.
#[cfg(feature = "mysql_async")]
#[tokio::test]
async fn mariadb_description_reads_the_same_through_mysql_async() {
    use migrate_core::driver::MysqlAsync;

    let Some(mut db) = Db::open(Backend::MySql).await else {
        return;
    };
    db.run(full_script(Backend::MySql)).await;
    let through_sqlx = db.describe().await;
    let mut other = MysqlAsync::connect(db.db.url()).await.expect("connect");
    let through_mysql_async = describe(&mut other, &HistoryTable::default())
        .await
        .expect("describe");
    drop(other);
    assert_eq!(through_sqlx, through_mysql_async);
    db.finish().await;
}

/// On a PostgreSQL connection that keeps no prepared statements (`statement-cache-capacity=0`,
/// as behind a pooler), describing repeatedly leaves no statement on the server and describes
/// the same as on a connection that keeps them. (The first describe may leave one: sqlx 0.8
/// does not close a statement it prepared and could not cache, and only after it does the
/// driver see that the connection keeps none.)
#[cfg(feature = "sqlx-postgres")]
#[tokio::test]
async fn postgres_describe_leaves_no_statement_without_a_statement_cache() {
    use migrate_core::driver::SqlxPostgres;

    let Some(mut db) = Db::open(Backend::Postgres).await else {
        return;
    };
    db.run(full_script(Backend::Postgres)).await;
    let cached = db.describe().await;
    assert_eq!(db.describe().await, cached);
    let separator = if db.db.url().contains('?') { '&' } else { '?' };
    let url = format!("{}{separator}statement-cache-capacity=0", db.db.url());
    let mut uncached = SqlxPostgres::connect(&url).await.expect("connect");
    for _ in 0..3 {
        let described = describe(&mut uncached, &HistoryTable::default())
            .await
            .expect("describe");
        assert_eq!(described, cached);
    }
    let left = uncached
        .query("SELECT count(*)::text FROM pg_prepared_statements")
        .await
        .expect("prepared statements");
    let count: u32 = left[0][0]
        .as_deref()
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert!(count <= 1, "statements left on the server: {count}");
    drop(uncached);
    db.finish().await;
}

/// SQLite keeps statements' text as written: a virtual table's definition and a partial
/// index's text are read onto one line whatever whitespace they were written with, and a
/// virtual table's shadow tables are not the user's schema.
#[tokio::test]
async fn sqlite_text_is_read_onto_one_line() {
    let Some(mut db) = Db::open(Backend::Sqlite).await else {
        return;
    };
    db.run(&[
        "CREATE VIRTUAL TABLE docs USING fts5(\r\n\ttitle,   body\r\n)",
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)",
        "CREATE INDEX notes_long ON notes (body)\n\tWHERE  length(body) > 10\r\n",
    ])
    .await;
    let d = db.describe().await;
    assert_eq!(
        definition(&d, ObjectKind::Table, "docs"),
        "CREATE VIRTUAL TABLE docs USING fts5( title, body )"
    );
    assert_eq!(
        definition(&d, ObjectKind::Index, "notes.notes_long"),
        "INDEX (body): CREATE INDEX notes_long ON notes (body) WHERE length(body) > 10"
    );
    let tables: Vec<String> = d
        .objects()
        .filter(|o| o.kind == ObjectKind::Table)
        .map(|o| o.name)
        .collect();
    assert_eq!(tables, ["docs", "notes"], "no shadow tables (docs_data, …)");
    db.finish().await;
}
