//! What a statement can change in the schema, judged from its text, so that the runner can
//! describe only the tables a version touched instead of the whole schema.
//!
//! Only a few statement forms are recognised, those whose effect stays with the objects of the
//! tables they name (the table itself, its columns, indexes, constraints and triggers):
//!
//! - `CREATE [OR REPLACE] [TEMPORARY | UNLOGGED …] TABLE [IF NOT EXISTS] t …`;
//! - `ALTER [ONLINE | IGNORE] TABLE [IF EXISTS] [ONLY] t …`, unless it renames anything
//!   (`RENAME`, and MySQL's `CHANGE`, since the server rewrites other tables' foreign keys and,
//!   on SQLite, views and triggers), cascades (`CASCADE`, other than a foreign key's
//!   `ON DELETE`/`ON UPDATE` action), moves partitions or inheritance between tables
//!   (`ATTACH`, `DETACH`, `EXCHANGE`, `INHERIT`) or schemas (`SCHEMA`);
//! - `CREATE [UNIQUE …] INDEX … ON t`, `DROP INDEX i ON t` (MySQL) and `DROP INDEX i` (whose
//!   table the runner looks up in the description it holds);
//! - `DROP [TEMPORARY] TABLE [IF EXISTS] t, u [RESTRICT]`;
//! - data statements (`INSERT`, `UPDATE`, `DELETE`, `REPLACE`, MySQL's `TRUNCATE`): on
//!   MySQL/MariaDB and SQLite, where neither triggers nor stored functions may run DDL (the
//!   servers refuse it), they change nothing; on PostgreSQL they change nothing unless a
//!   user-defined function they run (a trigger's, a default's) does, which the runner rules
//!   out by asking the server whether any such function exists.
//!
//! Anything else — views, routines, types, sequences, renames, `CASCADE`, a schema-qualified
//! name, a PostgreSQL dollar-quoted body, a statement holding a
//! `;`, a data statement naming a catalog (`mysql.…`, `sqlite_…`, `pg_…`,
//! `information_schema`) — reaches [`Reach::Anything`] and the whole schema is described. A
//! statement that is not understood is meant never to be given a narrower reach; the runner
//! checks the last version of a run against a whole description (see [`super::scope`]).
//!
//! The tokens come from [`crate::lex`], whose rules the splitter follows too: strings and
//! quoted identifiers of each dialect, comments, MySQL's executable comments (read as SQL), and
//! PostgreSQL's `E'…'` strings.

use crate::lex::{Lexer, Quote, Token as Lexeme};
use crate::Dialect;

/// A table or index name as a statement writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Name {
    /// The text, unquoted.
    pub(crate) text: String,
    /// Whether it was quoted (PostgreSQL folds unquoted names to lower case).
    pub(crate) quoted: bool,
}

impl Name {
    /// The names the server may have stored this one under, matched exactly: PostgreSQL folds
    /// an unquoted name to lower case; MySQL/MariaDB store it as written or, with
    /// `lower_case_table_names = 1`, in lower case; SQLite compares names case-insensitively
    /// (the caller matches them so).
    pub(crate) fn stored(&self, dialect: Dialect) -> Vec<String> {
        match dialect {
            Dialect::Postgres if !self.quoted => vec![self.text.to_ascii_lowercase()],
            Dialect::Postgres => vec![self.text.clone()],
            Dialect::MySql => {
                let lower = self.text.to_ascii_lowercase();
                if lower == self.text {
                    vec![lower]
                } else {
                    vec![self.text.clone(), lower]
                }
            }
            Dialect::Sqlite => vec![self.text.to_ascii_lowercase()],
        }
    }
}

