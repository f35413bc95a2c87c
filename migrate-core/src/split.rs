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
//! The script is read by the crate's tokenizer, the private `lex` module's `Lexer`: one loop
//! driven by a lexical state (ordinary text, or inside a MySQL executable comment) that reads
//! quoted tokens, comments and dollar-quoted bodies whole, so the delimiter is only found
//! between tokens or inside a word and never splits a literal, an identifier or a comment. The
//! scope reader and the implicit-commit rules read the same tokens, so all three agree on
//! words, quotes and comments; the splitter also has it report delimiters, `DELIMITER` lines
//! and the openers of executable comments, and holds delimiters while a compound body is open.
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
//! such line (so `DELIMITER ; # back to normal` sets `;`); this is the `mysql` client's
//! directive, so the line itself is never sent and a statement still pending when it appears
//! ends there, as in the client. A `DELIMITER` line with
//! nothing after the word is not a directive: it stays statement text and the server reports it.
//! Inside an executable comment or an open compound body there is no directive.
//!
//! # Compound bodies
//!
//! Some statements hold `;` of their own. The splitter follows the keywords of each statement
//! (unquoted words outside comments, compared case-insensitively as whole words; a word right
//! after a `.` is a qualified name, never a keyword, while a number such as `1.` is one token
//! whose dot qualifies nothing) and keeps a stack of open blocks: while the
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
use crate::lex::{Event, Lexer, Open, Quote, Token};
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

mod body;
#[cfg(test)]
mod tests;

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

/// The splitter: the lexer's events in, statements out, one statement pending at a time.
struct Splitter<'a> {
    text: &'a str,
    dialect: Dialect,
    lexer: Lexer<'a>,
    lines: Lines<'a>,
    pending: Option<Pending>,
    out: Vec<Statement<'a>>,
}

impl<'a> Splitter<'a> {
    fn new(text: &'a str, dialect: Dialect) -> Self {
        Splitter {
            text,
            dialect,
            lexer: Lexer::splitting(text, dialect),
            lines: Lines {
                src: text.as_bytes(),
                at: 0,
                line: 1,
            },
            pending: None,
            out: Vec::new(),
        }
    }

    /// The main loop: every event of the lexer either ends the pending statement or adds to
    /// it; while its compound body is open, the lexer holds delimiters as text.
    fn run(mut self) -> Result<Vec<Statement<'a>>, SplitError> {
        while let Some(item) = self.lexer.event() {
            let (event, range) = item.map_err(|open| self.error(open))?;
            match event {
                Event::Delimiter | Event::Directive => self.flush(),
                // The opener of an executable comment is text, but no token.
                Event::ExecOpen => self.content(range),
                Event::Token(token) => self.token(token, range),
            }
            let held = self.pending.as_ref().is_some_and(|p| p.body.is_open());
            self.lexer.hold_delimiters(held);
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

    /// Extends the pending statement (or starts one) with the statement text `range`.
    fn content(&mut self, range: Range<usize>) {
        match &mut self.pending {
            Some(pending) => pending.span.end = range.end,
            None => {
                let line = self.lines.line_at(range.start);
                let body = Body::new(self.dialect, self.lexer.delimiter());
                self.pending = Some(Pending {
                    span: range,
                    line,
                    body,
                });
            }
        }
    }

    /// Adds the token `token` at `range` to the pending statement (or starts one with it).
    fn token(&mut self, token: Token, range: Range<usize>) {
        let text = self.text.as_bytes().get(range.clone()).unwrap_or_default();
        let tok = match token {
            Token::Word => Tok::Word(keyword(text)),
            Token::Number => Tok::Word(None),
            Token::Quoted(_) | Token::Dollar => Tok::Quoted,
            Token::Punct(b) => Tok::Punct(b),
            // The close of an executable comment is text, but no token.
            Token::ExecClose => return self.content(range),
        };
        let line = self.lines.line_at(range.start);
        self.content(range);
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

    /// The error for what the script leaves `open`.
    fn error(&mut self, open: Open) -> SplitError {
        let (what, start) = match open {
            Open::Quoted { start, quote } => (quote.unterminated(), start),
            Open::Comment { start } => (Unterminated::BlockComment, start),
            Open::Dollar { tag } => {
                let name = self
                    .text
                    .get(tag.start + 1..tag.end - 1)
                    .unwrap_or_default();
                let what = Unterminated::DollarQuotedBody {
                    tag: name.to_owned(),
                };
                (what, tag.start)
            }
        };
        SplitError {
            what,
            line: self.lines.line_at(start),
        }
    }
}
