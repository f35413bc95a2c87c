//! An older binary on a newer database: a release that embeds versions 1 and 2 starts on a
//! database a newer release took to version 3. Refused by default; under
//! `UnknownVersions::Ignore` it starts and touches nothing at or after version 3.

use migrate_core::status::{ChecksumState, VersionState};
use migrate_core::UnknownVersions;

use super::*;

/// What a command must leave as it found: the history rows, the log and the user tables.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    history: Vec<AppliedMigration>,
    log: usize,
    tables: Vec<String>,
}

async fn snapshot<D: Driver>(m: &Migrator<'_>, d: &mut D) -> Snapshot {
    Snapshot {
        history: m.history(d).await.expect("history"),
        log: m.log(d).await.expect("log").len(),
        tables: user_tables(d).await,
    }
}

/// A database a newer binary (versions 1 to 3) migrated to its latest version.
async fn migrated_by_a_newer_binary<D: Driver>(d: &mut D) {
    let newer = Tree::new(BASIC);
    migrator(&newer.set())
        .up(d, Target::Latest)
        .await
        .expect("the newer binary migrates");
}

/// The older binary's set: versions 1 and 2.
fn older() -> Tree {
    Tree::new(&BASIC[..4])
}

fn ignoring(set: &MigrationSet) -> Migrator<'_> {
    Migrator::with_config(set, config().unknown_versions(UnknownVersions::Ignore))
}

pub async fn older_binary_refuses_a_newer_database_unless_told_to_ignore<C: Connect>(ctx: &Ctx<C>) {
    let mut d = ctx.driver().await;
    migrated_by_a_newer_binary(&mut d).await;
    let tree = older();
    let set = tree.set();
    let refusing = migrator(&set);
    let before = snapshot(&refusing, &mut d).await;
    let err = refusing
        .up(&mut d, Target::Latest)
        .await
        .expect_err("refused by default");
    assert!(
        matches!(err, Error::UnknownVersion { version, latest_known: Some(known) }
            if version == v(3) && known == v(2)),
        "{err}"
    );
    assert!(err.to_string().contains("version 3"), "{err}");
    assert!(refusing.validate(&mut d).await.is_err());

    let m = ignoring(&set);
    for target in [Target::Latest, Target::Version(v(1)), Target::Empty] {
        let report = m.up(&mut d, target).await.expect("starts");
        assert!(report.steps.is_empty(), "{target:?}: {report:?}");
        assert_eq!(report.unknown_versions, [v(3)], "{target:?}");
    }
    assert_eq!(snapshot(&m, &mut d).await, before, "up changed something");
    // Still the one-query start-up.
    let mut counted = Counting::new(ctx.driver().await);
    let report = m.up(&mut counted, Target::Latest).await.expect("starts");
    assert_eq!(report.unknown_versions, [v(3)]);
    assert_eq!(counted.hook.calls.len(), 1, "{:#?}", counted.hook.calls);
    m.validate(&mut d).await.expect("valid when ignored");
    let plan = m.plan_up(&mut d, Target::Latest).await.expect("plan");
    assert!(plan.is_empty());
    assert_eq!(plan.unknown_versions, [v(3)]);
    let lines = m.status(&mut d).await.expect("status");
    let seen: Vec<(u32, VersionState, ChecksumState)> = lines
        .iter()
        .map(|l| (l.version.get(), l.state, l.checksum))
        .collect();
    assert_eq!(
        seen,
        [
            (1, VersionState::Applied, ChecksumState::Ok),
            (2, VersionState::Applied, ChecksumState::Ok),
            (3, VersionState::Applied, ChecksumState::NotEmbedded),
        ]
    );
    assert_eq!(lines[2].description, "tags", "recorded description");
    assert_eq!(
        snapshot(&m, &mut d).await,
        before,
        "a read changed something"
    );
}