/// What one statement can change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reach {
    /// Nothing in the schema.
    Nothing,
    /// Nothing, unless a user-defined function it runs changes the schema (PostgreSQL data
    /// statements).
    Functions,
    /// Only the objects of these tables; `drop` when it drops them (`DROP TABLE`, MariaDB's
    /// `CREATE OR REPLACE TABLE`) and with them their triggers, which no other statement
    /// recognised here changes.
    Tables { names: Vec<Name>, drop: bool },
    /// Only the objects of the tables these indexes belong to (it drops them).
    Indexes(Vec<Name>),
    /// Anything at all.
    Anything,
}

/// What `statement` can change in the schema on `dialect`.
pub(crate) fn reach(statement: &str, dialect: Dialect) -> Reach {
    let Some(tokens) = tokens(statement, dialect) else {
        return Reach::Anything;
    };
    // A statement holding `;` of its own (a MySQL script with its own DELIMITER) may be
    // several, which the server runs in turn.
    if tokens.contains(&Token::Punct(';')) {
        return Reach::Anything;
    }
    let mut p = Parser {
        tokens: &tokens,
        at: 0,
        dialect,
    };
    p.statement(statement).unwrap_or(Reach::Anything)
}

/// Whether `text` names none of `catalogs`: a data statement writing a server's own tables
/// (`mysql.…`, through which routines could be rewritten; SQLite's schema table, writable with
/// `PRAGMA writable_schema`; PostgreSQL's `pg_…` catalogs) may change the schema. Judged by
/// the text, so a literal that merely contains such a word makes it answer `false`, never
/// the reverse.
fn leaves_catalogs(text: &str, catalogs: &[&str]) -> bool {
    let lower = text.to_ascii_lowercase();
    !catalogs.iter().any(|c| lower.contains(c))
}

/// A token of one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// An unquoted word, as written.
    Word(String),
    /// A quoted identifier, unescaped.
    Quoted(String),
    /// A string or number.
    Literal,
    /// Any other character.
    Punct(char),
}

/// The tokens of `sql` read by the rules of [`crate::lex`], or `None` where the text holds
/// what is not followed here: a PostgreSQL dollar-quoted body or `$` word other than a `$1`
/// parameter, a backtick on PostgreSQL, or an unterminated token.
fn tokens(sql: &str, dialect: Dialect) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    for item in Lexer::new(sql, dialect) {
        let (lexeme, range) = item.ok()?;
        let text = sql.get(range)?;
        let token = match lexeme {
            Lexeme::Word if dialect.dollar_quotes() && text.starts_with('$') => text[1..]
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then_some(Token::Literal)?,
            Lexeme::Word => Token::Word(text.to_owned()),
            Lexeme::Number | Lexeme::Quoted(Quote::String | Quote::EscapeString) => Token::Literal,
            Lexeme::Quoted(Quote::Bracketed) => Token::Quoted(text[1..text.len() - 1].to_owned()),
            Lexeme::Quoted(Quote::Identifier) => {
                let close = &text[..1];
                let inner = &text[1..text.len() - 1];
                Token::Quoted(inner.replace(&close.repeat(2), close))
            }
            Lexeme::Dollar => return None,
            Lexeme::Punct(b'`') if !dialect.backtick_identifiers() => return None,
            Lexeme::Punct(b) => Token::Punct(char::from(b)),
            // The close of an executable comment is punctuation, never a name.
            Lexeme::ExecClose => {
                out.push(Token::Punct('*'));
                Token::Punct('/')
            }
        };
        out.push(token);
    }
    Some(out)
}

/// Reads the recognised forms off the tokens; `None` is [`Reach::Anything`].
struct Parser<'t> {
    tokens: &'t [Token],
    at: usize,
    dialect: Dialect,
}

