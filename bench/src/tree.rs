//! The generated migration history: N versions of realistic schema changes with exact down
//! scripts, written once per dialect in the layouts each runner reads.
//!
//! Every version has 3–6 statements: new tables (with a foreign key), added columns with their
//! indexes, seed and data rows, lookup tables with unique indexes. String literals and comments
//! contain `;`, quotes and comment markers, so a runner that splits naively fails. Every version
//! also appends one row to `bench_audit`, which has no key: applying a version twice leaves two
//! rows, which is how the concurrent scenario checks "exactly once" without trusting any
//! runner's own history table.
//!
//! The SQL is the same in every dialect except `DROP INDEX` (MySQL names the table). Generation
//! is deterministic for a seed.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use migrate_core::Dialect;

/// One generated version.
#[derive(Debug, Clone)]
pub(crate) struct GenVersion {
    /// The version number, from 1.
    pub(crate) number: u32,
    /// A description made of `[a-z0-9_]` (valid for every runner's file naming).
    pub(crate) description: String,
    /// The up script.
    pub(crate) up: String,
    /// The down script, which restores exactly the state before `up`.
    pub(crate) down: String,
}

/// A table created by an earlier version that later versions alter or fill.
struct Entity {
    name: String,
    /// Ids of the rows inserted so far (data versions update one of them).
    ids: Vec<u32>,
}

/// A small deterministic generator (xorshift64*), so that every run and every runner sees the
/// same history for a seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const WORDS: [&str; 12] = [
    "orders",
    "invoices",
    "shipments",
    "tickets",
    "devices",
    "sessions",
    "payments",
    "reviews",
    "coupons",
    "carts",
    "teams",
    "projects",
];

/// `DROP INDEX` in `dialect`.
fn drop_index(dialect: Dialect, index: &str, table: &str) -> String {
    match dialect {
        Dialect::MySql => format!("DROP INDEX {index} ON {table};"),
        Dialect::Postgres | Dialect::Sqlite => format!("DROP INDEX {index};"),
    }
}

fn audit(number: u32, note: &str) -> String {
    format!("INSERT INTO bench_audit (version, note) VALUES ({number}, '{note}');")
}

/// Generates `count` versions for `dialect`.
pub(crate) fn generate(count: u32, dialect: Dialect, seed: u64) -> Vec<GenVersion> {
    let mut rng = Rng::new(seed);
    let mut entities: Vec<Entity> = Vec::new();
    let mut versions = Vec::with_capacity(count as usize);
    for number in 1..=count {
        let version = if number == 1 {
            first_version(&mut entities)
        } else {
            match rng.below(100) {
                0..=34 => new_table(number, &mut rng, &mut entities),
                35..=64 => add_column(number, dialect, &mut rng, &entities),
                65..=84 => data_rows(number, &mut rng, &mut entities),
                _ => lookup_table(number, &mut rng),
            }
        };
        versions.push(version);
    }
    versions
}

fn first_version(entities: &mut Vec<Entity>) -> GenVersion {
    let up = "\
-- V1: the audit ledger (one row per applied version; no key, so a double apply shows) and
-- the first entity table. Comments may say anything; this one has a ; and a 'quote'.
CREATE TABLE bench_audit (
    version INTEGER NOT NULL,
    note VARCHAR(200) NOT NULL
);
CREATE TABLE customers (
    id INTEGER NOT NULL PRIMARY KEY,
    name VARCHAR(120) NOT NULL,
    email VARCHAR(200) NULL,
    created_at TIMESTAMP NULL DEFAULT NULL
);
INSERT INTO customers (id, name, email) VALUES
    (1, 'O''Brien; Mary', 'mary@example.com'),
    (2, 'Smith \"Jr\"', NULL);
INSERT INTO bench_audit (version, note) VALUES (1, 'ledger; customers ''seeded''');
"
    .to_owned();
    let down = "\
DROP TABLE customers;
DROP TABLE bench_audit;
"
    .to_owned();
    entities.push(Entity {
        name: "customers".to_owned(),
        ids: vec![1, 2],
    });
    GenVersion {
        number: 1,
        description: "audit_and_customers".to_owned(),
        up,
        down,
    }
}

