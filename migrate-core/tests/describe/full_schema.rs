//! The full schema the describe tests build: a script per backend with every object kind it
//! has, and what its description must say of each object, as table cases checked one by one.

use migrate_core::schema::ObjectKind::{
    self, Column, Constraint, Index, Routine, Sequence, Table, Trigger, Type, View,
};
use migrate_core::testing::Backend;
use Expect::{Described, EndsWith, Has, Is, Lacks};

/// A schema with every object kind the backend has: primary, unique, foreign (ON DELETE
/// CASCADE) and check constraints, a string default holding `'` and `;`, nullable and not-null
/// columns, a multi-column index, a view, a trigger, routines, and on PostgreSQL an enum, a
/// sequence and a domain.
pub(crate) fn full_script(backend: Backend) -> &'static [&'static str] {
    match backend {
        Backend::MySql => MYSQL_SCRIPT,
        Backend::Postgres => POSTGRES_SCRIPT,
        Backend::Sqlite => SQLITE_SCRIPT,
    }
}

const MYSQL_SCRIPT: &[&str] = &[
    "CREATE TABLE apps (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
               name VARCHAR(100) NOT NULL, motto VARCHAR(100) DEFAULT 'it''s; fine',
               note TEXT NULL, CONSTRAINT apps_name UNIQUE (name))",
    "CREATE TABLE orders (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
               app_id INT NOT NULL, qty INT NOT NULL DEFAULT 1,
               label VARCHAR(200) COMMENT 'shown to people',
               CONSTRAINT orders_app FOREIGN KEY (app_id) REFERENCES apps (id) ON DELETE CASCADE,
               CONSTRAINT positive_qty CHECK (qty > 0),
               KEY orders_app_qty (app_id, qty DESC, label(20)))
               COMMENT 'one row per order; it''s all'",
    "CREATE VIEW big_orders AS
               SELECT o.id, a.name FROM orders o JOIN apps a ON a.id = o.app_id WHERE o.qty > 10",
    "CREATE TRIGGER orders_default_label BEFORE INSERT ON orders FOR EACH ROW
             BEGIN
               IF NEW.label IS NULL THEN SET NEW.label = 'none; really'; END IF;
             END",
    "CREATE PROCEDURE add_order(IN p_app INT, IN p_qty INT)
             BEGIN
               INSERT INTO orders (app_id, qty) VALUES (p_app, p_qty);
             END",
    "CREATE FUNCTION order_total(p_app INT) RETURNS INT READS SQL DATA
             BEGIN
               DECLARE total INT;
               SELECT SUM(qty) INTO total FROM orders WHERE app_id = p_app;
               RETURN total;
             END",
];

const POSTGRES_SCRIPT: &[&str] = &[
    "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
    "CREATE DOMAIN quantity AS integer NOT NULL CONSTRAINT quantity_positive CHECK (VALUE > 0)",
    "CREATE SEQUENCE invoice_numbers START 1000 INCREMENT 10",
    "CREATE TABLE apps (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
               name TEXT NOT NULL, motto TEXT DEFAULT 'it''s; fine', note TEXT NULL,
               mood mood NOT NULL DEFAULT 'ok', CONSTRAINT apps_name UNIQUE (name))",
    "CREATE TABLE orders (id BIGSERIAL PRIMARY KEY, app_id BIGINT NOT NULL,
               qty INT NOT NULL DEFAULT 1, label TEXT, stock quantity DEFAULT 1,
               CONSTRAINT orders_app FOREIGN KEY (app_id) REFERENCES apps (id) ON DELETE CASCADE,
               CONSTRAINT positive_qty CHECK (qty > 0))",
    "CREATE INDEX orders_app_qty ON orders (app_id, qty DESC)",
    "COMMENT ON TABLE orders IS 'one row per order; it''s all'",
    "COMMENT ON COLUMN orders.label IS 'shown to people'",
    "CREATE VIEW big_orders AS
               SELECT o.id, a.name FROM orders o JOIN apps a ON a.id = o.app_id WHERE o.qty > 10",
    "CREATE FUNCTION default_label() RETURNS trigger LANGUAGE plpgsql AS $body$
             BEGIN
               NEW.label := coalesce(NEW.label, 'none; really');
               RETURN NEW;
             END
             $body$",
    "CREATE TRIGGER orders_default_label BEFORE INSERT ON orders
               FOR EACH ROW EXECUTE FUNCTION default_label()",
    "CREATE PROCEDURE add_order(p_app BIGINT, p_qty INT) LANGUAGE plpgsql AS $$
             BEGIN
               INSERT INTO orders (app_id, qty) VALUES (p_app, p_qty);
             END
             $$",
    "CREATE FUNCTION order_total(p_app BIGINT) RETURNS BIGINT LANGUAGE sql
               AS $$ SELECT sum(qty) FROM orders WHERE app_id = p_app $$",
];

