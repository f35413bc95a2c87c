//! Splitting a script into the statements sent to the server, one at a time.
//!
//! [`split`] returns every statement of a script in order, each exactly as it will be sent: it
//! starts at its first token (leading whitespace and comments are skipped, and
//! [`Statement::line`] is the line of that token) and ends at its last token, so it carries no
//! delimiter, no surrounding whitespace and no trailing comment. Pieces holding nothing but
//! whitespace and comments (`;;`, a comment between two statements, a comment-only file) yield no
//! statement. [`Statement::span`] is the byte range of the text in the script. A string, quoted
//! identifier, comment or body still open at the end of the script is a [`SplitError`] naming
//! what was left open and the line where it starts.
//!
//! # The lexer
//!
//! The script is read byte by byte by one loop driven by a lexical state (ordinary text, a word,
//! a quoted token, a line comment, a block comment, a dollar-quoted body). The delimiter is only
//! looked for in ordinary text and words, so it never splits a literal, an identifier or a
//! comment. The rules below live in the crate's private `lex` module, which the scope reader
//! and the implicit-commit rules read too, so all three agree on words, quotes and comments.
//! Each dialect quotes and comments as its server does:
//!
//! - **MySQL/MariaDB**: `'…'` and `"…"` are strings where both a backslash and a doubled quote
//!   escape the quote; `` `…` `` identifiers double their backtick. Comments are `#` to the end of
//!   the line, `--` only when the dashes are followed by whitespace, a control character or the
//!   end of the script (`1--1` is arithmetic), and `/* … */`, which does not nest. Executable
//!   comments `/*! … */`, `/*!50003 … */`, `/*M! … */` and `/*M!100101 … */` are statement text:
//!   their content is read as ordinary SQL, they are kept in the statement and nothing inside them
//!   ends it.
//! - **PostgreSQL**: `'…'` doubles its quote and a backslash is an ordinary character, while in
//!   `E'…'` a backslash escapes too; `"…"` identifiers double their quote. `--` comments need no
//!   space after them and `/* … */` comments nest. `$$…$$` and `$tag$…$tag$` are opaque bodies
//!   (the tag is a word that does not start with a digit, so `$1` is a parameter).
//! - **SQLite**: `'…'` strings and `"…"`, `` `…` `` identifiers double their quote; `[…]` is an
//!   identifier without escapes; comments are `--` and `/* … */` (not nested).
//!
//! All dialects accept CRLF line ends; a line is counted at each `\n`.
//!
//! # Delimiters
//!
//! The delimiter is `;`. On MySQL a line that starts (after spaces or tabs) with `DELIMITER`,
//! a space or tab and some text makes the first word of that text the delimiter until the next
//! such line (so `DELIMITER ; # back to normal` sets `;`); this is the `mysql` client's directive, so the line itself is never sent and a
//! statement still pending when it appears ends there, as in the client. A `DELIMITER` line with
//! nothing after the word is not a directive: it stays statement text and the server reports it.
//! Inside an executable comment or an open compound body there is no directive.
//!
//! # Compound bodies
//!
//! Some statements hold `;` of their own. The splitter follows the keywords of each statement
//! (unquoted words outside comments, compared case-insensitively as whole words; a word right
//! after a `.` is a qualified name, never a keyword) and keeps a stack of open blocks: while the
//! stack is not empty a `;` is statement text. `END` closes the innermost block.
//!
//! - **MySQL/MariaDB**, only while the delimiter is `;` (a script that sets its own delimiter has
//!   said where its statements end). Blocks are followed in stored programs: statements starting
//!   `CREATE [OR REPLACE] [DEFINER = user] [AGGREGATE] PROCEDURE | FUNCTION | TRIGGER | EVENT`.
//!   There `BEGIN` always opens a block and `CASE` opens one unless it follows `END` (a `CASE`
//!   statement closes with `END CASE`, a `CASE` expression with `END`). `IF`, `LOOP`, `WHILE`,
//!   `REPEAT` and MariaDB's `FOR` open a block only where a statement may start and never right
//!   after `END` (`END IF`, `END LOOP`). A statement may start right after `;`, a label's `:`,
//!   `BEGIN`, `BEGIN NOT ATOMIC`, `DO`, `LOOP`, `REPEAT`, `FOR EACH ROW`, a handler's
//!   `SQLEXCEPTION`, `SQLWARNING` or `NOT FOUND`, and `THEN` or `ELSE` unless the innermost block
//!   is a `CASE` expression. So `IF(a, b, c)`, `DROP TABLE IF EXISTS`, `IF NOT EXISTS` in DDL and
//!   `REPEAT('x', 3)` open nothing, while `IF NOT EXISTS (…) THEN` as a statement does. A stored
//!   program with a single-statement body (`CREATE FUNCTION f() RETURNS INT RETURN 1;`) opens no
//!   block and ends at its `;`. Outside stored programs `BEGIN;` and `BEGIN WORK;` are transaction
//!   statements; MariaDB's anonymous blocks, statements starting with `BEGIN NOT ATOMIC`, `IF`,
//!   `CASE`, `LOOP`, `WHILE`, `REPEAT` or `FOR`, are followed like stored programs.
//! - **PostgreSQL**: `BEGIN ATOMIC` opens a block (the SQL-standard body of a function or
//!   procedure); inside one, `CASE` opens a block too. Bodies in dollar quotes are opaque.
//! - **SQLite**: in `CREATE [TEMP | TEMPORARY] TRIGGER` statements, `BEGIN` and `CASE` open
//!   blocks (including a `CASE` in the `WHEN` clause).
//!
//! # Limits
//!
//! An unquoted identifier spelled like one of these keywords inside a body (a column named `end`
//! or `begin` in a MySQL procedure, say) confuses the count; quote it, or qualify it (`t.end`).
//! A MySQL stored program whose whole body is a bare `IF` or loop statement (no `BEGIN`) is only
//! recognised after `FOR EACH ROW` or an event's `DO`; elsewhere use `BEGIN … END` or
//! `DELIMITER`. Server settings that change the lexical rules are not followed: MySQL's
//! `NO_BACKSLASH_ESCAPES` and `ANSI_QUOTES`, PostgreSQL's `standard_conforming_strings = off`.
//! Unlike the `mysql` client, a quoted `DELIMITER` argument is not unquoted.

