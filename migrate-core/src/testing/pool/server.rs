//! Pools on PostgreSQL and MySQL/MariaDB servers: claiming a ready copy, topping a pool up,
//! dropping every copy.

use std::time::{Duration, Instant};

use super::copies::{created_secs, rotated, Pool, PREFIX};
use crate::driver::DriverError;
use crate::testing::admin::Admin;
use crate::testing::template::create as create_database;
use crate::Dialect;

/// The MySQL/MariaDB database holding the table of copies.
const REGISTRY: &str = "migrate_pool";

/// The `MEMORY` table of MySQL/MariaDB copies: `building` while its builder holds the named
/// lock of the copy's name, then `ready`; claiming deletes the row. `MEMORY`: a claim writes
/// no log and syncs nothing (an InnoDB row costs a log flush, more than creating a database).
const TABLE: &str = "CREATE TABLE IF NOT EXISTS migrate_pool.copies (\
    name VARCHAR(64) NOT NULL PRIMARY KEY, \
    template VARCHAR(64) NOT NULL, \
    state VARCHAR(8) NOT NULL) ENGINE=MEMORY";

/// Claims a ready copy of `pool` on `admin`'s server: its name for the test (PostgreSQL:
/// `name`, which it was renamed to; MySQL/MariaDB: the copy's own name).
pub(super) async fn claim(
    admin: &mut Admin,
    pool: &Pool,
    name: &str,
) -> Result<Option<String>, DriverError> {
    match admin {
        Admin::Postgres(_) => {
            for copy in rotated(ready_postgres(admin, pool).await?) {
                // Fails when another claimer renamed it first.
                let rename = format!("ALTER DATABASE {copy} RENAME TO {name}");
                if admin.execute(&rename).await.is_ok() {
                    return Ok(Some(name.to_owned()));
                }
            }
            Ok(None)
        }
        Admin::MySql(_) => {
            let template = Dialect::MySql.string_literal(&pool.template);
            let list = format!(
                "SELECT name FROM {REGISTRY}.copies WHERE template = {template} AND state = 'ready'"
            );
            // No table yet: no copy yet.
            let Ok(names) = admin.column(&list).await else {
                return Ok(None);
            };
            for copy in rotated(names).into_iter().filter(|n| pool.claimable(n)) {
                let literal = Dialect::MySql.string_literal(&copy);
                admin
                    .execute(&format!(
                        "DELETE FROM {REGISTRY}.copies WHERE name = {literal} AND state = 'ready'"
                    ))
                    .await?;
                let count = admin.column("SELECT CAST(ROW_COUNT() AS CHAR)").await?;
                if count.first().map(String::as_str) == Some("1") {
                    return Ok(Some(copy));
                }
            }
            Ok(None)
        }
    }
}

/// The ready copies of `pool` on a PostgreSQL server: every database of its name is complete,
/// since `CREATE DATABASE` commits its catalog row last.
async fn ready_postgres(admin: &mut Admin, pool: &Pool) -> Result<Vec<String>, DriverError> {
    let list = crate::scratch_name::list_sql(Dialect::Postgres, &pool.stem());
    let names = admin.column(&list).await?;
    Ok(names.into_iter().filter(|n| pool.claimable(n)).collect())
}

/// Makes copies of `pool`'s template on the server at `server` until it holds `size`, ready
/// or being made by anyone; returns how long each copy took.
pub(super) async fn top_up(
    admin: &mut Admin,
    server: &str,
    pool: &Pool,
    size: usize,
) -> Result<Vec<Duration>, DriverError> {
    let mut made = Vec::new();
    match admin {
        Admin::Postgres(_) => {
            let held = ready_postgres(admin, pool).await?.len();
            for _ in held..size {
                let started = Instant::now();
                create_database(admin, server, &pool.new_name(), Some(&pool.source)).await?;
                made.push(started.elapsed());
            }
        }
        Admin::MySql(_) => {
            admin
                .execute_all(&[&format!("CREATE DATABASE IF NOT EXISTS {REGISTRY}"), TABLE])
                .await?;
            drop_orphans(admin, pool).await?;
            let template = Dialect::MySql.string_literal(&pool.template);
            let held = admin
                .column(&format!(
                    "SELECT CAST(COUNT(*) AS CHAR) FROM {REGISTRY}.copies WHERE template = {template}"
                ))
                .await?;
            let held: usize = held.first().and_then(|c| c.parse().ok()).unwrap_or(0);
            for _ in held..size {
                let started = Instant::now();
                copy_mysql(admin, server, pool).await?;
                made.push(started.elapsed());
            }
        }
    }
    Ok(made)
}

/// Makes one MySQL/MariaDB copy: registered as `building` under the named lock of its name,
/// then copied, then `ready`.
async fn copy_mysql(admin: &mut Admin, server: &str, pool: &Pool) -> Result<(), DriverError> {
    let name = pool.new_name();
    let literal = Dialect::MySql.string_literal(&name);
    let template = Dialect::MySql.string_literal(&pool.template);
    // Locked before the row exists: a `building` row whose lock is free is an orphan.
    admin
        .column(&format!("SELECT CAST(GET_LOCK({literal}, 0) AS CHAR)"))
        .await?;
    admin
        .execute(&format!(
            "INSERT INTO {REGISTRY}.copies (name, template, state) VALUES ({literal}, {template}, 'building')"
        ))
        .await?;
    let copied = create_database(admin, server, &name, Some(&pool.source)).await;
    let finished = match copied {
        Ok(()) => {
            admin
                .execute(&format!(
                    "UPDATE {REGISTRY}.copies SET state = 'ready' WHERE name = {literal}"
                ))
                .await
        }
        Err(e) => Err(e),
    };
    admin
        .column(&format!("SELECT CAST(RELEASE_LOCK({literal}) AS CHAR)"))
        .await?;
    if finished.is_err() {
        // A half-made copy: not left to the next refill.
        let _ = admin.drop_database(&name).await;
        let _ = admin
            .execute(&format!(
                "DELETE FROM {REGISTRY}.copies WHERE name = {literal}"
            ))
            .await;
    }
    finished
}

/// Drops the copies of `pool` whose builder died half-way: `building`, their lock free.
async fn drop_orphans(admin: &mut Admin, pool: &Pool) -> Result<(), DriverError> {
    let template = Dialect::MySql.string_literal(&pool.template);
    let orphans = admin
        .column(&format!(
            "SELECT name FROM {REGISTRY}.copies WHERE template = {template} AND state = 'building' AND IS_FREE_LOCK(name) = 1"
        ))
        .await?;
    for name in orphans.into_iter().filter(|n| n.starts_with(PREFIX)) {
        admin.drop_database(&name).await?;
        let literal = Dialect::MySql.string_literal(&name);
        admin
            .execute(&format!(
                "DELETE FROM {REGISTRY}.copies WHERE name = {literal}"
            ))
            .await?;
    }
    Ok(())
}

/// Drops every pooled copy on `admin`'s server (and the MySQL/MariaDB table of copies),
/// whatever its age; returns their names.
pub(crate) async fn drop_all(admin: &mut Admin) -> Result<Vec<String>, DriverError> {
    let list = crate::scratch_name::list_sql(admin.dialect(), PREFIX);
    let mut dropped = Vec::new();
    for name in admin.column(&list).await? {
        if created_secs(&name).is_some() {
            admin.drop_database(&name).await?;
            dropped.push(name);
        }
    }
    if let Admin::MySql(_) = admin {
        admin
            .execute(&format!("DROP DATABASE IF EXISTS {REGISTRY}"))
            .await?;
    }
    Ok(dropped)
}
