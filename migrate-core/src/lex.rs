//! The lexical rules of SQL per dialect, in one place: what a word is, how each dialect quotes
//! and comments, and a tokenizer built on them.
//!
//! The splitter ([`crate::split`]) drives its own loop over these rules because it must also
//! watch for delimiters, `DELIMITER` lines and compound bodies; the scope reader
//! ([`crate::schema`]'s reach) and the implicit-commit rules ([`crate::implicit_commit`]) read
//! the [`Lexer`]'s tokens. All three therefore agree on words, quotes and comments:
//!
//! - a word byte is `[A-Za-z0-9_$]` or any byte of a non-ASCII character;
//! - MySQL/MariaDB: `'…'`/`"…"` strings escape with a backslash or a doubled quote, `` `…` ``
//!   identifiers double their backtick; `#` comments; `--` is a comment only before
//!   whitespace, a control character or the end; `/* */` does not nest; `/*! … */` and
//!   `/*M! … */` are executable comments whose content is SQL;
//! - PostgreSQL: `'…'` doubles its quote, `E'…'` also takes backslashes, `"…"` identifiers;
//!   `/* */` nests; `$tag$…$tag$` is an opaque body (`$1` is a parameter, a word);
//! - SQLite: `'…'` strings, `"…"` and `` `…` `` identifiers double their quote, `[…]` has no
//!   escape.

use std::ops::Range;

use crate::Dialect;

/// How a quoted token escapes its closing quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quote {
    /// A string escaping its quote by doubling it.
    String,
    /// A string escaping by doubling or with a backslash before any byte.
    EscapeString,
    /// An identifier escaping its quote by doubling it.
    Identifier,
    /// A SQLite `[…]` identifier: no escape at all.
    Bracketed,
}

/// Whitespace, as every supported server understands it.
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// A byte that may be part of an unquoted word (keyword, identifier, number); every byte of a
/// multi-byte character is one, so words end only at ASCII bytes.
pub(crate) fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// The closing byte and kind of the quoted token that `b` opens in `dialect`, if it opens one.
pub(crate) fn opens_quote(dialect: Dialect, b: u8) -> Option<(u8, Quote)> {
    use Dialect::{MySql, Postgres, Sqlite};
    match (dialect, b) {
        (MySql, b'\'' | b'"') => Some((b, Quote::EscapeString)),
        (Postgres | Sqlite, b'\'') => Some((b, Quote::String)),
        (Postgres | Sqlite, b'"') | (MySql | Sqlite, b'`') => Some((b, Quote::Identifier)),
        (Sqlite, b'[') => Some((b']', Quote::Bracketed)),
        _ => None,
    }
}

/// Whether a word `word` followed by `next` opens a PostgreSQL `E'…'` escape string.
pub(crate) fn opens_escape_string(dialect: Dialect, word: &[u8], next: Option<u8>) -> bool {
    dialect == Dialect::Postgres && next == Some(b'\'') && word.eq_ignore_ascii_case(b"e")
}

/// Whether `--` followed by `after` starts a comment: always, except on MySQL, which wants
/// whitespace, a control character or the end of the text after it.
pub(crate) fn dashes_comment(dialect: Dialect, after: Option<u8>) -> bool {
    dialect != Dialect::MySql || after.is_none_or(|c| c <= b' ' || c == 0x7f)
}

/// Whether `#` starts a line comment.
pub(crate) fn hash_comment(dialect: Dialect) -> bool {
    dialect == Dialect::MySql
}

/// At a `/*` opening `rest`: on MySQL, the length of an executable comment's opener
/// (`/*!`, `/*M!` and the version number after it); `None` for an ordinary comment.
pub(crate) fn executable_opener(dialect: Dialect, rest: &[u8]) -> Option<usize> {
    let marker = match rest.get(2..) {
        Some([b'!', ..]) => 1,
        Some([b'M', b'!', ..]) => 2,
        _ => 0,
    };
    if dialect != Dialect::MySql || marker == 0 {
        return None;
    }
    let digits = rest
        .iter()
        .skip(2 + marker)
        .take_while(|b| b.is_ascii_digit())
        .count();
    Some(2 + marker + digits)
}

