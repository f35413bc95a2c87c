//! The journal-floor diagnostic on MySQL/MariaDB: the raw statements with the durable writes
//! migrate's journal makes, in the same parts and the same round trips, through sqlx.
//!
//! The layout is not copied: it comes from `migrate_core::journal`, the plan the runner sends,
//! so the diagnostic follows any change to it. Only the text of each write is the benchmark's
//! own (a smaller history table, see [`JOURNAL_TABLE`]). The server clock the runner starts
//! first (a session variable, not a durable write) is left out.

use migrate_core::journal::{Input, JournalPlan, Kind, Part};
use migrate_core::{Dialect, Direction};

use crate::sqlx_conn::SqlxConn;

/// The journal-floor diagnostic's history table (and, with `_log`, its log).
pub(crate) const JOURNAL_TABLE: &str = "bench_journal";

/// Applies (`Direction::Up`, versions in order) or reverts (`Direction::Down`, in reverse) every
/// version's `statements` with the journal writes around them.
pub(crate) async fn run(
    conn: &mut SqlxConn,
    statements: &[Vec<String>],
    direction: Direction,
) -> anyhow::Result<()> {
    for text in round_trips(statements, direction) {
        conn.exec(&text).await?;
    }
    Ok(())
}

/// Every round trip the diagnostic sends, in order: each version's journal batches, then, when
/// the closing writes did not go with the last statement, the writes still owed and the
/// closing writes, as the runner sends them.
pub(crate) fn round_trips(statements: &[Vec<String>], direction: Direction) -> Vec<String> {
    let versions: Vec<usize> = match direction {
        Direction::Up => (0..statements.len()).collect(),
        Direction::Down => (0..statements.len()).rev().collect(),
    };
    let mut trips = Vec::new();
    for i in versions {
        let writes = Writes::new(i + 1, statements[i].len(), direction);
        let text = |part: Part| writes.text(part, &statements[i]);
        let join = |parts: &[Part]| {
            parts
                .iter()
                .map(|&p| text(p))
                .collect::<Vec<_>>()
                .join(";\n")
        };
        let kinds: Vec<Kind> = statements[i]
            .iter()
            .map(|s| Kind::of(s, Dialect::MySql))
            .collect();
        let input = Input {
            kinds: &kinds,
            start: 0,
            mark: false,
            batched: true,
            close_with_last: true,
        };
        let plan = JournalPlan::new(input, |p| text(p).len());
        trips.extend(plan.batches().iter().map(|b| join(&b.parts)));
        if !plan.closed() {
            if plan.sends_owed_first() {
                trips.push(join(plan.owed_after()));
            }
            trips.push(join(&[Part::Begin, Part::Finish, Part::Log, Part::Commit]));
        }
    }
    trips
}

/// The journal writes of one version, on the diagnostic's tables.
struct Writes {
    version: usize,
    start: String,
    finish: String,
    log: String,
}

impl Writes {
    fn new(version: usize, total: usize, direction: Direction) -> Writes {
        let t = JOURNAL_TABLE;
        let (start, finish, action) = match direction {
            Direction::Up => (
                format!(
                    "INSERT INTO {t} (version, state, direction, done, total) \
                     VALUES ({version}, 'failed', 'up', 0, {total})"
                ),
                format!(
                    "UPDATE {t} SET state = 'applied', direction = 'up', done = {total} \
                     WHERE version = {version}"
                ),
                "up",
            ),
            Direction::Down => (
                format!(
                    "UPDATE {t} SET state = 'failed', direction = 'down', done = 0, \
                     total = {total} WHERE version = {version}"
                ),
                format!("DELETE FROM {t} WHERE version = {version}"),
                "down",
            ),
        };
        let log = format!("INSERT INTO {t}_log (version, action) VALUES ({version}, '{action}')");
        Writes {
            version,
            start,
            finish,
            log,
        }
    }

