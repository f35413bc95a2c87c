//! Each down script restores exactly the schema before its up script: a dump of the live
//! schema (columns with type, nullability and default; indexes; foreign keys; history tables
//! excluded) is taken at every step of empty → V1 → V2 → V1 → empty, on every backend.

use migrate_core::driver::{AnyDriver, Driver};
use migrate_core::testing::{Backend, TestDatabase};
use migrate_core::{Dialect, Migrator, Target, Version};

async fn dump(d: &mut AnyDriver) -> Vec<String> {
    let queries: &[&str] = match d.dialect() {
        Dialect::MySql => &[
            "SELECT CAST(CONCAT_WS('|', 'column', TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE, IFNULL(COLUMN_DEFAULT, '<none>'), EXTRA) AS CHAR) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE 'schema\\_history%'",
            "SELECT CAST(CONCAT_WS('|', 'index', TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE) AS CHAR) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE 'schema\\_history%'",
            "SELECT CAST(CONCAT_WS('|', 'fk', TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME) AS CHAR) FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL",
        ],
        Dialect::Postgres => &[
            "SELECT concat_ws('|', 'column', table_name, column_name, ordinal_position, data_type, character_maximum_length, is_nullable, coalesce(column_default, '<none>'), is_identity) FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE 'schema\\_history%'",
            "SELECT 'index|' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT LIKE 'schema\\_history%'",
            "SELECT 'constraint|' || conrelid::regclass::text || '|' || conname || '|' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text NOT LIKE 'schema\\_history%'",
        ],
        Dialect::Sqlite => &[
            "SELECT 'column|' || m.name || '|' || p.cid || '|' || p.name || '|' || p.type || '|' || p.\"notnull\" || '|' || IFNULL(p.dflt_value, '<none>') || '|' || p.pk FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'schema_history%' AND m.name NOT LIKE 'sqlite_%'",
            "SELECT 'index|' || name || '|' || tbl_name || '|' || IFNULL(sql, '<auto>') FROM sqlite_master WHERE type = 'index' AND tbl_name NOT LIKE 'schema_history%'",
            "SELECT 'fk|' || m.name || '|' || f.\"from\" || '|' || f.\"table\" || '|' || f.\"to\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table'",
        ],
    };
    let mut lines = Vec::new();
    for query in queries {
        for row in d.query(query).await.expect(query) {
            lines.extend(row.into_iter().flatten());
        }
    }
    lines.sort();
    lines
}

async fn down_scripts_restore_the_schema(backend: Backend) {
    let Some(test_db) = TestDatabase::create(backend).await.expect("test database") else {
        return;
    };
    let m = Migrator::new(&db::MIGRATIONS);
    let mut d = AnyDriver::connect(test_db.url()).await.expect("connect");
    let empty = dump(&mut d).await;
    assert!(empty.is_empty(), "{empty:?}");
    let v1 = Version::FIRST;
    m.up(&mut d, Target::Version(v1)).await.expect("up to V1");
    let at_v1 = dump(&mut d).await;
    assert!(
        at_v1
            .iter()
            .any(|l| l.contains("apps") && l.contains("deleted_at")),
        "{at_v1:#?}"
    );
    m.up(&mut d, Target::Latest).await.expect("up to V2");
    let at_v2 = dump(&mut d).await;
    assert!(at_v2.iter().any(|l| l.contains("app_type")), "{at_v2:#?}");
    assert!(
        at_v2.iter().any(|l| l.contains("features_app_id_idx")),
        "FK index: {at_v2:#?}"
    );
    assert!(
        at_v2.iter().any(|l| l.contains("features")
            && l.to_lowercase().contains("apps")
            && l.contains("fk")
            || l.contains("FOREIGN KEY")),
        "FK: {at_v2:#?}"
    );
    m.down(&mut d, Target::Version(v1))
        .await
        .expect("down to V1");
    assert_eq!(
        dump(&mut d).await,
        at_v1,
        "V2's down script must restore V1 exactly"
    );
    m.down(&mut d, Target::Empty).await.expect("down to empty");
    assert_eq!(
        dump(&mut d).await,
        empty,
        "V1's down script must restore the empty schema"
    );
    drop(d);
    test_db.drop_database().await;
}

#[tokio::test]
async fn down_scripts_restore_the_schema_on_sqlite() {
    down_scripts_restore_the_schema(Backend::Sqlite).await;
}

#[tokio::test]
async fn down_scripts_restore_the_schema_on_mariadb() {
    down_scripts_restore_the_schema(Backend::MySql).await;
}

#[tokio::test]
async fn down_scripts_restore_the_schema_on_postgres() {
    down_scripts_restore_the_schema(Backend::Postgres).await;
}
