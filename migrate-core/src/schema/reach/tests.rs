use super::*;

fn tables(names: &[&str], drop: bool) -> Reach {
    Reach::Tables {
        names: names
            .iter()
            .map(|n| Name {
                text: n.to_string(),
                quoted: false,
            })
            .collect(),
        drop,
    }
}

fn quoted(name: &str) -> Reach {
    Reach::Tables {
        names: vec![Name {
            text: name.to_owned(),
            quoted: true,
        }],
        drop: false,
    }
}

#[test]
fn create_or_replace_drops_the_table_it_replaces() {
    assert_eq!(
        reach("CREATE OR REPLACE TABLE t (id INT)", Dialect::MySql),
        tables(&["t"], true)
    );
    assert_eq!(
        reach("CREATE TABLE IF NOT EXISTS t (id INT)", Dialect::MySql),
        tables(&["t"], false)
    );
}

#[test]
fn table_statements_reach_the_tables_they_name() {
    for dialect in [Dialect::MySql, Dialect::Postgres, Dialect::Sqlite] {
        let cases = [
                ("CREATE TABLE orders (id INT PRIMARY KEY)", tables(&["orders"], false)),
                (
                    "create table if not exists Orders (id int references customers (id) on delete cascade)",
                    tables(&["Orders"], false),
                ),
                ("CREATE TEMPORARY TABLE scratch (id INT)", tables(&["scratch"], false)),
                (
                    "ALTER TABLE orders ADD COLUMN note VARCHAR(64) NULL DEFAULT 'a;b -- c'",
                    tables(&["orders"], false),
                ),
                (
                    "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES customers (id) ON UPDATE CASCADE",
                    tables(&["orders"], false),
                ),
                ("ALTER TABLE orders DROP COLUMN note", tables(&["orders"], false)),
                ("CREATE INDEX ix_name ON orders (name)", tables(&["orders"], false)),
                (
                    "CREATE UNIQUE INDEX ux ON lookup (label, (lower(label)))",
                    tables(&["lookup"], false),
                ),
                ("DROP TABLE orders", tables(&["orders"], true)),
                ("DROP TABLE IF EXISTS a, b", tables(&["a", "b"], true)),
                ("/* lead */ -- line\nDROP TABLE a", tables(&["a"], true)),
                // The lexer's rules: `--` before DEL is a comment on MySQL too.
                ("DROP TABLE a --\x7f note", tables(&["a"], true)),
            ];
        for (sql, expected) in cases {
            assert_eq!(reach(sql, dialect), expected, "{dialect:?}: {sql}");
        }
    }
}

#[test]
fn anything_not_understood_reaches_anything() {
    for dialect in [Dialect::MySql, Dialect::Postgres, Dialect::Sqlite] {
        for sql in [
            "ALTER TABLE orders RENAME TO purchases",
            "ALTER TABLE orders RENAME COLUMN a TO b",
            "ALTER TABLE orders DROP COLUMN a CASCADE",
            "ALTER TABLE app.orders ADD COLUMN a INT",
            "ALTER TABLE orders ATTACH PARTITION p FOR VALUES IN (1)",
            "DROP TABLE orders CASCADE",
            "DROP TABLE other.orders",
            "CREATE VIEW v AS SELECT 1",
            "CREATE TRIGGER t AFTER INSERT ON orders FOR EACH ROW SELECT 1",
            "CREATE FUNCTION f() RETURNS INT RETURN 1",
            "CREATE SEQUENCE s",
            "DROP VIEW v",
            "RENAME TABLE a TO b",
            "COMMENT ON TABLE a IS 'x'",
            "SET search_path = other",
            "CREATE INDEX ix ON",
            "CREATE TABLE",
        ] {
            assert_eq!(reach(sql, dialect), Reach::Anything, "{dialect:?}: {sql}");
        }
    }
    for (sql, dialect) in [
            (
                "ALTER TABLE sales CONVERT PARTITION p1 TO TABLE s1",
                Dialect::MySql,
            ),
            (
                "ALTER TABLE U&\"Orders\" ADD COLUMN x INT",
                Dialect::Postgres,
            ),
            (
                "CREATE TABLE a (id INT); CREATE VIEW v AS SELECT 1",
                Dialect::MySql,
            ),
            (
                "DELETE FROM pg_enum WHERE enumlabel = 'x'",
                Dialect::Postgres,
            ),
            (
                "CREATE TABLE customer_notification_preferences_by_channel_and_region_version_2 (id INT)",
                Dialect::Postgres,
            ),
        ] {
            assert_eq!(reach(sql, dialect), Reach::Anything, "{dialect:?}: {sql}");
        }
}

#[test]
fn alter_table_is_followed_unless_an_action_leaves_the_table() {
    assert_eq!(
        reach("ALTER TABLE only ADD COLUMN x INT", Dialect::Sqlite),
        tables(&["only"], false)
    );
    assert_eq!(
        reach(
            "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4",
            Dialect::MySql
        ),
        tables(&["t"], false)
    );
    // MySQL's CHANGE renames a column that other tables' foreign keys may reference.
    assert_eq!(
        reach("ALTER TABLE orders CHANGE a b INT", Dialect::MySql),
        Reach::Anything
    );
}

#[test]
fn executable_comments_are_read_and_dollar_quotes_are_not() {
    // An executable comment is read as the server reads it.
    assert_eq!(
        reach("/*!50001 CREATE TABLE a (id INT) */", Dialect::MySql),
        tables(&["a"], false)
    );
    assert_eq!(
        reach("/*!50001 DROP TABLE a */", Dialect::MySql),
        Reach::Anything,
        "the closing */ is not a name"
    );
    assert_eq!(
        reach("CREATE TABLE a (id INT DEFAULT $$x$$)", Dialect::Postgres),
        Reach::Anything
    );
}

