//! Which MySQL/MariaDB statements commit implicitly: the statements a failed migration cannot
//! roll back, marked by the `plan` command.
//!
//! MySQL and MariaDB end the current transaction before (and most of them after) every DDL
//! statement and a handful of administrative ones, so a migration made of such statements
//! cannot be undone by a rollback. The runner journals MySQL migrations statement by statement
//! for this reason; this module lets an operator *see* which statements are affected before
//! running them.
//!
//! The list follows the servers' documentation:
//! <https://mariadb.com/kb/en/sql-statements-that-cause-an-implicit-commit/> and MySQL's
//! "Statements That Cause an Implicit Commit" (section 15.3.3 of the 8.0 manual). It is judged
//! from a statement's leading keywords only, which is what both lists are written in:
//!
//! - every `ALTER`, `CREATE` and `DROP` (of tables, indexes, views, triggers, routines, events,
//!   databases, users, roles, servers, sequences, tablespaces), **except** `CREATE TEMPORARY
//!   TABLE` and `DROP TEMPORARY TABLE`;
//! - `RENAME`, `TRUNCATE`, `GRANT`, `REVOKE`, `SET PASSWORD`, `INSTALL`/`UNINSTALL PLUGIN`;
//! - transaction control that ends the current transaction: `BEGIN` (not MariaDB's `BEGIN NOT
//!   ATOMIC` block), `START TRANSACTION`, `LOCK TABLES`, `UNLOCK TABLES`, `SET autocommit = 1`;
//! - administration: `ANALYZE`/`CHECK`/`OPTIMIZE`/`REPAIR TABLE`, `CACHE INDEX`, `LOAD INDEX
//!   INTO CACHE`, `FLUSH`, `RESET`, `SHUTDOWN`;
//! - replication: `START`/`STOP SLAVE` (or `REPLICA`), `CHANGE MASTER TO`, `CHANGE
//!   REPLICATION SOURCE TO`.
//!
//! A statement wrapped in an executable comment (`/*!50001 CREATE VIEW … */`, `/*M!100100 … */`)
//! is judged by its content, since the server runs it. Anything else (`INSERT`, `UPDATE`,
//! `CALL`, `SET @x = 1`, MariaDB's `ANALYZE SELECT`, …) does not commit by itself. A `CALL`
//! may still commit inside the routine; that cannot be known from the statement.

use crate::lex::{Lexer, Token};
use crate::Dialect;

/// Whether `statement` (one statement of a MySQL/MariaDB script, as [`crate::split::split`]
/// returns it) ends the current transaction on its own.
///
/// ```
/// use migrate_core::implicit_commit::commits_implicitly;
/// assert!(commits_implicitly("ALTER TABLE apps ADD COLUMN kind TEXT"));
/// assert!(!commits_implicitly("CREATE TEMPORARY TABLE scratch (id INT)"));
/// assert!(!commits_implicitly("INSERT INTO apps (name) VALUES ('a')"));
/// ```
pub fn commits_implicitly(statement: &str) -> bool {
    let words = leading_words(statement, 6);
    let word = |i: usize| words.get(i).map(String::as_str).unwrap_or_default();
    match word(0) {
        "ALTER" | "RENAME" | "TRUNCATE" | "GRANT" | "REVOKE" | "FLUSH" | "RESET" | "SHUTDOWN"
        | "INSTALL" | "UNINSTALL" => true,
        "CREATE" | "DROP" => !is_temporary(&words[1..]),
        "BEGIN" => !(word(1) == "NOT" && word(2) == "ATOMIC"),
        "START" => matches!(word(1), "TRANSACTION" | "SLAVE" | "REPLICA" | "ALL"),
        "STOP" => matches!(word(1), "SLAVE" | "REPLICA" | "ALL"),
        "CHANGE" => matches!(word(1), "MASTER" | "REPLICATION"),
        "LOCK" | "UNLOCK" => matches!(word(1), "TABLE" | "TABLES"),
        "ANALYZE" | "OPTIMIZE" | "REPAIR" => {
            let object = match word(1) {
                "NO_WRITE_TO_BINLOG" | "LOCAL" => word(2),
                other => other,
            };
            matches!(object, "TABLE" | "TABLES")
        }
        "CHECK" => matches!(word(1), "TABLE" | "TABLES" | "VIEW"),
        "CACHE" => word(1) == "INDEX",
        "LOAD" => word(1) == "INDEX",
        "SET" => sets_password_or_autocommit(&words[1..]),
        _ => false,
    }
}

