//! The migration trees and observations the template and pool tests share.

use std::path::Path;

use migrate_core::driver::{AnyDriver, Driver};
use migrate_core::history::{AppliedMigration, HistoryTable};
use migrate_core::schema::describe;
use migrate_core::testing::{Backend, TestDatabase};
use migrate_core::{Dialect, MigrationSet, Migrator};

/// Tables with keys, an index, a foreign key and rows; `nickname` added to `customers` in V1
/// when `edited`.
pub(crate) fn write_tree(root: &Path, edited: bool) {
    let nickname = if edited {
        ", nickname VARCHAR(40) NULL"
    } else {
        ""
    };
    let versions = [
        (
            "V1__customers",
            format!(
                "CREATE TABLE customers (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50) NOT NULL{nickname});\n\
                 CREATE INDEX ix_customers_name ON customers (name);\n\
                 INSERT INTO customers (id, name) VALUES (1, 'Ann'), (2, 'Bob');\n"
            ),
            "DROP TABLE customers;\n".to_owned(),
        ),
        (
            "V2__orders",
            "CREATE TABLE orders (id INTEGER NOT NULL PRIMARY KEY, customer_id INTEGER NOT NULL, \
             total DECIMAL(10, 2) NOT NULL DEFAULT 0, FOREIGN KEY (customer_id) REFERENCES customers (id));\n\
             INSERT INTO orders (id, customer_id, total) VALUES (10, 1, 9.5), (11, 2, 0);\n"
                .to_owned(),
            "DROP TABLE orders;\n".to_owned(),
        ),
        (
            "V3__email",
            "ALTER TABLE customers ADD COLUMN email VARCHAR(100) NULL;\n\
             CREATE INDEX ix_orders_customer ON orders (customer_id);\n\
             UPDATE customers SET email = 'ann@example.com' WHERE id = 1;\n"
                .to_owned(),
            "DROP INDEX ix_orders_customer;\n".to_owned(),
        ),
    ];
    for (folder, up, down) in versions {
        let dir = root.join(folder);
        std::fs::create_dir_all(&dir).expect("folder");
        std::fs::write(dir.join("up.sql"), up).expect("up");
        std::fs::write(dir.join("down.sql"), down).expect("down");
    }
    // Dialects differ on dropping an index and a column.
    let v3 = root.join("V3__email");
    std::fs::write(
        v3.join("down.mysql.sql"),
        "DROP INDEX ix_orders_customer ON orders;\nALTER TABLE customers DROP COLUMN email;\n",
    )
    .expect("down");
    std::fs::write(
        v3.join("down.postgres.sql"),
        "DROP INDEX ix_orders_customer;\nALTER TABLE customers DROP COLUMN email;\n",
    )
    .expect("down");
    std::fs::write(
        v3.join("down.sqlite.sql"),
        "DROP INDEX ix_orders_customer;\nALTER TABLE customers DROP COLUMN email;\n",
    )
    .expect("down");
}

pub(crate) fn load(root: &Path) -> MigrationSet {
    migrate_core::source::load_dir(root, &[Dialect::MySql, Dialect::Postgres, Dialect::Sqlite])
        .expect("load")
}

pub(crate) fn tree(edited: bool) -> (tempfile::TempDir, MigrationSet) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_tree(dir.path(), edited);
    let set = load(dir.path());
    (dir, set)
}

/// What a history row says apart from when, by whom and how fast.
pub(crate) fn essentials(rows: &[AppliedMigration]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            format!(
                "{} {} {} {} {:?} {:?} {:?} {}/{} {:?} {:?}",
                r.version,
                r.description,
                r.script,
                r.checksum,
                r.down_checksum,
                r.state,
                r.direction,
                r.statements_done,
                r.statements_total,
                r.error,
                r.fingerprint
            )
        })
        .collect()
}

/// A table and the columns whose values are compared.
pub(crate) type Table = (&'static str, &'static [&'static str]);

pub(crate) const CUSTOMERS_ORDERS: &[Table] = &[
    ("customers", &["id", "name", "email"]),
    ("orders", &["id", "customer_id", "total"]),
];

/// `SELECT` of `table`'s `columns` as text, ordered by the first.
pub(crate) fn select_text(backend: Backend, (table, columns): Table) -> String {
    let text = if backend == Backend::MySql {
        "CHAR"
    } else {
        "TEXT"
    };
    let list: Vec<String> = columns
        .iter()
        .map(|c| format!("CAST({c} AS {text})"))
        .collect();
    format!(
        "SELECT {} FROM {table} ORDER BY {table}.{}",
        list.join(", "),
        columns[0]
    )
}

/// Everything a test can observe of a database at a version: schema, history, rows.
pub(crate) async fn observe(
    db: &TestDatabase,
    set: &MigrationSet,
    tables: &[Table],
) -> Vec<String> {
    let mut driver = AnyDriver::connect(db.url()).await.expect("connect");
    let schema = describe(&mut driver, &HistoryTable::default())
        .await
        .expect("describe");
    let history = Migrator::new(set)
        .history(&mut driver)
        .await
        .expect("history");
    let mut seen = vec![schema.canonical_text()];
    seen.extend(essentials(&history));
    for &table in tables {
        // A table the target version does not have yet is observed as missing.
        let rows = driver.query(&select_text(db.backend(), table)).await.ok();
        seen.push(format!("{}: {rows:?}", table.0));
    }
    seen
}

/// Makes the tree at `root` a set no other test has: its template cannot exist yet.
pub(crate) fn make_unique(root: &Path) {
    let nonce = format!(
        "-- {} {:?}\n",
        std::process::id(),
        std::time::SystemTime::now()
    );
    let v1 = root.join("V1__customers").join("up.sql");
    let up = std::fs::read_to_string(&v1).expect("read");
    std::fs::write(&v1, nonce + &up).expect("write");
}

/// Drops the pooled copies of `template` (a database name; a file path on SQLite) once this
/// process's refill is idle, so that a test of a migration set of its own leaves none behind.
/// Copies are named `migrate_pool_<first 8 bytes of SHA-256 of the template's name>_…`.
pub(crate) async fn drop_pool(backend: Backend, template: &str) {
    use sha2::Digest as _;
    migrate_core::testing::pools_settled().await;
    let digest = sha2::Sha256::digest(template.as_bytes());
    let key: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let stem = format!("migrate_pool_{key}_");
    let Some(server) = backend.server_url() else {
        let folder = Path::new(template).parent().expect("the templates folder");
        for entry in std::fs::read_dir(folder).expect("list").flatten() {
            if entry.file_name().to_string_lossy().starts_with(&stem) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        return;
    };
    let mut admin = AnyDriver::connect(&server).await.expect("connect");
    let list = match backend {
        Backend::MySql => format!(
            "SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '{stem}%'"
        ),
        _ => format!("SELECT datname::text FROM pg_database WHERE datname LIKE '{stem}%'"),
    };
    for row in admin.query(&list).await.expect("list") {
        let name = row[0].clone().expect("a name");
        admin
            .execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .await
            .expect("drop a pooled copy");
    }
    if backend == Backend::MySql {
        let _ = admin
            .execute(&format!(
                "DELETE FROM migrate_pool.copies WHERE template = '{template}'"
            ))
            .await;
    }
}