use std::ops::Range;

use self::body::{keyword, Body, Tok};
use crate::lex::{self, is_space, is_word_byte, Quote};
use crate::Dialect;

/// One statement of a script, exactly as it will be sent to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement<'a> {
    /// The statement text, without its delimiter and surrounding whitespace.
    pub sql: &'a str,
    /// The 1-based line of the script on which the statement starts.
    pub line: u32,
    /// The byte range of [`Statement::sql`] in the script.
    pub span: Range<usize>,
}

/// What was left open at the end of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unterminated {
    /// A `'…'` string (or `"…"` on MySQL, `E'…'` on PostgreSQL).
    StringLiteral,
    /// A quoted identifier: `"…"`, `` `…` `` or `[…]`.
    QuotedIdentifier,
    /// A `/* … */` comment, including MySQL executable comments.
    BlockComment,
    /// A PostgreSQL dollar-quoted body; `tag` is the text between the dollars (empty for `$$`).
    DollarQuotedBody {
        /// The tag between the dollar signs.
        tag: String,
    },
    /// A `BEGIN … END` body (stored program, trigger or `BEGIN ATOMIC`) never closed.
    CompoundBody,
}

/// A script that cannot be split because something is left open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unterminated {what} starting at line {line}")]
pub struct SplitError {
    /// What was left open.
    pub what: Unterminated,
    /// The 1-based line where it starts.
    pub line: u32,
}

impl std::fmt::Display for Unterminated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unterminated::StringLiteral => f.write_str("string literal"),
            Unterminated::QuotedIdentifier => f.write_str("quoted identifier"),
            Unterminated::BlockComment => f.write_str("block comment"),
            Unterminated::DollarQuotedBody { tag } => write!(f, "dollar-quoted body ${tag}$"),
            Unterminated::CompoundBody => f.write_str("BEGIN … END body"),
        }
    }
}

