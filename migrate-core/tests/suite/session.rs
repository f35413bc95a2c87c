//! Suite tests about the session a driver opens: migrations run under the server's own
//! session defaults, as they would in the server's command-line client.

use migrate_core::driver::Driver;
use migrate_core::{Dialect, Fingerprints, Target};

use super::{config, scalar, Connect, Ctx, Tree};
use migrate_core::Migrator;

/// On MySQL/MariaDB, a driver that opened its own connection runs migrations under the
/// server's GLOBAL `sql_mode` and `time_zone` (sqlx adds `PIPES_AS_CONCAT` and
/// `IGNORE_SPACE` and sets `+00:00` by default), so `1 || 0` means what the server says it
/// means and `count` is a table name like any other.
pub async fn mysql_migrations_run_under_the_servers_session_defaults<C: Connect>(ctx: &Ctx<C>) {
    let mut d = ctx.driver().await;
    assert_eq!(
        d.dialect(),
        Dialect::MySql,
        "generated for MySQL/MariaDB only"
    );
    let global = scalar(&mut d, "SELECT @@GLOBAL.sql_mode").await;
    assert_eq!(scalar(&mut d, "SELECT @@SESSION.sql_mode").await, global);
    assert_eq!(
        scalar(&mut d, "SELECT @@SESSION.time_zone").await,
        scalar(&mut d, "SELECT @@GLOBAL.time_zone").await
    );
    // sqlx would have chosen utf8mb4_unicode_ci; the server's collation wins where its
    // character set is the one the client talks in.
    if scalar(&mut d, "SELECT @@GLOBAL.character_set_connection")
        .await
        .as_deref()
        == Some("utf8mb4")
    {
        assert_eq!(
            scalar(&mut d, "SELECT @@SESSION.collation_connection").await,
            scalar(&mut d, "SELECT @@GLOBAL.collation_connection").await
        );
    }
    let tree = Tree::new(&[
        (
            "V1__pipes/up.sql",
            "CREATE TABLE pipes (v VARCHAR(10));\nINSERT INTO pipes (v) SELECT 1 || 0;\n\
             CREATE TABLE count (id INTEGER);\n",
        ),
        (
            "V1__pipes/down.sql",
            "DROP TABLE count;\nDROP TABLE pipes;\n",
        ),
    ]);
    let set = tree.set();
    let m = Migrator::with_config(&set, config().fingerprints(Fingerprints::Off));
    m.up(&mut d, Target::Latest).await.expect("up");
    // Without PIPES_AS_CONCAT `||` is a logical OR; with it, string concatenation.
    let pipes_concat = global.unwrap_or_default().contains("PIPES_AS_CONCAT");
    let expected = if pipes_concat { "10" } else { "1" };
    assert_eq!(
        scalar(&mut d, "SELECT v FROM pipes").await.as_deref(),
        Some(expected)
    );
}