    fn text(&self, part: Part, statements: &[String]) -> String {
        let (t, version) = (JOURNAL_TABLE, self.version);
        match part {
            Part::Mark => unreachable!("the diagnostic plans no server clock"),
            Part::Start => self.start.clone(),
            Part::Statement(i) => statements[i].clone(),
            Part::Done(i) => format!("UPDATE {t} SET done = {} WHERE version = {version}", i + 1),
            Part::Begin => "BEGIN".to_owned(),
            Part::Finish => self.finish.clone(),
            Part::Log => self.log.clone(),
            Part::Commit => "COMMIT".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(statements: &[&str]) -> Vec<Vec<String>> {
        vec![statements.iter().map(|s| (*s).to_owned()).collect()]
    }

    #[test]
    fn a_script_without_calls_is_one_round_trip_shaped_like_the_runners() {
        let up = script(&[
            "CREATE TABLE a (id INT)",
            "INSERT INTO a VALUES (1)",
            "ALTER TABLE a ADD COLUMN b INT",
        ]);
        let expected = [
            "INSERT INTO bench_journal (version, state, direction, done, total) \
             VALUES (1, 'failed', 'up', 0, 3)",
            "CREATE TABLE a (id INT)",
            "BEGIN",
            "UPDATE bench_journal SET done = 1 WHERE version = 1",
            "INSERT INTO a VALUES (1)",
            "UPDATE bench_journal SET done = 2 WHERE version = 1",
            "COMMIT",
            "ALTER TABLE a ADD COLUMN b INT",
            "BEGIN",
            "UPDATE bench_journal SET state = 'applied', direction = 'up', done = 3 \
             WHERE version = 1",
            "INSERT INTO bench_journal_log (version, action) VALUES (1, 'up')",
            "COMMIT",
        ];
        assert_eq!(round_trips(&up, Direction::Up), [expected.join(";\n")]);
    }

    #[test]
    fn a_last_data_statement_commits_with_the_closing_writes() {
        let down = script(&["DROP TABLE b", "DELETE FROM a"]);
        let expected = [
            "UPDATE bench_journal SET state = 'failed', direction = 'down', done = 0, \
             total = 2 WHERE version = 1",
            "DROP TABLE b",
            "BEGIN",
            "UPDATE bench_journal SET done = 1 WHERE version = 1",
            "DELETE FROM a",
            "DELETE FROM bench_journal WHERE version = 1",
            "INSERT INTO bench_journal_log (version, action) VALUES (1, 'down')",
            "COMMIT",
        ];
        assert_eq!(round_trips(&down, Direction::Down), [expected.join(";\n")]);
    }

    #[test]
    fn a_call_travels_apart_and_the_closing_writes_follow_in_their_own_round_trip() {
        let up = script(&["INSERT INTO a VALUES (1)", "CALL fill()"]);
        let trips = round_trips(&up, Direction::Up);
        let start = "INSERT INTO bench_journal (version, state, direction, done, total) \
                     VALUES (1, 'failed', 'up', 0, 2)";
        let expected = [
            [
                "BEGIN",
                start,
                "INSERT INTO a VALUES (1)",
                "UPDATE bench_journal SET done = 1 WHERE version = 1",
                "COMMIT",
            ]
            .join(";\n"),
            "CALL fill()".to_owned(),
            [
                "BEGIN",
                "UPDATE bench_journal SET state = 'applied', direction = 'up', done = 2 \
                 WHERE version = 1",
                "INSERT INTO bench_journal_log (version, action) VALUES (1, 'up')",
                "COMMIT",
            ]
            .join(";\n"),
        ];
        assert_eq!(trips, expected);
    }

    #[test]
    fn reverting_walks_the_versions_backwards() {
        let down = vec![
            vec!["DROP TABLE a".to_owned()],
            vec!["DROP TABLE b".to_owned()],
        ];
        let trips = round_trips(&down, Direction::Down);
        assert_eq!(trips.len(), 2);
        assert!(trips[0].contains("DROP TABLE b") && trips[0].contains("WHERE version = 2"));
        assert!(trips[1].contains("DROP TABLE a") && trips[1].contains("WHERE version = 1"));
    }
}