/// Splits `script` into statements for `dialect`, following the rules of the module docs.
///
/// # Errors
///
/// A [`SplitError`] when a string literal, quoted identifier, block comment (including a MySQL
/// executable comment), dollar-quoted body or compound body is still open at the end of the
/// script; its line is the line where that construct starts.
pub fn split(script: &str, dialect: Dialect) -> Result<Vec<Statement<'_>>, SplitError> {
    Splitter::new(script, dialect).run()
}

/// The length of a leading UTF-8 byte order mark: an editor's mark, not SQL, which servers
/// reject, so the splitter starts after it.
pub(crate) fn bom_len(text: &str) -> usize {
    if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    }
}

mod body;
#[cfg(test)]
mod tests;

// ---------------------------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------------------------

/// Where the byte under the cursor belongs. Quoted tokens, comments and dollar-quoted bodies
/// are read whole by [`crate::lex`]; the states for them are only reached when one is left
/// open, and say what to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Ordinary SQL between tokens.
    Normal,
    /// An unquoted word (keyword, identifier, number) that began at `start`.
    Word { start: usize },
    /// A string or quoted identifier opened at `start` and never closed.
    Quoted { start: usize, quote: Quote },
    /// A `--` or `#` comment, up to the end of the line.
    LineComment,
    /// A `/* … */` comment opened at `start` and never closed.
    BlockComment { start: usize },
    /// A PostgreSQL dollar-quoted body whose opening `$tag$` is `start..body`, never closed.
    DollarQuoted { start: usize, body: usize },
}

impl Quote {
    /// What is reported when a token of this kind is left open.
    fn unterminated(self) -> Unterminated {
        match self {
            Quote::String | Quote::EscapeString => Unterminated::StringLiteral,
            Quote::Identifier | Quote::Bracketed => Unterminated::QuotedIdentifier,
        }
    }
}

/// Counts lines of the script, moving a cursor back or forth to the byte asked about.
struct Lines<'a> {
    src: &'a [u8],
    at: usize,
    line: u32,
}

impl Lines<'_> {
    /// The 1-based line of byte `pos`.
    fn line_at(&mut self, pos: usize) -> u32 {
        let pos = pos.min(self.src.len());
        let newlines = |range: Range<usize>| {
            let n = self
                .src
                .get(range)
                .map_or(0, |s| s.iter().filter(|&&b| b == b'\n').count());
            u32::try_from(n).unwrap_or(u32::MAX)
        };
        if pos >= self.at {
            self.line = self.line.saturating_add(newlines(self.at..pos));
        } else {
            self.line = self.line.saturating_sub(newlines(pos..self.at));
        }
        self.at = pos;
        self.line
    }
}

/// A statement being read.
struct Pending {
    /// Its text so far: from its first token to the end of its last token.
    span: Range<usize>,
    /// The line of its first token.
    line: u32,
    /// What its keywords say about its blocks.
    body: Body,
}

/// The scanner: one pass over the script, one state, one statement pending at a time.
struct Splitter<'a> {
    text: &'a str,
    src: &'a [u8],
    dialect: Dialect,
    pos: usize,
    state: State,
    /// The current delimiter (changed by MySQL `DELIMITER` lines).
    delimiter: &'a [u8],
    /// Where the open MySQL executable comment (`/*!`), if any, starts.
    executable: Option<usize>,
    lines: Lines<'a>,
    pending: Option<Pending>,
    out: Vec<Statement<'a>>,
}

impl<'a> Splitter<'a> {
    fn new(text: &'a str, dialect: Dialect) -> Self {
        let src = text.as_bytes();
        Splitter {
            text,
            src,
            dialect,
            // A leading UTF-8 byte order mark is an editor's, not SQL: servers reject it.
            pos: bom_len(text),
            state: State::Normal,
            delimiter: b";",
            executable: None,
            lines: Lines {
                src,
                at: 0,
                line: 1,
            },
            pending: None,
            out: Vec::new(),
        }
    }