/// Whether the runner may run `statement` in a transaction together with the journal write
/// that records its completion, so that the two commit together or not at all: the statement
/// does not commit implicitly, and it is none of
///
/// - transaction control (`COMMIT`, `ROLLBACK`, `SAVEPOINT`, `RELEASE`, `XA`) or a `SET`, which
///   could end the transaction, turn autocommit off or be refused inside one
///   (`SET TRANSACTION`);
/// - a statement that runs other statements (`CALL`, `EXECUTE`, `EXECUTE IMMEDIATE`, a
///   `BEGIN NOT ATOMIC … END` block), which may commit inside and may return more than one
///   result.
///
/// Such statements run by themselves, like DDL.
pub(crate) fn joins_a_transaction(statement: &str) -> bool {
    if commits_implicitly(statement) {
        return false;
    }
    let words = leading_words(statement, 1);
    !matches!(
        words.first().map(String::as_str),
        None | Some(
            "SET"
                | "COMMIT"
                | "ROLLBACK"
                | "SAVEPOINT"
                | "RELEASE"
                | "XA"
                | "CALL"
                | "EXECUTE"
                | "BEGIN"
        )
    )
}

/// Whether `statement` is known to send back exactly one result (an OK, an error or one
/// result set), so that in a multi-statement batch the results read before an error still say
/// which statement failed: it begins with one of the words below and is one statement to the
/// server (the splitter finds no `;` in it outside quotes, comments and routine bodies; a part
/// split on a custom `DELIMITER` may hold several).
///
/// Anything else may send back several: a `CALL` or `EXECUTE`, a compound block (`BEGIN NOT
/// ATOMIC`, `IF`, `LOOP`, a labelled block), MariaDB's `SET STATEMENT … FOR CALL …`.
pub(crate) fn returns_one_result(statement: &str) -> bool {
    let words = leading_words(statement, 1);
    let single = matches!(
        words.first().map(String::as_str),
        Some(
            "ALTER"
                | "CREATE"
                | "DROP"
                | "RENAME"
                | "TRUNCATE"
                | "INSERT"
                | "REPLACE"
                | "UPDATE"
                | "DELETE"
                | "SELECT"
                | "DO"
        )
    );
    single
        && crate::split::split(statement, Dialect::MySql)
            .is_ok_and(|statements| statements.len() == 1)
}

/// After `CREATE` or `DROP`: whether the object is a temporary table (`[OR REPLACE] TEMPORARY`).
fn is_temporary(rest: &[String]) -> bool {
    rest.iter()
        .map(String::as_str)
        .find(|w| !matches!(*w, "OR" | "REPLACE"))
        == Some("TEMPORARY")
}

/// After `SET`: `PASSWORD …`, or `[GLOBAL | SESSION | LOCAL] autocommit = 1 | ON | TRUE`
/// (also written `@@autocommit`, `@@session.autocommit`).
fn sets_password_or_autocommit(rest: &[String]) -> bool {
    let mut words = rest
        .iter()
        .map(String::as_str)
        .skip_while(|w| matches!(*w, "GLOBAL" | "SESSION" | "LOCAL"));
    match words.next() {
        Some("PASSWORD") => true,
        Some("AUTOCOMMIT") => matches!(words.next(), Some("1" | "ON" | "TRUE")),
        _ => false,
    }
}

