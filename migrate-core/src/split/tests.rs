use proptest::prelude::*;

use super::{split, SplitError, Unterminated};
use crate::Dialect;

/// Splits `script`, checking that every span points at its statement text.
fn split_checked(script: &str, dialect: Dialect) -> Result<Vec<(String, u32)>, SplitError> {
    let statements = split(script, dialect)?;
    for s in &statements {
        assert_eq!(
            script.get(s.span.clone()),
            Some(s.sql),
            "span of {:?}",
            s.sql
        );
    }
    Ok(statements
        .into_iter()
        .map(|s| (s.sql.to_owned(), s.line))
        .collect())
}

/// `splits!(name, Dialect, script, [sql, …])`: the statements' texts.
macro_rules! splits {
    ($name:ident, $dialect:ident, $script:expr, [$($sql:expr),* $(,)?]) => {
        #[test]
        fn $name() {
            let expected: &[&str] = &[$($sql),*];
            let got = split_checked($script, Dialect::$dialect).unwrap_or_else(|e| panic!("{e}"));
            let got: Vec<&str> = got.iter().map(|(sql, _)| sql.as_str()).collect();
            assert_eq!(got, expected);
        }
    };
}

/// `splits_at!(name, Dialect, script, [(sql, line), …])`: texts and first lines.
macro_rules! splits_at {
    ($name:ident, $dialect:ident, $script:expr, [$(($sql:expr, $line:expr)),* $(,)?]) => {
        #[test]
        fn $name() {
            let expected: Vec<(String, u32)> = vec![$(($sql.to_owned(), $line)),*];
            let got = split_checked($script, Dialect::$dialect).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(got, expected);
        }
    };
}

/// `fails!(name, Dialect, script, Unterminated::…, line)`: the error.
macro_rules! fails {
    ($name:ident, $dialect:ident, $script:expr, $what:expr, $line:expr) => {
        #[test]
        fn $name() {
            let got = split_checked($script, Dialect::$dialect);
            assert_eq!(
                got,
                Err(SplitError {
                    what: $what,
                    line: $line
                })
            );
        }
    };
}

#[rustfmt::skip]
mod cases {
    use super::*;

    // ---------------------------------------------------------------------------------------------
    // MySQL / MariaDB
    // ---------------------------------------------------------------------------------------------