fn new_table(number: u32, rng: &mut Rng, entities: &mut Vec<Entity>) -> GenVersion {
    let word = WORDS[rng.below(WORDS.len() as u64) as usize];
    let table = format!("{word}_{number}");
    let mut up = String::new();
    let _ = writeln!(up, "-- V{number}: {table}; rows keep \"legacy\" names");
    let _ = writeln!(
        up,
        "CREATE TABLE {table} (\n    id INTEGER NOT NULL PRIMARY KEY,\n    customer_id INTEGER NULL,\n    \
         name VARCHAR(120) NOT NULL,\n    amount DECIMAL(12, 2) NOT NULL DEFAULT 0,\n    \
         created_at TIMESTAMP NULL DEFAULT NULL,\n    \
         FOREIGN KEY (customer_id) REFERENCES customers (id)\n);"
    );
    let _ = writeln!(up, "CREATE INDEX ix_{number}_name ON {table} (name);");
    let ids = vec![number * 100 + 1, number * 100 + 2];
    let _ = writeln!(
        up,
        "INSERT INTO {table} (id, customer_id, name, amount) VALUES\n    ({}, 1, 'first; \"quoted\" row', 12.50),\n    ({}, NULL, 'it''s -- not a comment', 0.99);",
        ids[0], ids[1]
    );
    if rng.chance(50) {
        let _ = writeln!(up, "CREATE INDEX ix_{number}_amount ON {table} (amount);");
    }
    let _ = writeln!(
        up,
        "{}",
        audit(number, &format!("created {table}; it''s new"))
    );
    let down = format!("DELETE FROM bench_audit WHERE version = {number};\nDROP TABLE {table};\n");
    entities.push(Entity { name: table, ids });
    GenVersion {
        number,
        description: format!("create_{word}"),
        up,
        down,
    }
}

fn add_column(number: u32, dialect: Dialect, rng: &mut Rng, entities: &[Entity]) -> GenVersion {
    let entity = &entities[rng.below(entities.len() as u64) as usize];
    let table = &entity.name;
    let column = format!("tag_{number}");
    let index = format!("ix_{number}_tag");
    let id = entity.ids[rng.below(entity.ids.len() as u64) as usize];
    let mut up = String::new();
    let _ = writeln!(
        up,
        "ALTER TABLE {table} ADD COLUMN {column} VARCHAR(64) NULL;"
    );
    let _ = writeln!(
        up,
        "UPDATE {table} SET {column} = 'tag;{number} ''x''' WHERE id = {id};"
    );
    let _ = writeln!(up, "CREATE INDEX {index} ON {table} ({column});");
    let mut down = format!("DELETE FROM bench_audit WHERE version = {number};\n");
    if rng.chance(40) {
        let extra = format!("score_{number}");
        let _ = writeln!(
            up,
            "ALTER TABLE {table} ADD COLUMN {extra} INTEGER NOT NULL DEFAULT 0;"
        );
        let _ = writeln!(down, "ALTER TABLE {table} DROP COLUMN {extra};");
    }
    let _ = writeln!(
        up,
        "{}",
        audit(number, &format!("{table}.{column}; \"tagged\""))
    );
    let _ = writeln!(down, "{}", drop_index(dialect, &index, table));
    let _ = writeln!(down, "ALTER TABLE {table} DROP COLUMN {column};");
    GenVersion {
        number,
        description: format!("add_{column}"),
        up,
        down,
    }
}