/// On PostgreSQL, at a `$` opening `rest`: the length of the `$tag$` of a dollar quote.
pub(crate) fn dollar_tag(dialect: Dialect, rest: &[u8]) -> Option<usize> {
    if dialect != Dialect::Postgres || rest.first() != Some(&b'$') {
        return None;
    }
    let tag_len = rest
        .iter()
        .skip(1)
        .take_while(|&&c| c != b'$' && is_word_byte(c))
        .count();
    let closed = rest.get(1 + tag_len) == Some(&b'$');
    let starts_well = rest.get(1).is_some_and(|c| !c.is_ascii_digit());
    (closed && starts_well).then_some(tag_len + 2)
}

/// The end (one past the closing quote) of the token whose opening quote is at `at`, or
/// `None` if it is not closed.
pub(crate) fn quoted_end(src: &[u8], at: usize, close: u8, quote: Quote) -> Option<usize> {
    let mut i = at + 1;
    while let Some(&b) = src.get(i) {
        let escaped_byte = b == b'\\' && quote == Quote::EscapeString;
        let doubled = b == close && quote != Quote::Bracketed && src.get(i + 1) == Some(&close);
        if escaped_byte || doubled {
            i += 2;
        } else if b == close {
            return Some(i + 1);
        } else {
            i += 1;
        }
    }
    None
}

/// The end of the block comment opening at `at` (nested on PostgreSQL), or `None` if it is
/// not closed.
pub(crate) fn block_comment_end(dialect: Dialect, src: &[u8], at: usize) -> Option<usize> {
    let mut depth = 1u32;
    let mut i = at + 2;
    while i < src.len() {
        match (src.get(i), src.get(i + 1)) {
            (Some(b'*'), Some(b'/')) => {
                i += 2;
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            (Some(b'/'), Some(b'*')) if dialect == Dialect::Postgres => {
                i += 2;
                depth += 1;
            }
            _ => i += 1,
        }
    }
    None
}

/// The end of the dollar-quoted body whose `$tag$` is `at..body`, or `None`.
pub(crate) fn dollar_end(src: &[u8], at: usize, body: usize) -> Option<usize> {
    let tag = src.get(at..body)?;
    let rest = src.get(body..)?;
    rest.windows(tag.len())
        .position(|w| w == tag)
        .map(|n| body + n + tag.len())
}

/// One token of SQL text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    /// An unquoted word that does not start with a digit.
    Word,
    /// A word starting with a digit, with any `.` in it (`1`, `1.5`, `1e3`).
    Number,
    /// A string or quoted identifier, quotes included.
    Quoted(Quote),
    /// A PostgreSQL dollar-quoted body, tags included.
    Dollar,
    /// One ASCII byte of punctuation.
    Punct(u8),
    /// The `*/` closing a MySQL executable comment.
    ExecClose,
}

/// Where the lexer is between tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Ordinary SQL.
    Normal,
    /// Inside a MySQL executable comment, whose `*/` is a token.
    Executable,
    /// Past the end, or past something left open.
    Done,
}

/// The tokens of one text, skipping whitespace and comments; an item `Err(start)` says that
/// the token or comment starting at `start` is never closed, and ends the tokens.
pub(crate) struct Lexer<'a> {
    src: &'a [u8],
    dialect: Dialect,
    pos: usize,
    state: State,
}

impl<'a> Lexer<'a> {
    /// A lexer over `sql` with the rules of `dialect`.
    pub(crate) fn new(sql: &'a str, dialect: Dialect) -> Self {
        Lexer {
            src: sql.as_bytes(),
            dialect,
            pos: 0,
            state: State::Normal,
        }
    }