    splits!(mysql_splits_on_semicolons, MySql, "SELECT 1; SELECT 2;", ["SELECT 1", "SELECT 2"]);
    splits_at!(mysql_leading_bom_is_not_statement_text, MySql, "\u{feff}SELECT 1;\nSELECT 2;", [("SELECT 1", 1), ("SELECT 2", 2)]);
    splits!(postgres_bom_alone_is_no_statement, Postgres, "\u{feff}\n", []);
    splits!(mysql_delimiter_directly_after_a_bom_is_a_directive, MySql, "\u{feff}DELIMITER $$\nSELECT 1$$", ["SELECT 1"]);
    splits!(sqlite_bom_and_comments_are_no_statement, Sqlite, "\u{feff}-- nothing\n/* here */\n", []);
    splits!(mysql_backslash_escaped_quote, MySql, r"SELECT 'a\'b;c'; SELECT 2", [r"SELECT 'a\'b;c'", "SELECT 2"]);
    splits!(mysql_doubled_single_quote_stays_in_string, MySql, "SELECT 'it''s;'; SELECT 2", ["SELECT 'it''s;'", "SELECT 2"]);
    splits!(mysql_escaped_backslash_before_closing_quote_ends_string, MySql, r"SELECT 'a\\'; SELECT 2", [r"SELECT 'a\\'", "SELECT 2"]);
    splits!(mysql_double_quoted_string_takes_backslash_and_doubling, MySql, r#"SELECT "a\";""b"; SELECT 2"#, [r#"SELECT "a\";""b""#, "SELECT 2"]);
    splits!(mysql_backtick_identifier_doubles_its_backtick, MySql, "SELECT `a``;b` FROM t; SELECT 2", ["SELECT `a``;b` FROM t", "SELECT 2"]);
    splits!(mysql_backslash_does_not_escape_in_backticks, MySql, r"SELECT `a\`; SELECT 2", [r"SELECT `a\`", "SELECT 2"]);
    splits!(mysql_dash_dash_space_starts_a_comment, MySql, "SELECT 1; -- note; here\nSELECT 2", ["SELECT 1", "SELECT 2"]);
    splits!(mysql_dash_dash_without_space_is_arithmetic, MySql, "SELECT 1--1; SELECT 2", ["SELECT 1--1", "SELECT 2"]);
    splits!(mysql_dash_dash_tab_starts_a_comment, MySql, "SELECT 1 --\tnot ; here\n, 2; SELECT 3", ["SELECT 1 --\tnot ; here\n, 2", "SELECT 3"]);
    splits!(mysql_dash_dash_at_end_of_input_is_a_comment, MySql, "SELECT 1; --", ["SELECT 1"]);
    splits!(mysql_hash_starts_a_line_comment, MySql, "SELECT 1; # a ; comment\nSELECT 2", ["SELECT 1", "SELECT 2"]);
    splits!(mysql_trailing_comment_is_not_sent, MySql, "SELECT 1 # done\n;", ["SELECT 1"]);
    splits!(mysql_block_comment_hides_semicolon, MySql, "SELECT /* ; */ 1; SELECT 2", ["SELECT /* ; */ 1", "SELECT 2"]);
    splits!(mysql_block_comment_does_not_nest, MySql, "SELECT /* a /* b */ 1; SELECT 2", ["SELECT /* a /* b */ 1", "SELECT 2"]);
    splits!(mysql_executable_comment_is_statement_text, MySql, "/*!40101 SET NAMES utf8 */; SELECT 1", ["/*!40101 SET NAMES utf8 */", "SELECT 1"]);
    splits!(mysql_executable_comment_hides_semicolon, MySql, "SELECT 1 /*!, 2; */; SELECT 3", ["SELECT 1 /*!, 2; */", "SELECT 3"]);
    splits!(mysql_executable_comment_reads_strings_as_sql, MySql, "SELECT 1 /*!50003 , '*/;' */; SELECT 2", ["SELECT 1 /*!50003 , '*/;' */", "SELECT 2"]);
    splits!(mysql_mariadb_executable_comment_is_statement_text, MySql, "/*M!100101 SET @x = 1; */; SELECT 2", ["/*M!100101 SET @x = 1; */", "SELECT 2"]);
    splits!(mysql_mariadb_executable_comment_without_version, MySql, "SELECT 1 /*M! , 2 */; SELECT 3", ["SELECT 1 /*M! , 2 */", "SELECT 3"]);
    splits_at!(mysql_delimiter_dollars_around_procedure, MySql, "DELIMITER $$\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\nEND$$\nDELIMITER ;\nSELECT 2;", [("CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\nEND", 2), ("SELECT 2", 7)]);
    splits_at!(mysql_delimiter_slashes_around_trigger, MySql, "DELIMITER //\nCREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n  SET NEW.a = 1;\nEND //\nDELIMITER ;\nINSERT INTO t VALUES (1);", [("CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n  SET NEW.a = 1;\nEND", 2), ("INSERT INTO t VALUES (1)", 7)]);
    splits!(mysql_delimiter_double_semicolon_like_mysqldump, MySql, "DELIMITER ;;\nSELECT 1; SELECT 2;;\nDELIMITER ;\nSELECT 3;", ["SELECT 1; SELECT 2", "SELECT 3"]);
    splits!(mysql_delimiter_directive_is_case_insensitive, MySql, "delimiter //\nSELECT 1//\nDelimiter ;\nSELECT 2;", ["SELECT 1", "SELECT 2"]);
    splits!(mysql_delimiter_takes_only_the_first_word, MySql, "DELIMITER $$ -- for the procedure\nSELECT 1$$\nDELIMITER ; # back to normal\nSELECT 2; SELECT 3;", ["SELECT 1", "SELECT 2", "SELECT 3"]);
    splits!(mysql_indented_delimiter_directive, MySql, "  DELIMITER //\nSELECT 1//SELECT 2", ["SELECT 1", "SELECT 2"]);
    splits!(mysql_custom_delimiter_right_after_a_word, MySql, "DELIMITER $$\nSELECT a$$SELECT b$$", ["SELECT a", "SELECT b"]);
    splits!(mysql_delimiter_line_ends_the_pending_statement, MySql, "DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; END\nDELIMITER ;\nSELECT 2;", ["CREATE PROCEDURE p() BEGIN SELECT 1; END", "SELECT 2"]);
    splits!(mysql_delimiter_line_inside_string_is_text, MySql, "SELECT '\nDELIMITER $$\n'; SELECT 2", ["SELECT '\nDELIMITER $$\n'", "SELECT 2"]);
    splits!(mysql_delimiter_word_without_argument_is_statement_text, MySql, "DELIMITER\nSELECT 1;", ["DELIMITER\nSELECT 1"]);
    splits!(mysql_custom_delimiter_inside_string_does_not_split, MySql, "DELIMITER //\nSELECT '//' //", ["SELECT '//'"]);
    splits_at!(mysql_delimiter_with_crlf_lines, MySql, "DELIMITER $$\r\nSELECT 1$$\r\nDELIMITER ;\r\nSELECT 2;\r\n", [("SELECT 1", 2), ("SELECT 2", 4)]);
    splits_at!(mysql_procedure_with_nested_if_without_delimiter, MySql, "CREATE PROCEDURE p(IN x INT)\nBEGIN\n  IF x > 0 THEN\n    IF x > 10 THEN SELECT 'big'; ELSE SELECT 'small'; END IF;\n  ELSEIF x < 0 THEN SELECT 'neg';\n  END IF;\nEND;\nSELECT 1;", [("CREATE PROCEDURE p(IN x INT)\nBEGIN\n  IF x > 0 THEN\n    IF x > 10 THEN SELECT 'big'; ELSE SELECT 'small'; END IF;\n  ELSEIF x < 0 THEN SELECT 'neg';\n  END IF;\nEND", 1), ("SELECT 1", 8)]);
    splits!(mysql_procedure_with_case_statement, MySql, "CREATE PROCEDURE p(x INT) BEGIN CASE x WHEN 1 THEN SELECT 1; ELSE BEGIN SELECT 2; END; END CASE; END; SELECT 3", ["CREATE PROCEDURE p(x INT) BEGIN CASE x WHEN 1 THEN SELECT 1; ELSE BEGIN SELECT 2; END; END CASE; END", "SELECT 3"]);
    splits!(mysql_case_expression_ends_with_plain_end, MySql, "CREATE PROCEDURE p() BEGIN SELECT CASE WHEN a THEN IF(b, 1, 2) ELSE 0 END FROM t; SELECT 1; END; SELECT 2", ["CREATE PROCEDURE p() BEGIN SELECT CASE WHEN a THEN IF(b, 1, 2) ELSE 0 END FROM t; SELECT 1; END", "SELECT 2"]);
    splits!(mysql_procedure_with_labelled_loop, MySql, "CREATE PROCEDURE p() BEGIN DECLARE i INT DEFAULT 0; lbl: LOOP SET i = i + 1; IF i > 3 THEN LEAVE lbl; END IF; END LOOP lbl; END; SELECT 2", ["CREATE PROCEDURE p() BEGIN DECLARE i INT DEFAULT 0; lbl: LOOP SET i = i + 1; IF i > 3 THEN LEAVE lbl; END IF; END LOOP lbl; END", "SELECT 2"]);
    splits!(mysql_procedure_with_while_loop, MySql, "CREATE PROCEDURE p() BEGIN DECLARE i INT DEFAULT 0; w: WHILE i < 3 DO SET i = i + 1; END WHILE w; END; SELECT 2", ["CREATE PROCEDURE p() BEGIN DECLARE i INT DEFAULT 0; w: WHILE i < 3 DO SET i = i + 1; END WHILE w; END", "SELECT 2"]);
    splits!(mysql_procedure_with_repeat_loop_and_repeat_function, MySql, "CREATE PROCEDURE p() BEGIN REPEAT SET @s = REPEAT('x', 2); UNTIL LENGTH(@s) > 4 END REPEAT; END; SELECT 2", ["CREATE PROCEDURE p() BEGIN REPEAT SET @s = REPEAT('x', 2); UNTIL LENGTH(@s) > 4 END REPEAT; END", "SELECT 2"]);
    splits!(mysql_procedure_with_cursor_and_handler, MySql, "CREATE PROCEDURE p() BEGIN DECLARE done INT DEFAULT 0; DECLARE c CURSOR FOR SELECT id FROM t; DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = 1; OPEN c; r: LOOP FETCH c INTO @x; IF done THEN LEAVE r; END IF; END LOOP; CLOSE c; END; SELECT 2", ["CREATE PROCEDURE p() BEGIN DECLARE done INT DEFAULT 0; DECLARE c CURSOR FOR SELECT id FROM t; DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = 1; OPEN c; r: LOOP FETCH c INTO @x; IF done THEN LEAVE r; END IF; END LOOP; CLOSE c; END", "SELECT 2"]);
    splits!(mysql_nested_begin_end_and_exit_handler_block, MySql, "CREATE PROCEDURE p() BEGIN DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END; inner: BEGIN SELECT 1; END inner; END; SELECT 2", ["CREATE PROCEDURE p() BEGIN DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END; inner: BEGIN SELECT 1; END inner; END", "SELECT 2"]);
    splits!(mysql_ddl_if_exists_inside_body_opens_nothing, MySql, "CREATE PROCEDURE p() BEGIN DROP TABLE IF EXISTS t; CREATE TABLE IF NOT EXISTS t (a INT); IF NOT EXISTS (SELECT 1 FROM t) THEN INSERT INTO t VALUES (1); END IF; END; SELECT 1", ["CREATE PROCEDURE p() BEGIN DROP TABLE IF EXISTS t; CREATE TABLE IF NOT EXISTS t (a INT); IF NOT EXISTS (SELECT 1 FROM t) THEN INSERT INTO t VALUES (1); END IF; END", "SELECT 1"]);
    splits!(mysql_if_condition_in_parentheses_opens_a_block, MySql, "CREATE PROCEDURE p() BEGIN IF (@a > 1) THEN SELECT 1; END IF; END; SELECT 2", ["CREATE PROCEDURE p() BEGIN IF (@a > 1) THEN SELECT 1; END IF; END", "SELECT 2"]);
    splits!(mysql_function_with_begin_end_body, MySql, "CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC BEGIN DECLARE y INT; SET y = x * 2; RETURN y; END; SELECT f(1)", ["CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC BEGIN DECLARE y INT; SET y = x * 2; RETURN y; END", "SELECT f(1)"]);
    splits!(mysql_function_with_single_statement_body, MySql, "CREATE FUNCTION f() RETURNS INT RETURN 1; SELECT f()", ["CREATE FUNCTION f() RETURNS INT RETURN 1", "SELECT f()"]);
    splits!(mysql_function_returning_if_call, MySql, "CREATE FUNCTION f(x INT) RETURNS INT RETURN IF(x > 0, 1, 0); SELECT 2", ["CREATE FUNCTION f(x INT) RETURNS INT RETURN IF(x > 0, 1, 0)", "SELECT 2"]);
    splits!(mysql_function_returning_case_expression, MySql, "CREATE FUNCTION f(x INT) RETURNS INT RETURN CASE WHEN x THEN 1 ELSE 0 END; SELECT 2", ["CREATE FUNCTION f(x INT) RETURNS INT RETURN CASE WHEN x THEN 1 ELSE 0 END", "SELECT 2"]);
    splits!(mysql_trigger_with_begin_end_body, MySql, "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW BEGIN IF NEW.a IS NULL THEN SET NEW.a = 0; END IF; END; INSERT INTO t VALUES (1)", ["CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW BEGIN IF NEW.a IS NULL THEN SET NEW.a = 0; END IF; END", "INSERT INTO t VALUES (1)"]);
    splits!(mysql_trigger_with_bare_if_body, MySql, "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW IF NEW.a < 0 THEN SET NEW.a = 0; END IF; SELECT 1", ["CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW IF NEW.a < 0 THEN SET NEW.a = 0; END IF", "SELECT 1"]);
    splits!(mysql_trigger_with_single_statement_body, MySql, "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET NEW.a = IF(NEW.b, 1, 2); SELECT 1", ["CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET NEW.a = IF(NEW.b, 1, 2)", "SELECT 1"]);
    splits!(mysql_event_with_do_begin_end, MySql, "CREATE EVENT IF NOT EXISTS e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM log; INSERT INTO log VALUES (NOW()); END; SELECT 1", ["CREATE EVENT IF NOT EXISTS e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM log; INSERT INTO log VALUES (NOW()); END", "SELECT 1"]);
    splits!(mysql_or_replace_and_quoted_definer, MySql, "CREATE OR REPLACE DEFINER = `root`@`localhost` PROCEDURE p() BEGIN SELECT 1; END; SELECT 2", ["CREATE OR REPLACE DEFINER = `root`@`localhost` PROCEDURE p() BEGIN SELECT 1; END", "SELECT 2"]);
    splits!(mysql_unquoted_definer_and_current_user, MySql, "CREATE DEFINER=root@localhost PROCEDURE p() BEGIN SELECT 1; END; CREATE DEFINER=CURRENT_USER() FUNCTION f() RETURNS INT BEGIN RETURN 1; END; SELECT 2", ["CREATE DEFINER=root@localhost PROCEDURE p() BEGIN SELECT 1; END", "CREATE DEFINER=CURRENT_USER() FUNCTION f() RETURNS INT BEGIN RETURN 1; END", "SELECT 2"]);
    splits!(mysql_definer_on_view_is_not_a_program, MySql, "CREATE DEFINER='a'@'%' SQL SECURITY INVOKER VIEW v AS SELECT begin FROM event; SELECT 2", ["CREATE DEFINER='a'@'%' SQL SECURITY INVOKER VIEW v AS SELECT begin FROM event", "SELECT 2"]);
    splits!(mysql_mariadb_aggregate_function, MySql, "CREATE AGGREGATE FUNCTION agg(x INT) RETURNS INT BEGIN DECLARE s INT DEFAULT 0; DECLARE CONTINUE HANDLER FOR NOT FOUND RETURN s; LOOP FETCH GROUP NEXT ROW; SET s = s + x; END LOOP; END; SELECT 1", ["CREATE AGGREGATE FUNCTION agg(x INT) RETURNS INT BEGIN DECLARE s INT DEFAULT 0; DECLARE CONTINUE HANDLER FOR NOT FOUND RETURN s; LOOP FETCH GROUP NEXT ROW; SET s = s + x; END LOOP; END", "SELECT 1"]);
    splits!(mysql_mariadb_for_loop, MySql, "CREATE PROCEDURE p() BEGIN FOR i IN 1..3 DO SELECT i; END FOR; END; SELECT 2", ["CREATE PROCEDURE p() BEGIN FOR i IN 1..3 DO SELECT i; END FOR; END", "SELECT 2"]);
    splits!(mysql_mariadb_begin_not_atomic_block, MySql, "BEGIN NOT ATOMIC IF 1 THEN SELECT 1; END IF; END; SELECT 2", ["BEGIN NOT ATOMIC IF 1 THEN SELECT 1; END IF; END", "SELECT 2"]);
    splits!(mysql_begin_alone_is_a_transaction, MySql, "BEGIN; INSERT INTO t VALUES (1); COMMIT;", ["BEGIN", "INSERT INTO t VALUES (1)", "COMMIT"]);
    splits!(mysql_begin_work_is_a_transaction, MySql, "BEGIN WORK; SELECT 1; COMMIT WORK", ["BEGIN WORK", "SELECT 1", "COMMIT WORK"]);
    splits!(mysql_if_in_ddl_and_expressions_outside_programs, MySql, "CREATE TABLE IF NOT EXISTS t (a INT); DROP TABLE IF EXISTS u; SELECT IF(1, 2, 3)", ["CREATE TABLE IF NOT EXISTS t (a INT)", "DROP TABLE IF EXISTS u", "SELECT IF(1, 2, 3)"]);
    splits!(mysql_keyword_names_in_quotes_open_nothing, MySql, "CREATE PROCEDURE p() BEGIN SELECT `end`, 'END IF', \"begin\" FROM `begin`; END; SELECT 1", ["CREATE PROCEDURE p() BEGIN SELECT `end`, 'END IF', \"begin\" FROM `begin`; END", "SELECT 1"]);
    splits!(mysql_qualified_end_column_is_not_a_keyword, MySql, "CREATE PROCEDURE p() BEGIN SELECT t.end FROM t; END; SELECT 1", ["CREATE PROCEDURE p() BEGIN SELECT t.end FROM t; END", "SELECT 1"]);
    splits!(mysql_keywords_are_case_insensitive, MySql, "create procedure p() begin if 1 then select 1; end if; end; select 2", ["create procedure p() begin if 1 then select 1; end if; end", "select 2"]);
    splits!(mysql_column_named_begin_outside_programs, MySql, "CREATE TABLE event (begin INT, end INT); SELECT 1", ["CREATE TABLE event (begin INT, end INT)", "SELECT 1"]);
    splits_at!(mysql_crlf_lines_and_no_carriage_return_left, MySql, "SELECT 1;\r\n\r\nSELECT\r\n  2;\r\n", [("SELECT 1", 1), ("SELECT\r\n  2", 3)]);
    splits!(mysql_empty_statements_are_dropped, MySql, ";;SELECT 1;;; ;SELECT 2;;", ["SELECT 1", "SELECT 2"]);
    splits!(mysql_comment_only_file_has_no_statement, MySql, "-- a\n# b\n/* c; */\n", []);
    splits!(mysql_number_ending_in_a_dot_qualifies_no_keyword, MySql, "CREATE PROCEDURE p() BEGIN IF a = 1. THEN IF b THEN SELECT 1; END IF; END IF; END; SELECT 2", ["CREATE PROCEDURE p() BEGIN IF a = 1. THEN IF b THEN SELECT 1; END IF; END IF; END", "SELECT 2"]);
    splits!(mysql_last_statement_without_delimiter, MySql, "SELECT 1;\nSELECT 2", ["SELECT 1", "SELECT 2"]);
    splits!(mysql_multibyte_characters_next_to_delimiters, MySql, "SELECT 'é';é;SELECT ü", ["SELECT 'é'", "é", "SELECT ü"]);
    splits_at!(mysql_line_is_that_of_first_token_after_comments, MySql, "# one\n/* two\n */ -- three\n\n  SELECT 1;", [("SELECT 1", 5)]);
    splits!(mysql_delimiter_after_a_statement_on_the_same_line_is_text, MySql, "SELECT 1; DELIMITER $$\nSELECT 2", ["SELECT 1", "DELIMITER $$\nSELECT 2"]);
    splits!(mysql_mysqldump_routine_under_double_semicolon, MySql, "DELIMITER ;;\n/*!50003 CREATE*/ /*!50020 DEFINER=`root`@`localhost`*/ /*!50003 PROCEDURE p() BEGIN SELECT 1; END */;;\nDELIMITER ;\nSELECT 2;", ["/*!50003 CREATE*/ /*!50020 DEFINER=`root`@`localhost`*/ /*!50003 PROCEDURE p() BEGIN SELECT 1; END */", "SELECT 2"]);
    splits!(mysql_program_head_inside_executable_comment, MySql, "/*!50003 CREATE */ PROCEDURE p() BEGIN SELECT 1; END; SELECT 2", ["/*!50003 CREATE */ PROCEDURE p() BEGIN SELECT 1; END", "SELECT 2"]);
    fails!(mysql_unterminated_single_quote, MySql, "SELECT 1;\nSELECT 'abc", Unterminated::StringLiteral, 2);
    fails!(mysql_backslash_escaping_final_quote_is_unterminated, MySql, r"SELECT 'a\'", Unterminated::StringLiteral, 1);
    fails!(mysql_unterminated_double_quoted_string, MySql, "\n\nSELECT \"x;", Unterminated::StringLiteral, 3);
    fails!(mysql_unterminated_backtick_identifier, MySql, "SELECT `a;\nSELECT 2", Unterminated::QuotedIdentifier, 1);
    fails!(mysql_unterminated_block_comment, MySql, "SELECT 1;\n/* x;", Unterminated::BlockComment, 2);
    fails!(mysql_unterminated_executable_comment, MySql, "SELECT 1;\n\n/*!50003 SELECT 2;", Unterminated::BlockComment, 3);
    fails!(mysql_unterminated_procedure_body, MySql, "SELECT 1;\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1;", Unterminated::CompoundBody, 3);
    fails!(mysql_unterminated_string_under_custom_delimiter, MySql, "DELIMITER $$\nSELECT 1$$\nSELECT 'x$$", Unterminated::StringLiteral, 3);

    // ---------------------------------------------------------------------------------------------
    // PostgreSQL
    // ---------------------------------------------------------------------------------------------

    splits!(postgres_splits_on_semicolons, Postgres, "SELECT 1; SELECT 2;", ["SELECT 1", "SELECT 2"]);
    splits!(postgres_backslash_is_ordinary_in_standard_string, Postgres, r"SELECT 'a\'; SELECT 2", [r"SELECT 'a\'", "SELECT 2"]);
    splits!(postgres_doubled_quote_stays_in_string, Postgres, "SELECT 'it''s;'; SELECT 2", ["SELECT 'it''s;'", "SELECT 2"]);
    splits!(postgres_escape_string_takes_backslash_escapes, Postgres, r"SELECT E'a\';b'; SELECT 2", [r"SELECT E'a\';b'", "SELECT 2"]);
    splits!(postgres_lowercase_escape_string_prefix, Postgres, r"SELECT e'\\', e'it''s;'; SELECT 2", [r"SELECT e'\\', e'it''s;'", "SELECT 2"]);
    splits!(postgres_word_ending_in_e_is_no_escape_prefix, Postgres, r"SELECT typE'\'; SELECT 2", [r"SELECT typE'\'", "SELECT 2"]);
    splits!(postgres_double_quoted_identifier_doubles_its_quote, Postgres, r#"SELECT "a"";b" FROM t; SELECT 2"#, [r#"SELECT "a"";b" FROM t"#, "SELECT 2"]);
    splits!(postgres_dash_comment_needs_no_space, Postgres, "SELECT 1--;x\n; SELECT 2", ["SELECT 1", "SELECT 2"]);
    splits!(postgres_hash_is_an_operator, Postgres, "SELECT 5 # 3; SELECT 2", ["SELECT 5 # 3", "SELECT 2"]);
    splits!(postgres_nested_block_comment_does_not_end_early, Postgres, "SELECT /* a /* b */ ; */ 1; SELECT 2", ["SELECT /* a /* b */ ; */ 1", "SELECT 2"]);
    splits!(postgres_dollar_quoted_function_body, Postgres, "CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql; SELECT f()", ["CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql", "SELECT f()"]);
    splits!(postgres_tagged_body_may_contain_double_dollars, Postgres, "CREATE FUNCTION f() RETURNS text AS $fn$ SELECT $$;$$ $fn$ LANGUAGE sql; SELECT 2", ["CREATE FUNCTION f() RETURNS text AS $fn$ SELECT $$;$$ $fn$ LANGUAGE sql", "SELECT 2"]);
    splits!(postgres_dollar_body_hides_quotes_and_comments, Postgres, "SELECT $q$ ' \" /* -- ; $q$; SELECT 2", ["SELECT $q$ ' \" /* -- ; $q$", "SELECT 2"]);
    splits!(postgres_positional_parameter_is_no_dollar_quote, Postgres, "PREPARE q AS SELECT $1; EXECUTE q(1)", ["PREPARE q AS SELECT $1", "EXECUTE q(1)"]);
    splits!(postgres_dollars_inside_identifier_are_no_quote, Postgres, "SELECT a$b$c; SELECT 2", ["SELECT a$b$c", "SELECT 2"]);
    splits!(postgres_lone_dollar_is_text, Postgres, "SELECT $; SELECT 2", ["SELECT $", "SELECT 2"]);
    splits_at!(postgres_begin_atomic_body_keeps_its_semicolons, Postgres, "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT 2;\nEND;\nSELECT 3", [("CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT 2;\nEND", 1), ("SELECT 3", 6)]);
    splits!(postgres_begin_atomic_with_nested_case_expressions, Postgres, "CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (CASE WHEN true THEN 1 ELSE CASE WHEN false THEN 2 END END); SELECT 1; END; SELECT 2", ["CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (CASE WHEN true THEN 1 ELSE CASE WHEN false THEN 2 END END); SELECT 1; END", "SELECT 2"]);
    splits!(postgres_begin_and_end_are_transaction_statements, Postgres, "BEGIN; SELECT CASE WHEN true THEN 1 END; END; COMMIT", ["BEGIN", "SELECT CASE WHEN true THEN 1 END", "END", "COMMIT"]);
    splits!(postgres_sql_function_with_return_case, Postgres, "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql RETURN CASE WHEN x > 0 THEN 1 END; SELECT 2", ["CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql RETURN CASE WHEN x > 0 THEN 1 END", "SELECT 2"]);
    splits_at!(postgres_crlf_lines_and_no_carriage_return_left, Postgres, "SELECT 1;\r\n\r\nSELECT\r\n 2;\r\n", [("SELECT 1", 1), ("SELECT\r\n 2", 3)]);
    splits!(postgres_empty_statements_are_dropped, Postgres, ";;; SELECT 1 ;;", ["SELECT 1"]);
    splits!(postgres_comment_only_file_has_no_statement, Postgres, "-- x\n/* y /* z */ ; */\n", []);
    splits!(postgres_last_statement_without_semicolon, Postgres, "SELECT 1;\nSELECT 2\n", ["SELECT 1", "SELECT 2"]);
    splits_at!(postgres_line_is_that_of_first_token_after_comments, Postgres, "/* a\nb */\n-- c\n  SELECT 1;", [("SELECT 1", 4)]);
    splits!(postgres_dollar_tags_are_case_sensitive, Postgres, "SELECT $A$ $a$; $A$; SELECT 2", ["SELECT $A$ $a$; $A$", "SELECT 2"]);
    fails!(postgres_unterminated_string, Postgres, "SELECT 1;\nSELECT 'x", Unterminated::StringLiteral, 2);
    fails!(postgres_unterminated_escape_string, Postgres, r"SELECT E'x\'", Unterminated::StringLiteral, 1);
    fails!(postgres_unterminated_quoted_identifier, Postgres, "\nSELECT \"x;", Unterminated::QuotedIdentifier, 2);
    fails!(postgres_unterminated_nested_block_comment, Postgres, "SELECT 1;\n/* a /* b */\n", Unterminated::BlockComment, 2);
    fails!(postgres_unterminated_tagged_dollar_body, Postgres, "SELECT 1;\nCREATE FUNCTION f() AS $body$\nSELECT 1;\n", Unterminated::DollarQuotedBody { tag: "body".into() }, 2);
    fails!(postgres_unterminated_dollar_body, Postgres, "SELECT $$ x;", Unterminated::DollarQuotedBody { tag: String::new() }, 1);
    fails!(postgres_unterminated_begin_atomic_body, Postgres, "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\nSELECT 1;", Unterminated::CompoundBody, 2);

    // ---------------------------------------------------------------------------------------------
    // SQLite
    // ---------------------------------------------------------------------------------------------

    splits!(sqlite_splits_on_semicolons, Sqlite, "SELECT 1; SELECT 2;", ["SELECT 1", "SELECT 2"]);
    splits!(sqlite_doubled_quote_stays_in_string, Sqlite, "SELECT 'it''s;'; SELECT 2", ["SELECT 'it''s;'", "SELECT 2"]);
    splits!(sqlite_backslash_is_ordinary_in_string, Sqlite, r"SELECT 'a\'; SELECT 2", [r"SELECT 'a\'", "SELECT 2"]);
    splits!(sqlite_double_quoted_identifier_doubles_its_quote, Sqlite, r#"SELECT "a"";b"; SELECT 2"#, [r#"SELECT "a"";b""#, "SELECT 2"]);
    splits!(sqlite_backtick_identifier_doubles_its_backtick, Sqlite, "SELECT `a``;b`; SELECT 2", ["SELECT `a``;b`", "SELECT 2"]);
    splits!(sqlite_bracket_identifier_hides_semicolon, Sqlite, "SELECT [a;b] FROM t; SELECT 2", ["SELECT [a;b] FROM t", "SELECT 2"]);
    splits!(sqlite_bracket_identifier_has_no_escape, Sqlite, "SELECT [a]]; SELECT 2", ["SELECT [a]]", "SELECT 2"]);
    splits!(sqlite_dash_comment_needs_no_space, Sqlite, "SELECT 1--;x\n, 2; SELECT 3", ["SELECT 1--;x\n, 2", "SELECT 3"]);
    splits!(sqlite_block_comment_does_not_nest, Sqlite, "SELECT /* a /* b */ 1; SELECT 2", ["SELECT /* a /* b */ 1", "SELECT 2"]);
    splits!(sqlite_hash_is_no_comment, Sqlite, "SELECT #a; SELECT 2", ["SELECT #a", "SELECT 2"]);
    splits_at!(sqlite_trigger_body_keeps_its_semicolons, Sqlite, "CREATE TRIGGER trg AFTER INSERT ON t\nBEGIN\n  INSERT INTO log VALUES (new.id);\n  UPDATE c SET n = n + 1;\nEND;\nSELECT 1", [("CREATE TRIGGER trg AFTER INSERT ON t\nBEGIN\n  INSERT INTO log VALUES (new.id);\n  UPDATE c SET n = n + 1;\nEND", 1), ("SELECT 1", 6)]);
    splits!(sqlite_temp_trigger_with_case_expression, Sqlite, "CREATE TEMP TRIGGER trg AFTER UPDATE ON t BEGIN UPDATE t SET a = CASE WHEN new.a > 0 THEN 1 ELSE 0 END; SELECT 1; END; SELECT 2", ["CREATE TEMP TRIGGER trg AFTER UPDATE ON t BEGIN UPDATE t SET a = CASE WHEN new.a > 0 THEN 1 ELSE 0 END; SELECT 1; END", "SELECT 2"]);
    splits!(sqlite_temporary_trigger_with_case_in_when_clause, Sqlite, "CREATE TEMPORARY TRIGGER IF NOT EXISTS trg BEFORE DELETE ON t WHEN CASE WHEN old.a THEN 1 END BEGIN SELECT RAISE(ABORT, 'no;'); DELETE FROM u; END; SELECT 1", ["CREATE TEMPORARY TRIGGER IF NOT EXISTS trg BEFORE DELETE ON t WHEN CASE WHEN old.a THEN 1 END BEGIN SELECT RAISE(ABORT, 'no;'); DELETE FROM u; END", "SELECT 1"]);
    splits!(sqlite_begin_and_end_are_transaction_statements, Sqlite, "BEGIN; INSERT INTO t VALUES (1); END;", ["BEGIN", "INSERT INTO t VALUES (1)", "END"]);
    splits!(sqlite_columns_named_begin_and_end_outside_triggers, Sqlite, "CREATE TABLE t (begin INT, end INT); SELECT 1", ["CREATE TABLE t (begin INT, end INT)", "SELECT 1"]);
    splits_at!(sqlite_crlf_lines_and_no_carriage_return_left, Sqlite, "SELECT 1;\r\nSELECT 2\r\n;\r\nSELECT 3\r\n", [("SELECT 1", 1), ("SELECT 2", 2), ("SELECT 3", 4)]);
    splits!(sqlite_empty_statements_are_dropped, Sqlite, "; ;\n;SELECT 1;;", ["SELECT 1"]);
    splits!(sqlite_comment_only_file_has_no_statement, Sqlite, "/* a */ -- b\n-- c", []);
    splits!(sqlite_last_statement_without_semicolon, Sqlite, "SELECT 1; SELECT 2 -- done", ["SELECT 1", "SELECT 2"]);
    fails!(sqlite_unterminated_string, Sqlite, "SELECT 1;\nSELECT 'x", Unterminated::StringLiteral, 2);
    fails!(sqlite_unterminated_double_quoted_identifier, Sqlite, "SELECT \"x", Unterminated::QuotedIdentifier, 1);
    fails!(sqlite_unterminated_backtick_identifier, Sqlite, "\n\nSELECT `x", Unterminated::QuotedIdentifier, 3);
    fails!(sqlite_unterminated_bracket_identifier, Sqlite, "SELECT 1;\nSELECT [x;", Unterminated::QuotedIdentifier, 2);
    fails!(sqlite_unterminated_block_comment, Sqlite, "SELECT 1;\n/* x", Unterminated::BlockComment, 2);
    fails!(sqlite_unterminated_trigger_body, Sqlite, "SELECT 1;\nCREATE TRIGGER trg AFTER INSERT ON t\nBEGIN\n  SELECT 1;", Unterminated::CompoundBody, 3);
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// A piece of a generated script: punctuation that opens and closes things, words the splitter
/// reacts to, well-formed tokens, directives and arbitrary characters.
fn fragment() -> impl Strategy<Value = String> {
    let punct = [
        "'", "\"", "`", ";", "-", "#", "/", "*", "!", "$", "\\", "\n", "\r", " ", "[", "]", "(",
        ")", ".", ":", "=", "@", "E", "M",
    ];
    let words = [
        "BEGIN",
        "END",
        "IF",
        "CASE",
        "CREATE",
        "PROCEDURE",
        "FUNCTION",
        "TRIGGER",
        "EVENT",
        "ATOMIC",
        "DELIMITER",
        "LOOP",
        "WHILE",
        "REPEAT",
        "FOR",
        "THEN",
        "ELSE",
        "DO",
        "NOT",
        "ROW",
        "TEMP",
        "DEFINER",
        "select",
        "x",
        "1",
    ];
    let pieces = [
        "--",
        "-- ",
        "/*",
        "*/",
        "/*!",
        "/*M!100101",
        "$$",
        "$fn$",
        "E'",
        "\r\n",
        "''",
        "'a;b'",
        "\"c;d\"",
        "`e;f`",
        "[g;h]",
        "/* ; */",
        "-- ;\n",
        "# ;\n",
        "$$ ; $$",
        "\nDELIMITER $$\n",
        "\nDELIMITER ;\n",
        "\nDELIMITER //\n",
        "\nDELIMITER ",
        "$$",
        "//",
        "é",
        "😀",
    ];
    prop_oneof![
        3 => Just(";".to_owned()),
        2 => proptest::sample::select(vec![" ", "\n", "\t"]).prop_map(str::to_owned),
        8 => proptest::sample::select(punct.to_vec()).prop_map(str::to_owned),
        5 => proptest::sample::select(words.to_vec()).prop_map(|w| format!(" {w} ")),
        4 => proptest::sample::select(pieces.to_vec()).prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ]
}

fn script() -> impl Strategy<Value = String> {
    proptest::collection::vec(fragment(), 0..60).prop_map(|pieces| pieces.concat())
}

/// The delimiters a script may use: `;` and the argument of every line that looks like a MySQL
/// `DELIMITER` directive.
fn candidate_delimiters(script: &str, dialect: Dialect) -> Vec<String> {
    let mut delimiters = vec![";".to_owned()];
    if dialect == Dialect::MySql {
        delimiters.extend(
            script
                .split('\n')
                .filter_map(directive_argument)
                .map(str::to_owned),
        );
    }
    delimiters
}

/// The argument of a `DELIMITER` line, by the rules of the module docs.
fn directive_argument(line: &str) -> Option<&str> {
    let line = line.trim_start_matches([' ', '\t']);
    let word = line.get(..9)?;
    let rest = line.get(9..)?;
    let arg = rest.trim_matches(|c: char| c.is_ascii() && is_space(c as u8));
    let arg = arg
        .split(|c: char| c.is_ascii() && is_space(c as u8))
        .next()
        .unwrap_or(arg);
    (word.eq_ignore_ascii_case("delimiter") && rest.starts_with([' ', '\t']) && !arg.is_empty())
        .then_some(arg)
}

/// The length of the comment at the start of `rest`, if one starts there and ends within it.
fn comment_len(rest: &[u8], dialect: Dialect) -> Option<usize> {
    let to_line_end = || rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    match rest {
        [b'-', b'-', after @ ..] => {
            let ok =
                dialect != Dialect::MySql || after.first().is_none_or(|&c| c <= b' ' || c == 0x7f);
            ok.then(to_line_end)
        }
        [b'#', ..] if dialect == Dialect::MySql => Some(to_line_end()),
        [b'/', b'*', after @ ..] => {
            let executable = after.starts_with(b"!") || after.starts_with(b"M!");
            if dialect == Dialect::MySql && executable {
                return None;
            }
            let mut depth = 1;
            let mut i = 2;
            while i + 1 < rest.len() {
                match &rest[i..i + 2] {
                    b"*/" => {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            return Some(i);
                        }
                    }
                    b"/*" if dialect == Dialect::Postgres => {
                        depth += 1;
                        i += 2;
                    }
                    _ => i += 1,
                }
            }
            None
        }
        _ => None,
    }
}

/// Checks that the gap `range` of `script` between statements is made only of whitespace,
/// comments, delimiters and `DELIMITER` lines, without using the splitter: a path through the
/// gap made of such pieces is searched for. The comments of that path, glued together, are
/// then split, and must give no statement.
fn check_gap(
    script: &str,
    range: std::ops::Range<usize>,
    dialect: Dialect,
    delimiters: &[String],
) -> Result<(), TestCaseError> {
    let bytes = script.as_bytes();
    let len = range.end - range.start;
    // `from[i]`: how the first `i` bytes of the gap can be reached, as (previous index, is comment).
    let mut from: Vec<Option<(usize, bool)>> = vec![None; len + 1];
    from[0] = Some((0, false));
    for i in 0..len {
        if from[i].is_none() {
            continue;
        }
        let at = range.start + i;
        let rest = &bytes[at..range.end];
        let mut steps: Vec<(usize, bool)> = Vec::new();
        if is_space(rest[0]) {
            steps.push((1, false));
        }
        for d in delimiters {
            if rest.starts_with(d.as_bytes()) {
                steps.push((d.len(), false));
            }
        }
        if dialect == Dialect::MySql
            && (at == crate::lex::bom_len(script) || bytes[at - 1] == b'\n')
        {
            let line_len = rest
                .iter()
                .position(|&b| b == b'\n')
                .map_or(rest.len(), |p| p + 1);
            if std::str::from_utf8(&rest[..line_len])
                .ok()
                .and_then(directive_argument)
                .is_some()
            {
                steps.push((line_len, false));
            }
        }
        if let Some(n) = comment_len(rest, dialect) {
            steps.push((n, true));
        }
        for (n, comment) in steps {
            if n > 0 && from[i + n].is_none() {
                from[i + n] = Some((i, comment));
            }
        }
    }
    prop_assert!(
        from[len].is_some(),
        "gap {:?} holds more than comments and delimiters",
        &script[range]
    );
    let mut comments = Vec::new();
    let mut i = len;
    while i > 0 {
        let Some((prev, comment)) = from[i] else {
            break;
        };
        if comment {
            comments.push(&script[range.start + prev..range.start + i]);
        }
        i = prev;
    }
    comments.reverse();
    let glued = comments.join("\n");
    prop_assert_eq!(
        split(&glued, dialect),
        Ok(Vec::new()),
        "comments {:?}",
        glued
    );
    Ok(())
}

fn check_script(script: &str, dialect: Dialect) -> Result<(), TestCaseError> {
    let statements = match split(script, dialect) {
        Ok(statements) => statements,
        Err(e) => {
            let lines = 1 + script.matches('\n').count();
            prop_assert!(
                e.line >= 1 && e.line as usize <= lines,
                "error line {} of {}",
                e.line,
                lines
            );
            return Ok(());
        }
    };
    let delimiters = candidate_delimiters(script, dialect);
    // A leading byte order mark is skipped, never part of a statement or a gap.
    let mut end = crate::lex::bom_len(script);
    for s in &statements {
        prop_assert!(
            end <= s.span.start && s.span.start < s.span.end,
            "span {:?} after {}",
            s.span,
            end
        );
        prop_assert_eq!(script.get(s.span.clone()), Some(s.sql));
        let (first, last) = (s.sql.as_bytes()[0], s.sql.as_bytes()[s.sql.len() - 1]);
        prop_assert!(
            !is_space(first) && !is_space(last),
            "whitespace around {:?}",
            s.sql
        );
        prop_assert_eq!(
            s.line as usize,
            1 + script[..s.span.start].matches('\n').count()
        );
        check_gap(script, end..s.span.start, dialect, &delimiters)?;
        end = s.span.end;
    }
    check_gap(script, end..script.len(), dialect, &delimiters)?;
    // The statements, concatenated, are a subsequence of the script.
    let mut input = script.chars();
    for c in statements.iter().flat_map(|s| s.sql.chars()) {
        prop_assert!(input.any(|i| i == c), "{:?} is not a subsequence", c);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mysql_split_loses_nothing_and_never_panics(script in script()) {
        check_script(&script, Dialect::MySql)?;
    }

    #[test]
    fn postgres_split_loses_nothing_and_never_panics(script in script()) {
        check_script(&script, Dialect::Postgres)?;
    }

    #[test]
    fn sqlite_split_loses_nothing_and_never_panics(script in script()) {
        check_script(&script, Dialect::Sqlite)?;
    }
}