fn data_rows(number: u32, rng: &mut Rng, entities: &mut [Entity]) -> GenVersion {
    let pick = rng.below(entities.len() as u64) as usize;
    let entity = &mut entities[pick];
    let table = entity.name.clone();
    let ids = [number * 100 + 1, number * 100 + 2, number * 100 + 3];
    let mut up = String::new();
    let mut down = format!("DELETE FROM bench_audit WHERE version = {number};\n");
    if table == "customers" {
        let _ = writeln!(
            up,
            "INSERT INTO customers (id, name, email) VALUES\n    ({}, 'Batch {number}; \"A\"', 'a{number}@example.com'),\n    ({}, 'D''Arcy /* not a comment */', NULL),\n    ({}, 'semi;colon;s', 'c{number}@example.com');",
            ids[0], ids[1], ids[2]
        );
        let _ = writeln!(
            up,
            "UPDATE customers SET email = 'x;y@example.com' WHERE id = {};",
            ids[1]
        );
    } else {
        let _ = writeln!(
            up,
            "INSERT INTO {table} (id, customer_id, name, amount) VALUES\n    ({}, 1, 'batch {number}; row \"1\"', 10.25),\n    ({}, 2, 'it''s row 2; ok', 3.00),\n    ({}, NULL, 'row 3 -- trailing', 7.75);",
            ids[0], ids[1], ids[2]
        );
        let _ = writeln!(
            up,
            "UPDATE {table} SET amount = amount + 1 WHERE id = {};",
            ids[0]
        );
    }
    if rng.chance(50) {
        let _ = writeln!(
            up,
            "DELETE FROM {table} WHERE id = {} AND 'a;b' = 'a;b';",
            ids[2]
        );
    }
    let _ = writeln!(
        up,
        "{}",
        audit(number, &format!("rows for {table}; ''batch''"))
    );
    let _ = writeln!(
        down,
        "DELETE FROM {table} WHERE id IN ({}, {}, {});",
        ids[0], ids[1], ids[2]
    );
    entity.ids.extend_from_slice(&ids[..2]);
    GenVersion {
        number,
        description: format!("rows_{table}"),
        up,
        down,
    }
}

fn lookup_table(number: u32, rng: &mut Rng) -> GenVersion {
    let table = format!("lookup_{number}");
    let mut up = String::new();
    let _ = writeln!(
        up,
        "CREATE TABLE {table} (\n    code VARCHAR(32) NOT NULL PRIMARY KEY,\n    label VARCHAR(200) NOT NULL,\n    sort_order INTEGER NOT NULL DEFAULT 0\n);"
    );
    let _ = writeln!(
        up,
        "INSERT INTO {table} (code, label, sort_order) VALUES\n    ('a;1', 'Alpha; \"first\"', 1),\n    ('b''2', 'Beta -- not a comment', 2),\n    ('c3', 'Gamma /* still text */ ;', 3);"
    );
    let _ = writeln!(
        up,
        "CREATE UNIQUE INDEX ux_{number}_label ON {table} (label);"
    );
    if rng.chance(30) {
        let _ = writeln!(
            up,
            "UPDATE {table} SET sort_order = sort_order * 10 WHERE code <> 'a;1';"
        );
    }
    let _ = writeln!(
        up,
        "{}",
        audit(number, &format!("lookup {table}; 3 ''codes''"))
    );
    let down = format!("DELETE FROM bench_audit WHERE version = {number};\nDROP TABLE {table};\n");
    GenVersion {
        number,
        description: format!("lookup_{number}"),
        up,
        down,
    }
}

/// Where one dialect's history was written.
#[derive(Debug, Clone)]
pub(crate) struct TreeDirs {
    /// migrate's layout: `V{n}__{description}/up.sql`, `down.sql`.
    pub(crate) migrate: PathBuf,
    /// sqlx's layout: `{n}_{description}.up.sql`, `.down.sql`.
    pub(crate) sqlx: PathBuf,
}

impl TreeDirs {
    /// The folders under `root` for `dialect`.
    pub(crate) fn under(root: &Path, dialect: Dialect) -> TreeDirs {
        let name = dialect_name(dialect);
        TreeDirs {
            migrate: root.join(name).join("migrate"),
            sqlx: root.join(name).join("sqlx"),
        }
    }