const SQLITE_SCRIPT: &[&str] = &[
    "CREATE TABLE apps (id INTEGER PRIMARY KEY AUTOINCREMENT,
               name TEXT NOT NULL, motto TEXT DEFAULT 'it''s; fine', note TEXT NULL,
               CONSTRAINT apps_name UNIQUE (name))",
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, app_id INTEGER NOT NULL,
               qty INTEGER NOT NULL DEFAULT 1, label TEXT,
               CONSTRAINT orders_app FOREIGN KEY (app_id) REFERENCES apps (id) ON DELETE CASCADE,
               CONSTRAINT positive_qty CHECK (qty > 0))",
    "CREATE INDEX orders_app_qty ON orders (app_id, qty DESC)",
    "CREATE INDEX orders_big ON orders (qty)
               WHERE qty > 10",
    "CREATE INDEX orders_lower_label ON orders (lower(label), id)",
    "CREATE VIEW big_orders AS
               SELECT o.id, a.name FROM orders o JOIN apps a ON a.id = o.app_id WHERE o.qty > 10",
    "CREATE TRIGGER orders_default_label AFTER INSERT ON orders WHEN NEW.label IS NULL
             BEGIN
               UPDATE orders SET label = 'none; really' WHERE id = NEW.id;
             END",
];