#[test]
fn keywords_inside_strings_are_not_read() {
    assert_eq!(
        reach(
            "ALTER TABLE a ADD COLUMN b TEXT DEFAULT 'RENAME'",
            Dialect::Postgres
        ),
        tables(&["a"], false)
    );
    assert_eq!(
        reach(
            r"ALTER TABLE a ADD COLUMN b TEXT DEFAULT 'it\'s RENAME'",
            Dialect::MySql
        ),
        tables(&["a"], false)
    );
    // On PostgreSQL a backslash ends nothing in a standard string, but escapes in E'…'.
    assert_eq!(
        reach(
            r"ALTER TABLE a ADD COLUMN b TEXT DEFAULT 'x\' RENAME TO c",
            Dialect::Postgres
        ),
        Reach::Anything
    );
    assert_eq!(
        reach(
            r"ALTER TABLE a ADD COLUMN b TEXT DEFAULT E'x\' RENAME'",
            Dialect::Postgres
        ),
        tables(&["a"], false)
    );
}

#[test]
fn quoted_names_keep_their_case() {
    assert_eq!(
        reach("ALTER TABLE \"Orders\" ADD COLUMN a INT", Dialect::Postgres),
        quoted("Orders")
    );
    assert_eq!(
        reach("CREATE INDEX ix ON `Order Lines` (a)", Dialect::MySql),
        quoted("Order Lines")
    );
    assert_eq!(
        reach("DROP TABLE [odd ]]name]", Dialect::Sqlite),
        Reach::Anything,
        "SQLite brackets have no escape: the name ends at the first ]"
    );
    assert_eq!(
        reach("CREATE TABLE [a b] (id INT)", Dialect::Sqlite),
        quoted("a b")
    );
    let name = Name {
        text: "Orders".to_owned(),
        quoted: false,
    };
    assert_eq!(name.stored(Dialect::Postgres), ["orders"]);
    assert_eq!(name.stored(Dialect::MySql), ["Orders", "orders"]);
    let quoted = Name {
        quoted: true,
        ..name
    };
    assert_eq!(quoted.stored(Dialect::Postgres), ["Orders"]);
}

#[test]
fn data_statements_cannot_change_the_schema_outside_postgres() {
    use Dialect::{MySql, Postgres, Sqlite};
    for dialect in [MySql, Sqlite] {
        for keeps in [
            "INSERT INTO t (a) VALUES ('x;y')",
            "  -- a comment first\nupdate t SET a = 1",
            "/* leading */ DELETE FROM t WHERE a = 2",
            "REPLACE INTO t (a) VALUES (1)",
        ] {
            assert_eq!(
                reach(keeps, dialect),
                Reach::Nothing,
                "{dialect:?}: {keeps}"
            );
            assert_ne!(reach(keeps, Postgres), Reach::Nothing, "{keeps}");
        }
        for may_change in [
            "CREATE TABLE t (a INT)",
            "ALTER TABLE t ADD COLUMN b INT",
            "CALL refresh()",
            "SET @a = 1",
            "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x",
            "SELECT make_tables()",
            "INSERT INTO mysql.proc VALUES (1)",
            "UPDATE `MySQL`.`proc` SET body = ''",
            "INSERT INTO sqlite_master VALUES ('table', 't', 't', 0, '')",
            "INSERT INTO t (a) VALUES ('mentions mysql')",
            "",
        ] {
            assert_ne!(
                reach(may_change, dialect),
                Reach::Nothing,
                "{dialect:?}: {may_change}"
            );
        }
    }
    // An executable comment is judged by its content.
    assert_eq!(
        reach("/*!50001 INSERT INTO t VALUES (1) */", MySql),
        Reach::Nothing
    );
    assert_ne!(
        reach("/*!50001 CREATE TABLE t (a INT) */", MySql),
        Reach::Nothing
    );
    // Several statements behind one (a script with its own DELIMITER) are not data alone.
    assert_eq!(
        reach("INSERT INTO t VALUES (1); DROP VIEW v", MySql),
        Reach::Anything
    );
}

#[test]
fn indexes_and_data() {
    assert_eq!(
        reach("DROP INDEX ix ON orders", Dialect::MySql),
        tables(&["orders"], false)
    );
    assert_eq!(
        reach(
            "DROP INDEX CONCURRENTLY IF EXISTS ix, iy",
            Dialect::Postgres
        ),
        Reach::Indexes(vec![
            Name {
                text: "ix".to_owned(),
                quoted: false
            },
            Name {
                text: "iy".to_owned(),
                quoted: false
            }
        ])
    );
    assert_eq!(
        reach("DROP INDEX ix CASCADE", Dialect::Postgres),
        Reach::Anything
    );
    assert_eq!(
        reach("INSERT INTO a VALUES (1)", Dialect::Postgres),
        Reach::Functions
    );
    assert_eq!(
        reach(
            "SELECT set_config('search_path', 'x', false)",
            Dialect::Postgres
        ),
        Reach::Anything
    );
    assert_eq!(
        reach(
            "UPDATE a SET b = set_config('search_path', 'x', false)",
            Dialect::Postgres
        ),
        Reach::Anything
    );
    assert_eq!(
        reach("INSERT INTO a VALUES (1)", Dialect::MySql),
        Reach::Nothing
    );
    assert_eq!(reach("TRUNCATE TABLE a", Dialect::MySql), Reach::Nothing);
    assert_eq!(reach("TRUNCATE a", Dialect::Postgres), Reach::Functions);
    assert_eq!(reach("DELETE FROM a", Dialect::Sqlite), Reach::Nothing);
}