    /// Writes `versions` in both layouts, replacing what was there.
    pub(crate) fn write(&self, versions: &[GenVersion]) -> anyhow::Result<()> {
        for dir in [&self.migrate, &self.sqlx] {
            if dir.exists() {
                fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
            }
            fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        for v in versions {
            write_migrate_version(&self.migrate, v)?;
            let stem = self
                .sqlx
                .join(format!("{}_{}", v.number, v.description))
                .display()
                .to_string();
            write(Path::new(&format!("{stem}.up.sql")), &v.up)?;
            write(Path::new(&format!("{stem}.down.sql")), &v.down)?;
        }
        Ok(())
    }
}

/// Writes the history of `count` versions for `seed` in migrate's layout, one folder per
/// dialect under `root` (`mysql`, `postgres`, `sqlite`), replacing those folders.
pub(crate) fn write_dialect_trees(root: &Path, count: u32, seed: u64) -> anyhow::Result<()> {
    for dialect in [Dialect::MySql, Dialect::Postgres, Dialect::Sqlite] {
        let dir = root.join(dialect_name(dialect));
        if dir.exists() {
            fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
        }
        for v in generate(count, dialect, seed) {
            write_migrate_version(&dir, &v)?;
        }
    }
    Ok(())
}

/// Writes one version in migrate's layout under `root`.
pub(crate) fn write_migrate_version(root: &Path, v: &GenVersion) -> anyhow::Result<()> {
    let folder = root.join(format!("V{}__{}", v.number, v.description));
    fs::create_dir_all(&folder).with_context(|| format!("creating {}", folder.display()))?;
    write(&folder.join("up.sql"), &v.up)?;
    write(&folder.join("down.sql"), &v.down)
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// The display name of a backend.
pub(crate) fn backend_name(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::MySql => "MariaDB",
        Dialect::Postgres => "PostgreSQL",
        Dialect::Sqlite => "SQLite",
    }
}

/// The lowercase name of a dialect, as used in folder names and the report.
pub(crate) fn dialect_name(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::MySql => "mysql",
        Dialect::Postgres => "postgres",
        Dialect::Sqlite => "sqlite",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use migrate_core::split;

    const DIALECTS: [Dialect; 3] = [Dialect::MySql, Dialect::Postgres, Dialect::Sqlite];

    #[test]
    fn every_version_has_three_to_six_statements_each_way_in_every_dialect() {
        for dialect in DIALECTS {
            for v in generate(300, dialect, 7) {
                let up = split::split(&v.up, dialect).expect("up splits");
                let down = split::split(&v.down, dialect).expect("down splits");
                assert!(
                    (3..=6).contains(&up.len()),
                    "V{} up has {} statements",
                    v.number,
                    up.len()
                );
                assert!(!down.is_empty() && down.len() <= 6, "V{} down", v.number);
            }
        }
    }

    #[test]
    fn literals_keep_their_semicolons_when_split() {
        let versions = generate(50, Dialect::Postgres, 7);
        let statements = split::split(&versions[0].up, Dialect::Postgres).expect("splits");
        assert!(statements
            .iter()
            .any(|s| s.sql.contains("'O''Brien; Mary'")));
    }

    #[test]
    fn generation_is_deterministic_per_seed() {
        let a = generate(40, Dialect::MySql, 3);
        let b = generate(40, Dialect::MySql, 3);
        let c = generate(40, Dialect::MySql, 4);
        assert!(a
            .iter()
            .zip(&b)
            .all(|(x, y)| x.up == y.up && x.down == y.down));
        assert!(a.iter().zip(&c).any(|(x, y)| x.up != y.up));
    }

    #[test]
    fn written_tree_loads_with_the_runtime_loader() {
        let dir = tempfile::tempdir().expect("temp dir");
        let dirs = TreeDirs::under(dir.path(), Dialect::Sqlite);
        let versions = generate(12, Dialect::Sqlite, 1);
        dirs.write(&versions).expect("writes");
        let set = migrate_core::source::load_dir(&dirs.migrate, &[Dialect::Sqlite]).expect("loads");
        assert_eq!(set.migrations().len(), 12);
        let sqlx_files = fs::read_dir(&dirs.sqlx).expect("sqlx dir").count();
        assert_eq!(sqlx_files, 24);
    }

    #[test]
    fn dialect_trees_load_each_for_its_dialect() {
        let dir = tempfile::tempdir().expect("temp dir");
        write_dialect_trees(dir.path(), 9, 1).expect("writes");
        for dialect in DIALECTS {
            let folder = dir.path().join(dialect_name(dialect));
            let set = migrate_core::source::load_dir(&folder, &[dialect]).expect("loads");
            assert_eq!(set.migrations().len(), 9, "{}", folder.display());
        }
    }
}