pub async fn older_binary_ignoring_unknown_versions_refuses_to_revert_through_them<C: Connect>(
    ctx: &Ctx<C>,
) {
    let mut d = ctx.driver().await;
    migrated_by_a_newer_binary(&mut d).await;
    let tree = older();
    let set = tree.set();
    let m = ignoring(&set);
    let before = snapshot(&m, &mut d).await;
    for err in [
        m.down(&mut d, Target::Version(v(1)))
            .await
            .expect_err("down to 1"),
        m.down(&mut d, Target::Empty)
            .await
            .expect_err("down to empty"),
        m.redo(&mut d).await.expect_err("redo"),
        m.plan_down(&mut d, Target::Version(v(2)))
            .await
            .expect_err("plan down"),
    ] {
        assert!(
            matches!(&err, Error::RevertUnknown { versions, latest_known: Some(known) }
                if *versions == [v(3)] && *known == v(2)),
            "{err}"
        );
        let message = err.to_string();
        assert!(
            message.contains("this run has (3; they go up to 2)")
                && message.contains("down scripts"),
            "{message}"
        );
    }
    let report = m.down(&mut d, Target::Latest).await.expect("nothing to do");
    assert!(report.steps.is_empty());
    assert_eq!(
        snapshot(&m, &mut d).await,
        before,
        "a refused revert changed something"
    );
    // The newer binary can still revert everything.
    let newer = Tree::new(BASIC);
    let newer_set = newer.set();
    migrator(&newer_set)
        .down(&mut d, Target::Version(v(2)))
        .await
        .expect("the newer binary reverts version 3");
    let report = m
        .down(&mut d, Target::Version(v(1)))
        .await
        .expect("then the older one");
    assert_eq!(report.steps.len(), 1);
    assert!(report.unknown_versions.is_empty());
    assert_eq!(versions(&m.history(&mut d).await.expect("history")), [1]);
}

pub async fn older_binary_ignoring_unknown_versions_still_refuses_what_is_unsafe<C: Connect>(
    ctx: &Ctx<C>,
) {
    let mut d = ctx.driver().await;
    migrated_by_a_newer_binary(&mut d).await;
    let tree = older();
    let set = tree.set();
    let m = ignoring(&set);
    let table = m.config().history_table().to_string();
    // A changed script of a version the binary embeds is refused as ever.
    let embedded = set.get(v(1)).expect("V1").scripts(Direction::Up)[0].checksum();
    let tampered = format!("sha256:{}", "0".repeat(64));
    let set_checksum =
        |checksum: &str| format!("UPDATE {table} SET checksum = '{checksum}' WHERE version = 1");
    d.execute(&set_checksum(&tampered)).await.expect("tamper");
    let err = m.up(&mut d, Target::Latest).await.expect_err("changed V1");
    assert!(
        matches!(err, Error::ChecksumMismatch { version, .. } if version == v(1)),
        "{err}"
    );
    d.execute(&set_checksum(&embedded.to_string()))
        .await
        .expect("restore");
    // A version 3 the newer binary left failed part-way.
    d.execute(&format!(
        "UPDATE {table} SET state = 'failed', statements_done = 1, \
         error_text = 'duplicate column' WHERE version = 3"
    ))
    .await
    .expect("mark failed");
    let before = snapshot(&m, &mut d).await;
    for err in [
        m.up(&mut d, Target::Latest)
            .await
            .expect_err("failed unknown"),
        m.validate(&mut d).await.expect_err("failed unknown"),
    ] {
        assert!(
            matches!(err, Error::FailedUnknownVersion { version, .. } if version == v(3)),
            "{err}"
        );
        assert!(err.to_string().contains("includes version 3"), "{err}");
    }
    assert_eq!(
        snapshot(&m, &mut d).await,
        before,
        "a refused up changed something"
    );
    // Version 2 is not applied under the unknown version 3, even with out-of-order allowed.
    d.execute(&format!(
        "UPDATE {table} SET state = 'applied', error_text = NULL WHERE version = 3"
    ))
    .await
    .expect("mark applied");
    d.execute("DROP TABLE posts").await.expect("drop");
    d.execute(&format!("DELETE FROM {table} WHERE version = 2"))
        .await
        .expect("delete");
    let allowing = Migrator::with_config(
        &set,
        config()
            .unknown_versions(UnknownVersions::Ignore)
            .out_of_order(OutOfOrder::Allow),
    );
    let err = allowing
        .up(&mut d, Target::Latest)
        .await
        .expect_err("pending below unknown");
    assert!(
        matches!(err, Error::PendingBelowUnknown { version, unknown }
            if version == v(2) && unknown == v(3)),
        "{err}"
    );
    assert_eq!(
        user_tables(&mut d).await,
        ["tags", "users"],
        "version 2 ran"
    );
    assert_eq!(versions(&m.history(&mut d).await.expect("history")), [1, 3]);
}