impl Parser<'_> {
    fn statement(&mut self, text: &str) -> Option<Reach> {
        let first = self.word()?;
        match first.as_str() {
            "INSERT" | "UPDATE" | "DELETE" | "MERGE" | "TRUNCATE"
                if self.dialect.user_code_runs_ddl() =>
            {
                // `set_config` changes the search path, and so the schema described.
                let beyond = ["set_config", "pg_", "information_schema"];
                leaves_catalogs(text, &beyond).then_some(Reach::Functions)
            }
            "INSERT" | "UPDATE" | "DELETE" | "REPLACE" if !self.dialect.user_code_runs_ddl() => {
                leaves_catalogs(text, &["mysql", "sqlite_"]).then_some(Reach::Nothing)
            }
            "TRUNCATE" if self.dialect.has_truncate() => {
                leaves_catalogs(text, &["mysql"]).then_some(Reach::Nothing)
            }
            "CREATE" => self.create(),
            "ALTER" => self.alter(),
            "DROP" => self.drop(),
            _ => None,
        }
    }

    /// The next token as an upper-case word, consumed; `None` if it is not a word.
    fn word(&mut self) -> Option<String> {
        match self.tokens.get(self.at) {
            Some(Token::Word(w)) => {
                self.at += 1;
                Some(w.to_ascii_uppercase())
            }
            _ => None,
        }
    }

    /// Whether the next token is the word `word` (upper case); consumes it if so.
    fn eat(&mut self, word: &str) -> bool {
        match self.tokens.get(self.at) {
            Some(Token::Word(w)) if w.eq_ignore_ascii_case(word) => {
                self.at += 1;
                true
            }
            _ => false,
        }
    }

    /// Consumes the words `words` in sequence if they all come next.
    fn eat_all(&mut self, words: &[&str]) -> bool {
        let start = self.at;
        if words.iter().all(|w| self.eat(w)) {
            return true;
        }
        self.at = start;
        false
    }

    fn punct(&mut self, c: char) -> bool {
        if self.tokens.get(self.at) == Some(&Token::Punct(c)) {
            self.at += 1;
            return true;
        }
        false
    }

    /// An unqualified name; `None` for a qualified one (`schema.t`), which is not followed.
    fn name(&mut self) -> Option<Name> {
        let name = match self.tokens.get(self.at)? {
            Token::Word(w) => Name {
                text: w.clone(),
                quoted: false,
            },
            Token::Quoted(q) => Name {
                text: q.clone(),
                quoted: true,
            },
            _ => return None,
        };
        self.at += 1;
        // A qualified name, PostgreSQL's `U&"…"` (read as the word `U`), an empty name, and a
        // PostgreSQL name longer than the server keeps (63 bytes; it truncates) are not followed.
        let next = self.tokens.get(self.at);
        let truncated = self
            .dialect
            .truncates_identifiers_at()
            .is_some_and(|max| name.text.len() > max);
        if matches!(next, Some(Token::Punct('.' | '&'))) || name.text.is_empty() || truncated {
            return None;
        }
        Some(name)
    }

    /// Names separated by commas, up to the end or a word that is not a name's.
    fn names(&mut self) -> Option<Vec<Name>> {
        let mut names = vec![self.name()?];
        while self.punct(',') {
            names.push(self.name()?);
        }
        Some(names)
    }

    fn at_end(&self) -> bool {
        self.at == self.tokens.len()
    }

    fn create(&mut self) -> Option<Reach> {
        // MariaDB's `CREATE OR REPLACE TABLE` drops the table it replaces, triggers and all.
        let replaces = self.dialect.or_replace_tables() && self.eat_all(&["OR", "REPLACE"]);
        while ["TEMPORARY", "TEMP", "GLOBAL", "LOCAL", "UNLOGGED"]
            .iter()
            .any(|w| self.eat(w))
        {}
        let index_options = match self.dialect {
            Dialect::MySql => &["ONLINE", "OFFLINE", "UNIQUE", "FULLTEXT", "SPATIAL"][..],
            _ => &["UNIQUE"][..],
        };
        if self.eat("TABLE") {
            self.eat_all(&["IF", "NOT", "EXISTS"]);
            let name = self.name()?;
            return Some(Reach::Tables {
                names: vec![name],
                drop: replaces,
            });
        }
        while index_options.iter().any(|w| self.eat(w)) {}
        if !self.eat("INDEX") {
            return None;
        }
        // The table follows the first `ON` outside parentheses; before it come the index's
        // name and options, none of them `ON`.
        let mut depth = 0i32;
        while let Some(token) = self.tokens.get(self.at) {
            self.at += 1;
            match token {
                Token::Punct('(') => depth += 1,
                Token::Punct(')') => depth -= 1,
                Token::Word(w) if depth == 0 && w.eq_ignore_ascii_case("ON") => {
                    if self.dialect.table_inheritance() {
                        self.eat("ONLY");
                    }
                    let name = self.name()?;
                    return Some(Reach::Tables {
                        names: vec![name],
                        drop: false,
                    });
                }
                _ => {}
            }
        }
        None
    }

    fn alter(&mut self) -> Option<Reach> {
        if self.dialect.alter_table_modifiers() {
            while self.eat("ONLINE") || self.eat("IGNORE") {}
        }
        if !self.eat("TABLE") {
            return None;
        }
        self.eat_all(&["IF", "EXISTS"]);
        if self.dialect.table_inheritance() {
            self.eat("ONLY");
        }
        let name = self.name()?;
        self.punct('*');
        // Actions whose effect leaves the table, or that this judgement does not follow.
        const BEYOND: [&str; 7] = [
            "RENAME", "CHANGE", "ATTACH", "DETACH", "EXCHANGE", "INHERIT", "SCHEMA",
        ];
        let rest = &self.tokens[self.at..];
        for (i, token) in rest.iter().enumerate() {
            let Token::Word(w) = token else { continue };
            let w = w.to_ascii_uppercase();
            if BEYOND.contains(&w.as_str()) {
                return None;
            }
            // MariaDB's `CONVERT PARTITION … TO TABLE` and `CONVERT TABLE … TO PARTITION` make
            // or remove another table (`CONVERT TO CHARACTER SET` stays with this one).
            let next = rest.get(i + 1);
            if w == "CONVERT"
                && matches!(next, Some(Token::Word(n))
                    if n.eq_ignore_ascii_case("PARTITION") || n.eq_ignore_ascii_case("TABLE"))
            {
                return None;
            }
            if w == "CASCADE" {
                // A foreign key's `ON DELETE CASCADE` / `ON UPDATE CASCADE` stays with the table.
                let action = i >= 2
                    && matches!(&rest[i - 2], Token::Word(on) if on.eq_ignore_ascii_case("ON"))
                    && matches!(&rest[i - 1], Token::Word(event)
                        if event.eq_ignore_ascii_case("DELETE") || event.eq_ignore_ascii_case("UPDATE"));
                if !action {
                    return None;
                }
            }
        }
        Some(Reach::Tables {
            names: vec![name],
            drop: false,
        })
    }

    fn drop(&mut self) -> Option<Reach> {
        if self.dialect.temporary_drops() {
            self.eat("TEMPORARY");
        }
        if self.eat("TABLE") {
            self.eat_all(&["IF", "EXISTS"]);
            let names = self.names()?;
            self.eat("RESTRICT");
            return self.at_end().then_some(Reach::Tables { names, drop: true });
        }
        if !self.eat("INDEX") {
            return None;
        }
        match self.dialect {
            Dialect::MySql => {
                self.eat_all(&["IF", "EXISTS"]);
                self.name()?;
                if !self.eat("ON") {
                    return None;
                }
                let table = self.name()?;
                // `ALGORITHM = …` and `LOCK = …` may follow; they stay with the table.
                Some(Reach::Tables {
                    names: vec![table],
                    drop: false,
                })
            }
            Dialect::Postgres | Dialect::Sqlite => {
                if self.dialect.concurrent_indexes() {
                    self.eat("CONCURRENTLY");
                }
                self.eat_all(&["IF", "EXISTS"]);
                let names = self.names()?;
                self.eat("RESTRICT");
                self.at_end().then_some(Reach::Indexes(names))
            }
        }
    }
}

#[cfg(test)]
mod tests;