/// What a description must say of one object of the full schema.
pub(crate) enum Expect {
    /// Only that it is there.
    Described,
    /// Its whole definition.
    Is(&'static str),
    /// Parts its definition contains.
    Has(&'static [&'static str]),
    /// The end of its definition.
    EndsWith(&'static str),
    /// A part its definition does not contain.
    Lacks(&'static str),
}

/// One table case: the object `kind name` and what its definition must be.
pub(crate) type Case = (ObjectKind, &'static str, Expect);

/// Every case of `backend`'s full schema: those of all backends, then its own.
pub(crate) fn cases(backend: Backend) -> impl Iterator<Item = &'static Case> {
    let own = match backend {
        Backend::MySql => MYSQL_CASES,
        Backend::Postgres => POSTGRES_CASES,
        Backend::Sqlite => SQLITE_CASES,
    };
    ALL_CASES.iter().chain(own)
}

const ALL_CASES: &[Case] = &[
    (Table, "apps", Described),
    (Table, "orders", Described),
    (Column, "apps.name", Has(&["#2", "NOT NULL"])),
    (Column, "apps.note", Has(&["#4", "NULL"])),
    (Column, "apps.note", Lacks("NOT NULL")),
    (Column, "apps.motto", Has(&["'it''s; fine'"])),
    (Column, "orders.qty", Has(&["NOT NULL", "DEFAULT 1"])),
    (View, "big_orders", Described),
    (Trigger, "orders.orders_default_label", Has(&["INSERT"])),
];

const MYSQL_CASES: &[Case] = &[
    // Comments, where the server keeps them: on the table and the column they were made on,
    // and on no other.
    (
        Table,
        "orders",
        EndsWith("COMMENT='one row per order; it\\'s all'"),
    ),
    (Table, "apps", Lacks("COMMENT")),
    (
        Column,
        "orders.label",
        EndsWith(" COMMENT 'shown to people'"),
    ),
    (Column, "orders.id", Lacks("COMMENT")),
    (Column, "orders.qty", Lacks("COMMENT")),
    (Table, "apps", Has(&["ENGINE=InnoDB", "COLLATE="])),
    (
        Column,
        "apps.id",
        Has(&["#1 int", "NOT NULL", "auto_increment"]),
    ),
    (
        Index,
        "orders.orders_app_qty",
        Has(&["BTREE (app_id, qty DESC, label(20))"]),
    ),
    (Index, "apps.apps_name", Has(&["UNIQUE BTREE (name)"])),
    (Constraint, "orders.PRIMARY", Is("PRIMARY KEY (id)")),
    (Constraint, "apps.apps_name", Is("UNIQUE (name)")),
    (
        Constraint,
        "orders.orders_app",
        Has(&[
            "FOREIGN KEY (app_id) REFERENCES apps (id)",
            "ON DELETE CASCADE",
        ]),
    ),
    (
        Constraint,
        "orders.positive_qty",
        Has(&["CHECK (", "qty", "> 0"]),
    ),
    (
        Trigger,
        "orders.orders_default_label",
        Has(&["BEFORE INSERT ON orders FOR EACH ROW", "none; really"]),
    ),
    (
        Routine,
        "procedure add_order",
        Has(&[
            "PROCEDURE (IN p_app int",
            "IN p_qty int",
            "INSERT INTO orders",
        ]),
    ),
    (
        Routine,
        "function order_total",
        Has(&[
            "FUNCTION (IN p_app int",
            "RETURNS int",
            "READS SQL DATA",
            "RETURN total",
        ]),
    ),
];

const POSTGRES_CASES: &[Case] = &[
    // Comments, as on MariaDB.
    (
        Table,
        "orders",
        EndsWith("LOGGED COMMENT 'one row per order; it''s all'"),
    ),
    (Table, "apps", Lacks("COMMENT")),
    (Column, "orders.label", EndsWith(" COMMENT 'shown to people'")),
    (Column, "orders.id", Lacks("COMMENT")),
    (Column, "orders.qty", Lacks("COMMENT")),
    (Table, "apps", Is("LOGGED")),
    (
        Column,
        "apps.id",
        Has(&["#1 bigint NOT NULL GENERATED ALWAYS AS IDENTITY"]),
    ),
    (Column, "apps.mood", Has(&["mood NOT NULL DEFAULT 'ok'::mood"])),
    (Column, "orders.stock", Has(&["quantity"])),
    (
        Index,
        "orders.orders_app_qty",
        Is("CREATE INDEX orders_app_qty ON orders USING btree (app_id, qty DESC)"),
    ),
    (Index, "orders.orders_pkey", Described),
    (Constraint, "orders.orders_pkey", Is("PRIMARY KEY (id)")),
    (Constraint, "apps.apps_name", Is("UNIQUE (name)")),
    (
        Constraint,
        "orders.orders_app",
        Is("FOREIGN KEY (app_id) REFERENCES apps(id) ON DELETE CASCADE"),
    ),
    (Constraint, "orders.positive_qty", Is("CHECK ((qty > 0))")),
    (
        Trigger,
        "orders.orders_default_label",
        Has(&["CREATE TRIGGER orders_default_label BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION default_label()"]),
    ),
    (
        Routine,
        "default_label()",
        Has(&[
            "CREATE OR REPLACE FUNCTION default_label()",
            "LANGUAGE plpgsql",
            "none; really",
        ]),
    ),
    (
        Routine,
        "add_order(bigint, integer)",
        Has(&[
            "CREATE OR REPLACE PROCEDURE add_order(",
            "INSERT INTO orders",
        ]),
    ),
    (Routine, "order_total(bigint)", Described),
    (
        Sequence,
        "invoice_numbers",
        Is("AS bigint START 1000 INCREMENT 10 MINVALUE 1 MAXVALUE 9223372036854775807 CACHE 1 NO CYCLE"),
    ),
    (Sequence, "orders_id_seq", Has(&["OWNED BY orders.id"])),
    (Type, "mood", Is("ENUM ('sad', 'ok', 'happy')")),
    (
        Type,
        "quantity",
        Is("DOMAIN integer NOT NULL CONSTRAINT quantity_positive CHECK ((VALUE > 0))"),
    ),
];

const SQLITE_CASES: &[Case] = &[
    (Table, "apps", Is("ROWID")),
    (Column, "apps.id", Has(&["#1 INTEGER", "PRIMARY KEY 1"])),
    (Index, "orders.orders_app_qty", Is("INDEX (app_id, qty DESC)")),
    // A partial index and an expression index carry their text, on one line.
    (
        Index,
        "orders.orders_big",
        Is("INDEX (qty): CREATE INDEX orders_big ON orders (qty) WHERE qty > 10"),
    ),
    (
        Index,
        "orders.orders_lower_label",
        Is("INDEX (<expression>, id): \
            CREATE INDEX orders_lower_label ON orders (lower(label), id)"),
    ),
    (
        Index,
        "apps.sqlite_autoindex_apps_1",
        Is("UNIQUE INDEX (name) FOR UNIQUE"),
    ),
    (
        Constraint,
        "orders.fk(app_id)",
        Is("FOREIGN KEY (app_id) REFERENCES apps (id) ON UPDATE NO ACTION ON DELETE CASCADE"),
    ),
    (
        View,
        "big_orders",
        Is("CREATE VIEW big_orders AS SELECT o.id, a.name FROM orders o JOIN apps a ON a.id = o.app_id WHERE o.qty > 10"),
    ),
    (
        Trigger,
        "orders.orders_default_label",
        Is("CREATE TRIGGER orders_default_label AFTER INSERT ON orders WHEN NEW.label IS NULL BEGIN UPDATE orders SET label = 'none; really' WHERE id = NEW.id; END"),
    ),
];