    /// The main loop: every step looks at the byte under the cursor in the current state, and
    /// either moves the cursor forward or changes the state.
    fn run(mut self) -> Result<Vec<Statement<'a>>, SplitError> {
        while let Some(&b) = self.src.get(self.pos) {
            match self.state {
                State::Normal => self.normal(b),
                State::Word { start } => {
                    if is_word_byte(b) && !self.at_delimiter() {
                        self.pos += 1;
                    } else {
                        self.end_word(start, Some(b));
                    }
                }
                State::LineComment if b == b'\n' => self.state = State::Normal,
                State::LineComment => self.pos += 1,
                State::Quoted { .. } | State::BlockComment { .. } | State::DollarQuoted { .. } => {
                    self.pos = self.src.len();
                }
            }
        }
        self.finish()
    }

    /// The script from the cursor on.
    fn rest(&self) -> &'a [u8] {
        self.src.get(self.pos..).unwrap_or_default()
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.pos + ahead).copied()
    }

    fn normal(&mut self, b: u8) {
        if self.dialect == Dialect::MySql && self.directive() {
            return;
        }
        if self.at_delimiter() {
            self.flush();
            self.pos += self.delimiter.len();
            return;
        }
        let start = self.pos;
        let next = self.peek(1);
        if is_space(b) {
            self.pos += 1;
        } else if let Some((close, quote)) = lex::opens_quote(self.dialect, b) {
            self.quoted(start, start, close, quote);
        } else if b == b'-' && next == Some(b'-') && lex::dashes_comment(self.dialect, self.peek(2))
        {
            self.state = State::LineComment;
            self.pos += 2;
        } else if b == b'#' && lex::hash_comment(self.dialect) {
            self.state = State::LineComment;
            self.pos += 1;
        } else if b == b'/' && next == Some(b'*') {
            self.open_block_comment();
        } else if b == b'*' && next == Some(b'/') && self.executable.is_some() {
            self.executable = None;
            self.pos += 2;
            self.content(start, self.pos);
        } else if let Some(tag) = lex::dollar_tag(self.dialect, self.rest()) {
            let body = start + tag;
            match lex::dollar_end(self.src, start, body) {
                Some(end) => {
                    self.pos = end;
                    self.token(Tok::Quoted, start, end);
                }
                None => self.state = State::DollarQuoted { start, body },
            }
        } else if is_word_byte(b) {
            self.state = State::Word { start };
            self.pos += 1;
        } else {
            self.pos += 1;
            self.token(Tok::Punct(b), start, self.pos);
        }
    }

    /// At a `/*`: a MySQL executable comment (statement text) or an ordinary comment.
    fn open_block_comment(&mut self) {
        let start = self.pos;
        match lex::executable_opener(self.dialect, self.rest()) {
            Some(len) if self.executable.is_none() => {
                // The marker and its version number are text, but no token.
                self.executable = Some(start);
                self.content(start, start + len);
                self.pos = start + len;
            }
            _ => match lex::block_comment_end(self.dialect, self.src, start) {
                Some(end) => self.pos = end,
                None => self.state = State::BlockComment { start },
            },
        }
    }

    /// Reads the quoted token starting at `start` whose opening quote is at `at`.
    fn quoted(&mut self, start: usize, at: usize, close: u8, quote: Quote) {
        match lex::quoted_end(self.src, at, close, quote) {
            Some(end) => {
                self.pos = end;
                self.token(Tok::Quoted, start, end);
            }
            None => self.state = State::Quoted { start, quote },
        }
    }

    /// Ends the word `start..pos`; `next` is the byte after it. On PostgreSQL a lone `E` before
    /// a quote opens an escape string.
    fn end_word(&mut self, start: usize, next: Option<u8>) {
        let word = self.src.get(start..self.pos).unwrap_or_default();
        if lex::opens_escape_string(self.dialect, word, next) {
            self.state = State::Normal;
            self.quoted(start, self.pos, b'\'', Quote::EscapeString);
        } else {
            self.state = State::Normal;
            self.token(Tok::Word(keyword(word)), start, self.pos);
        }
    }

    /// Whether the delimiter starts under the cursor and may end a statement here.
    fn at_delimiter(&self) -> bool {
        self.executable.is_none()
            && self.rest().starts_with(self.delimiter)
            && !self.pending.as_ref().is_some_and(|p| p.body.is_open())
    }

    /// On MySQL at the start of a line, reads a `DELIMITER` directive if there is one.
    fn directive(&mut self) -> bool {
        let at_line_start =
            self.pos == bom_len(self.text) || self.src.get(self.pos - 1) == Some(&b'\n');
        if !at_line_start
            || self.executable.is_some()
            || self.pending.as_ref().is_some_and(|p| p.body.is_open())
        {
            return false;
        }
        let rest = self.rest();
        let line_len = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let indent = rest
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let word = indent..indent + 9;
        let is_directive = rest
            .get(word.clone())
            .is_some_and(|w| w.eq_ignore_ascii_case(b"DELIMITER"))
            && matches!(rest.get(word.end), Some(b' ' | b'\t'));
        if !is_directive {
            return false;
        }
        let arg = trim_spaces(rest, word.end..line_len);
        if arg.is_empty() {
            return false;
        }
        // Like the `mysql` client, only the first word: `DELIMITER ; # reset` sets `;`.
        let first_word = rest
            .get(arg.clone())
            .and_then(|a| a.iter().position(|&b| is_space(b)))
            .unwrap_or(arg.len());
        let arg = arg.start..arg.start + first_word;
        self.flush();
        self.delimiter = self
            .src
            .get(self.pos + arg.start..self.pos + arg.end)
            .unwrap_or(b";");
        self.pos = (self.pos + line_len + 1).min(self.src.len());
        true
    }

    /// Extends the pending statement (or starts one) with statement text `start..end` that is no
    /// token, such as the markers of an executable comment.
    fn content(&mut self, start: usize, end: usize) {
        match &mut self.pending {
            Some(pending) => pending.span.end = end,
            None => {
                let line = self.lines.line_at(start);
                let body = Body::new(self.dialect, self.delimiter);
                self.pending = Some(Pending {
                    span: start..end,
                    line,
                    body,
                });
            }
        }
    }

    /// Adds the token `start..end` to the pending statement (or starts one with it).
    fn token(&mut self, tok: Tok, start: usize, end: usize) {
        self.content(start, end);
        let line = self.lines.line_at(start);
        if let Some(pending) = &mut self.pending {
            pending.body.feed(tok, line);
        }
    }

    /// Emits the pending statement, if any.
    fn flush(&mut self) {
        if let Some(pending) = self.pending.take() {
            let sql = self.text.get(pending.span.clone()).unwrap_or_default();
            self.out.push(Statement {
                sql,
                line: pending.line,
                span: pending.span,
            });
        }
    }

    fn error(&mut self, what: Unterminated, start: usize) -> SplitError {
        SplitError {
            what,
            line: self.lines.line_at(start),
        }
    }

    /// At the end of the script: whatever is still open is an error, else the last statement is
    /// emitted.
    fn finish(mut self) -> Result<Vec<Statement<'a>>, SplitError> {
        match self.state {
            State::Normal | State::LineComment => {}
            State::Word { start } => self.end_word(start, None),
            State::Quoted { start, quote, .. } => {
                return Err(self.error(quote.unterminated(), start))
            }
            State::BlockComment { start } => {
                return Err(self.error(Unterminated::BlockComment, start))
            }
            State::DollarQuoted { start, body } => {
                let tag = self
                    .text
                    .get(start + 1..body - 1)
                    .unwrap_or_default()
                    .to_owned();
                return Err(self.error(Unterminated::DollarQuotedBody { tag }, start));
            }
        }
        if let Some(start) = self.executable {
            return Err(self.error(Unterminated::BlockComment, start));
        }
        if let Some(line) = self.pending.as_ref().and_then(|p| p.body.open_line()) {
            return Err(SplitError {
                what: Unterminated::CompoundBody,
                line,
            });
        }
        self.flush();
        Ok(self.out)
    }
}

/// The part of `range` in `bytes` without leading and trailing whitespace.
fn trim_spaces(bytes: &[u8], range: Range<usize>) -> Range<usize> {
    let slice = bytes.get(range.clone()).unwrap_or_default();
    let lead = slice.iter().take_while(|&&b| is_space(b)).count();
    let trail = slice.iter().rev().take_while(|&&b| is_space(b)).count();
    if lead == slice.len() {
        range.start..range.start
    } else {
        range.start + lead..range.end - trail
    }
}