/// The first `limit` words (numbers included) of `sql` in upper case, read by the MySQL rules
/// of [`crate::lex`]: comments, quoted text and punctuation are skipped, executable comments
/// (`/*! … */`, `/*M! … */`) are read as SQL, and the words stop at anything left open.
pub(crate) fn leading_words(sql: &str, limit: usize) -> Vec<String> {
    Lexer::new(sql, Dialect::MySql)
        .map_while(Result::ok)
        .filter(|(token, _)| matches!(token, Token::Word | Token::Number))
        .take(limit)
        .map(|(_, range)| sql.get(range).unwrap_or_default().to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{commits_implicitly, joins_a_transaction, returns_one_result};

    #[test]
    fn only_statements_that_keep_a_transaction_open_join_one() {
        for sql in [
            "INSERT INTO t VALUES (1)",
            "update t set a = 1",
            "DELETE FROM t",
            "DO SLEEP(0)",
            "SELECT 1",
            "CREATE TEMPORARY TABLE s (id INT)",
            "/* note */ REPLACE INTO t VALUES (1)",
        ] {
            assert!(joins_a_transaction(sql), "{sql}");
        }
        for sql in [
            "CREATE TABLE t (id INT)",
            "ALTER TABLE t ADD COLUMN b INT",
            "SET autocommit = 0",
            "SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE",
            "set @x = 1",
            "COMMIT",
            "ROLLBACK",
            "SAVEPOINT a",
            "RELEASE SAVEPOINT a",
            "XA START 'x'",
            "CALL p()",
            "EXECUTE stmt USING @a",
            "EXECUTE IMMEDIATE 'ALTER TABLE t ADD COLUMN c INT'",
            "BEGIN NOT ATOMIC INSERT INTO t VALUES (1); END",
            "-- only a comment",
        ] {
            assert!(!joins_a_transaction(sql), "{sql}");
        }
    }

    #[test]
    fn only_single_statements_of_known_kinds_return_one_result() {
        for sql in [
            "INSERT INTO t VALUES (1)",
            "INSERT INTO t (note) VALUES ('a; b'), ('CALL p()')",
            "update t set a = 1",
            "SELECT 1",
            "DO SLEEP(0)",
            "ALTER TABLE t ADD COLUMN b INT",
            "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END",
            "CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW BEGIN SET NEW.a = 1; END",
            "/*!50001 CREATE VIEW v AS SELECT 1 */",
            "-- note; with a semicolon\nDELETE FROM t",
        ] {
            assert!(returns_one_result(sql), "{sql}");
        }
        for sql in [
            "CALL p()",
            "/* note */ CALL p()",
            "/*!50001 CALL p() */",
            "EXECUTE stmt USING @a",
            "EXECUTE IMMEDIATE 'SELECT 1'",
            "BEGIN NOT ATOMIC SELECT 1; SELECT 2; END",
            "lbl: BEGIN NOT ATOMIC SELECT 1; END",
            "IF 1 THEN SELECT 1; SELECT 2; END IF",
            "SET STATEMENT max_statement_time = 0 FOR CALL p()",
            "SET @x = 1",
            "BEGIN",
            // A part split on a custom delimiter: two statements to the server.
            "INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)",
            "",
        ] {
            assert!(!returns_one_result(sql), "{sql}");
        }
    }

    #[test]
    fn leading_words_honour_backslash_escapes() {
        assert_eq!(
            super::leading_words("SELECT 'a\\'b' AS x", 3),
            ["SELECT", "AS", "X"]
        );
    }

    /// `commits!(test_name, "statement", expected)`: one named test per case.
    macro_rules! commits {
        ($($name:ident: $sql:expr => $expected:expr;)*) => {
            $(
                #[test]
                fn $name() {
                    assert_eq!(commits_implicitly($sql), $expected, "{}", $sql);
                }
            )*
        };
    }

    commits! {
        create_table_commits: "CREATE TABLE apps (id INT)" => true;
        create_table_lower_case_commits: "create table apps (id int)" => true;
        create_or_replace_table_commits: "CREATE OR REPLACE TABLE t (id INT)" => true;
        create_temporary_table_does_not_commit: "CREATE TEMPORARY TABLE t (id INT)" => false;
        create_or_replace_temporary_table_does_not_commit:
            "CREATE OR REPLACE TEMPORARY TABLE t (id INT)" => false;
        table_named_temporary_still_commits: "CREATE TABLE temporary (id INT)" => true;
        drop_table_commits: "DROP TABLE IF EXISTS apps" => true;
        drop_temporary_table_does_not_commit: "DROP TEMPORARY TABLE t" => false;
        create_index_commits: "CREATE UNIQUE INDEX i ON t (a)" => true;
        drop_index_commits: "DROP INDEX i ON t" => true;
        alter_table_commits: "ALTER TABLE apps ADD COLUMN app_type VARCHAR(50)" => true;
        alter_view_commits: "ALTER VIEW v AS SELECT 1" => true;
        create_view_with_definer_commits:
            "CREATE DEFINER = `root`@`%` SQL SECURITY INVOKER VIEW v AS SELECT 1" => true;
        create_trigger_commits:
            "CREATE TRIGGER t BEFORE INSERT ON apps FOR EACH ROW BEGIN SET NEW.a = 1; END" => true;
        create_procedure_commits: "CREATE PROCEDURE p() BEGIN SELECT 1; END" => true;
        create_database_commits: "CREATE DATABASE IF NOT EXISTS x" => true;
        create_user_commits: "CREATE USER 'a'@'%' IDENTIFIED BY 'b'" => true;
        create_sequence_commits: "CREATE SEQUENCE s" => true;
        rename_table_commits: "RENAME TABLE a TO b" => true;
        truncate_commits: "TRUNCATE TABLE apps" => true;
        grant_commits: "GRANT SELECT ON x.* TO 'a'@'%'" => true;
        revoke_commits: "REVOKE SELECT ON x.* FROM 'a'@'%'" => true;
        set_password_commits: "SET PASSWORD FOR 'a'@'%' = PASSWORD('b')" => true;
        set_autocommit_on_commits: "SET autocommit = 1" => true;
        set_session_autocommit_commits: "SET SESSION autocommit=ON" => true;
        set_system_variable_autocommit_commits: "SET @@session.autocommit = 1" => true;
        set_autocommit_off_does_not_commit: "SET autocommit = 0" => false;
        set_user_variable_does_not_commit: "SET @x = 1" => false;
        set_names_does_not_commit: "SET NAMES utf8mb4" => false;
        begin_commits: "BEGIN" => true;
        begin_work_commits: "BEGIN WORK" => true;
        begin_not_atomic_block_does_not_commit: "BEGIN NOT ATOMIC SELECT 1; END" => false;
        start_transaction_commits: "START TRANSACTION" => true;
        lock_tables_commits: "LOCK TABLES apps WRITE" => true;
        unlock_tables_commits: "UNLOCK TABLES" => true;
        analyze_table_commits: "ANALYZE TABLE apps" => true;
        analyze_local_table_commits: "ANALYZE LOCAL TABLE apps" => true;
        analyze_select_does_not_commit: "ANALYZE SELECT * FROM apps" => false;
        optimize_table_commits: "OPTIMIZE NO_WRITE_TO_BINLOG TABLE apps" => true;
        repair_table_commits: "REPAIR TABLE apps" => true;
        check_table_commits: "CHECK TABLE apps" => true;
        cache_index_commits: "CACHE INDEX apps IN hot_cache" => true;
        load_index_commits: "LOAD INDEX INTO CACHE apps" => true;
        load_data_does_not_commit: "LOAD DATA INFILE 'x' INTO TABLE apps" => false;
        flush_commits: "FLUSH PRIVILEGES" => true;
        reset_commits: "RESET QUERY CACHE" => true;
        change_master_commits: "CHANGE MASTER TO MASTER_HOST = 'h'" => true;
        stop_slave_commits: "STOP SLAVE" => true;
        install_plugin_commits: "INSTALL PLUGIN x SONAME 'x.so'" => true;
        insert_does_not_commit: "INSERT INTO apps (name) VALUES ('CREATE TABLE')" => false;
        update_does_not_commit: "UPDATE apps SET name = 'x'" => false;
        delete_does_not_commit: "DELETE FROM apps" => false;
        select_does_not_commit: "SELECT 1" => false;
        call_does_not_commit: "CALL refresh_totals()" => false;
        commit_is_explicit: "COMMIT" => false;
        leading_line_comment_is_skipped: "-- add the column\nALTER TABLE apps ADD x INT" => true;
        leading_hash_comment_is_skipped: "# add it\nINSERT INTO t VALUES (1)" => false;
        leading_block_comment_is_skipped: "/* DROP TABLE x */ INSERT INTO t VALUES (1)" => false;
        executable_comment_is_read:
            "/*!50001 CREATE ALGORITHM=UNDEFINED VIEW v AS SELECT 1 */" => true;
        mariadb_executable_comment_is_read: "/*M!100100 DROP TABLE x */" => true;
        executable_comment_around_set_is_read: "/*!40101 SET NAMES utf8mb4 */" => false;
        empty_statement_does_not_commit: "" => false;
        non_ascii_letter_is_part_of_the_word: "SET autocommité = 1" => false;
        dollar_is_part_of_the_word: "SET autocommit$ = 1" => false;
        dashes_before_a_letter_are_no_comment: "--x\nCREATE TABLE t (id INT)" => false;
    }
}