    fn rest(&self) -> &'a [u8] {
        self.src.get(self.pos..).unwrap_or_default()
    }

    /// Skips whitespace and comments; `Err(start)` for a comment left open.
    fn skip(&mut self) -> Result<(), usize> {
        while let Some(&b) = self.src.get(self.pos) {
            let next = self.src.get(self.pos + 1).copied();
            let line_comment = (b == b'#' && hash_comment(self.dialect))
                || (b == b'-'
                    && next == Some(b'-')
                    && dashes_comment(self.dialect, self.src.get(self.pos + 2).copied()));
            if is_space(b) {
                self.pos += 1;
            } else if line_comment {
                let len = self.rest().iter().position(|&c| c == b'\n');
                self.pos = len.map_or(self.src.len(), |n| self.pos + n + 1);
            } else if b == b'/' && next == Some(b'*') {
                match executable_opener(self.dialect, self.rest()) {
                    Some(len) if self.state == State::Normal => {
                        self.state = State::Executable;
                        self.pos += len;
                    }
                    _ => {
                        let end = block_comment_end(self.dialect, self.src, self.pos);
                        self.pos = end.ok_or(self.pos)?;
                    }
                }
            } else {
                return Ok(());
            }
        }
        Ok(())
    }

    /// The token starting under the cursor (after [`Lexer::skip`]).
    fn token(&mut self, b: u8) -> Result<(Token, Range<usize>), usize> {
        let start = self.pos;
        let rest = self.rest();
        let word_len = rest.iter().take_while(|&&c| is_word_byte(c)).count();
        let token = if let Some((close, quote)) = opens_quote(self.dialect, b) {
            self.pos = quoted_end(self.src, start, close, quote).ok_or(start)?;
            Token::Quoted(quote)
        } else if b == b'*' && rest.get(1) == Some(&b'/') && self.state == State::Executable {
            self.state = State::Normal;
            self.pos += 2;
            Token::ExecClose
        } else if let Some(tag) = dollar_tag(self.dialect, rest) {
            self.pos = dollar_end(self.src, start, start + tag).ok_or(start)?;
            Token::Dollar
        } else if opens_escape_string(
            self.dialect,
            rest.get(..word_len).unwrap_or_default(),
            rest.get(word_len).copied(),
        ) {
            let end = quoted_end(self.src, start + 1, b'\'', Quote::EscapeString);
            self.pos = end.ok_or(start)?;
            Token::Quoted(Quote::EscapeString)
        } else if b.is_ascii_digit() {
            let len = rest
                .iter()
                .take_while(|&&c| is_word_byte(c) || c == b'.')
                .count();
            self.pos += len;
            Token::Number
        } else if word_len > 0 {
            self.pos += word_len;
            Token::Word
        } else {
            self.pos += 1;
            Token::Punct(b)
        };
        Ok((token, start..self.pos))
    }
}

impl Iterator for Lexer<'_> {
    type Item = Result<(Token, Range<usize>), usize>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.state == State::Done {
            return None;
        }
        let item = self
            .skip()
            .and_then(|()| match self.src.get(self.pos) {
                Some(&b) => self.token(b).map(Some),
                None => Ok(None),
            })
            .transpose();
        if matches!(item, None | Some(Err(_))) {
            self.state = State::Done;
        }
        item
    }
}

#[cfg(test)]
mod tests {
    use super::{Lexer, Quote, Token};
    use crate::Dialect;

    fn kinds(sql: &str, dialect: Dialect) -> Vec<Result<Token, usize>> {
        Lexer::new(sql, dialect)
            .map(|t| t.map(|(t, _)| t))
            .collect()
    }

    #[test]
    fn words_numbers_and_quotes() {
        use Token::{Number, Punct, Quoted, Word};
        assert_eq!(
            kinds("a$1 café 1.5 'x\\'y' -- c\n`q`", Dialect::MySql),
            [
                Ok(Word),
                Ok(Word),
                Ok(Number),
                Ok(Quoted(Quote::EscapeString)),
                Ok(Quoted(Quote::Identifier))
            ]
        );
        assert_eq!(
            kinds("E'a\\'b' $x$ ; $x$ /* /* */ */ $1", Dialect::Postgres),
            [Ok(Quoted(Quote::EscapeString)), Ok(Token::Dollar), Ok(Word)]
        );
        assert_eq!(
            kinds("--x", Dialect::MySql),
            [Ok(Punct(b'-')), Ok(Punct(b'-')), Ok(Word)]
        );
    }

    #[test]
    fn executable_comments_are_read_and_their_close_is_a_token() {
        assert_eq!(
            kinds("/*!50001 DROP */ */", Dialect::MySql),
            [
                Ok(Token::Word),
                Ok(Token::ExecClose),
                Ok(Token::Punct(b'*')),
                Ok(Token::Punct(b'/'))
            ]
        );
        assert_eq!(kinds("/*!50001 DROP */", Dialect::Sqlite), []);
    }

    #[test]
    fn something_left_open_ends_the_tokens() {
        assert_eq!(kinds("a 'b", Dialect::Sqlite), [Ok(Token::Word), Err(2)]);
        assert_eq!(kinds("a /* b", Dialect::Sqlite), [Ok(Token::Word), Err(2)]);
    }
}
