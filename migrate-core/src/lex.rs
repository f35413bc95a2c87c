//! The lexical rules of SQL per dialect, in one place: what a word is, how each dialect quotes
//! and comments, and a tokenizer built on them.
//!
//! The [`Lexer`] is the crate's one token loop. The scope reader ([`crate::schema`]'s reach)
//! and the implicit-commit rules ([`crate::implicit_commit`]) read its tokens; the splitter
//! ([`crate::split`]) reads its events, which also mark delimiters, MySQL `DELIMITER` lines and
//! the openers of executable comments. All three therefore agree on words, quotes and comments:
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
    dialect.escape_strings() && next == Some(b'\'') && word.eq_ignore_ascii_case(b"e")
}

/// Whether `--` followed by `after` starts a comment: always, except on MySQL, which wants
/// whitespace, a control character or the end of the text after it.
pub(crate) fn dashes_comment(dialect: Dialect, after: Option<u8>) -> bool {
    !dialect.spaced_dash_comments() || after.is_none_or(|c| c <= b' ' || c == 0x7f)
}

/// Whether `#` starts a line comment.
pub(crate) fn hash_comment(dialect: Dialect) -> bool {
    dialect.hash_comments()
}

/// At a `/*` opening `rest`: on MySQL, the length of an executable comment's opener
/// (`/*!`, `/*M!` and the version number after it); `None` for an ordinary comment.
pub(crate) fn executable_opener(dialect: Dialect, rest: &[u8]) -> Option<usize> {
    let marker = match rest.get(2..) {
        Some([b'!', ..]) => 1,
        Some([b'M', b'!', ..]) => 2,
        _ => 0,
    };
    if !dialect.executable_comments() || marker == 0 {
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
    if !dialect.dollar_quotes() || rest.first() != Some(&b'$') {
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
            (Some(b'/'), Some(b'*')) if dialect.nested_comments() => {
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

/// What [`Lexer::event`] reads: a token, or what the splitter also needs to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// A token.
    Token(Token),
    /// The opener of a MySQL executable comment (`/*!`, `/*M!100101`): text, but no token.
    ExecOpen,
    /// The statement delimiter (only when splitting).
    Delimiter,
    /// A MySQL `DELIMITER` line (only when splitting); its delimiter is now in effect.
    Directive,
}

/// What a text leaves open at its end, from where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Open {
    /// A string or quoted identifier whose opening quote (or `E`) is at `start`.
    Quoted {
        /// Where the token starts.
        start: usize,
        /// How it is quoted.
        quote: Quote,
    },
    /// A block comment, or a MySQL executable comment, opening at `start`.
    Comment {
        /// Where the comment starts.
        start: usize,
    },
    /// A PostgreSQL dollar-quoted body whose opening `$tag$` is `tag`.
    Dollar {
        /// The opening tag, dollars included.
        tag: Range<usize>,
    },
}

/// Where the lexer is between tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Ordinary SQL.
    Normal,
    /// Inside a MySQL executable comment opened at `start`, whose `*/` is a token.
    Executable {
        /// Where the comment starts.
        start: usize,
    },
    /// Past the end, or past something left open.
    Done,
}

/// How statements end, for a lexer that splits a script.
#[derive(Debug, Clone, Copy)]
struct Delimiting<'a> {
    /// The current delimiter (changed by MySQL `DELIMITER` lines).
    delimiter: &'a [u8],
    /// Whether an open compound body makes delimiters and directives plain text.
    held: bool,
}

/// The tokens of one text, skipping whitespace and comments; an item `Err` says what is never
/// closed, and ends the tokens. A lexer made by [`Lexer::splitting`] also reads delimiters
/// and `DELIMITER` lines, seen through [`Lexer::event`].
pub(crate) struct Lexer<'a> {
    src: &'a [u8],
    dialect: Dialect,
    /// Where reading began (after a byte order mark when splitting).
    origin: usize,
    pos: usize,
    state: State,
    /// `Some` when splitting a script into statements.
    delimiting: Option<Delimiting<'a>>,
}

impl<'a> Lexer<'a> {
    /// A lexer over `sql` with the rules of `dialect`.
    pub(crate) fn new(sql: &'a str, dialect: Dialect) -> Self {
        Lexer {
            src: sql.as_bytes(),
            dialect,
            origin: 0,
            pos: 0,
            state: State::Normal,
            delimiting: None,
        }
    }

    /// A lexer splitting the script `sql`: it starts after a byte order mark and reports the
    /// delimiter (`;` until a `DELIMITER` line changes it) and `DELIMITER` lines as events.
    pub(crate) fn splitting(sql: &'a str, dialect: Dialect) -> Self {
        let origin = bom_len(sql);
        Lexer {
            origin,
            pos: origin,
            delimiting: Some(Delimiting {
                delimiter: b";",
                held: false,
            }),
            ..Lexer::new(sql, dialect)
        }
    }

    /// The current delimiter (`;` unless splitting changed it).
    pub(crate) fn delimiter(&self) -> &'a [u8] {
        self.delimiting.map_or(b";", |d| d.delimiter)
    }

    /// While `held`, delimiters and `DELIMITER` lines are read as text: the splitter holds
    /// them while a compound body is open.
    pub(crate) fn hold_delimiters(&mut self, held: bool) {
        if let Some(delimiting) = &mut self.delimiting {
            delimiting.held = held;
        }
    }

    /// The next token or splitting event with its byte range; `None` at the end, and after an
    /// `Err`, which says what is left open.
    pub(crate) fn event(&mut self) -> Option<Result<(Event, Range<usize>), Open>> {
        if self.state == State::Done {
            return None;
        }
        let item = match self.skip() {
            Err(open) => Err(open),
            Ok(Some(event)) => Ok(Some(event)),
            Ok(None) => match (self.src.get(self.pos), self.state) {
                (Some(&b), _) => self
                    .token(b)
                    .map(|(t, range)| Some((Event::Token(t), range))),
                (None, State::Executable { start }) => Err(Open::Comment { start }),
                (None, _) => Ok(None),
            },
        }
        .transpose();
        if matches!(item, None | Some(Err(_))) {
            self.state = State::Done;
        }
        item
    }

    fn rest(&self) -> &'a [u8] {
        self.src.get(self.pos..).unwrap_or_default()
    }

    /// The delimiter, where one may end a statement: when splitting, outside compound bodies
    /// and executable comments.
    fn live_delimiter(&self) -> Option<&'a [u8]> {
        let delimiting = self.delimiting.filter(|d| !d.held)?;
        (self.state == State::Normal).then_some(delimiting.delimiter)
    }

    /// Skips whitespace and comments up to the next token; stops early at an event that is no
    /// token, which it returns.
    fn skip(&mut self) -> Result<Option<(Event, Range<usize>)>, Open> {
        while let Some(&b) = self.src.get(self.pos) {
            if let Some(event) = self.boundary() {
                return Ok(Some(event));
            }
            let start = self.pos;
            let next = self.src.get(start + 1).copied();
            let line_comment = (b == b'#' && hash_comment(self.dialect))
                || (b == b'-'
                    && next == Some(b'-')
                    && dashes_comment(self.dialect, self.src.get(start + 2).copied()));
            if is_space(b) {
                self.pos += 1;
            } else if line_comment {
                let len = self.rest().iter().position(|&c| c == b'\n');
                self.pos = len.map_or(self.src.len(), |n| start + n + 1);
            } else if b == b'/' && next == Some(b'*') {
                match executable_opener(self.dialect, self.rest()) {
                    Some(len) if self.state == State::Normal => {
                        self.state = State::Executable { start };
                        self.pos += len;
                        return Ok(Some((Event::ExecOpen, start..self.pos)));
                    }
                    _ => {
                        let end = block_comment_end(self.dialect, self.src, start);
                        self.pos = end.ok_or(Open::Comment { start })?;
                    }
                }
            } else {
                return Ok(None);
            }
        }
        Ok(None)
    }

    /// When splitting, at the cursor: a `DELIMITER` line or the delimiter, read.
    fn boundary(&mut self) -> Option<(Event, Range<usize>)> {
        let delimiter = self.live_delimiter()?;
        let start = self.pos;
        if let Some((arg, end)) = self.directive() {
            if let (Some(delimiting), Some(arg)) = (&mut self.delimiting, self.src.get(arg)) {
                delimiting.delimiter = arg;
            }
            self.pos = end;
            return Some((Event::Directive, start..end));
        }
        self.rest().starts_with(delimiter).then(|| {
            self.pos += delimiter.len();
            (Event::Delimiter, start..self.pos)
        })
    }

    /// On MySQL at the start of a line, a `DELIMITER` directive: the range of its argument
    /// and where the line ends (past its `\n`).
    fn directive(&self) -> Option<(Range<usize>, usize)> {
        let at_line_start = self.pos == self.origin || self.src.get(self.pos - 1) == Some(&b'\n');
        if !self.dialect.delimiter_lines() || !at_line_start {
            return None;
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
        let arg = trim_spaces(rest, word.end..line_len);
        if !is_directive || arg.is_empty() {
            return None;
        }
        // Like the `mysql` client, only the first word: `DELIMITER ; # reset` sets `;`.
        let first_word = rest
            .get(arg.clone())
            .and_then(|a| a.iter().position(|&b| is_space(b)))
            .unwrap_or(arg.len());
        let arg = self.pos + arg.start..self.pos + arg.start + first_word;
        Some((arg, (self.pos + line_len + 1).min(self.src.len())))
    }

    /// How many bytes from the cursor satisfy `part`, stopping where a live delimiter starts.
    fn run_len(&self, part: impl Fn(u8) -> bool) -> usize {
        let rest = self.rest();
        let delimiter = self.live_delimiter();
        (0..rest.len())
            .take_while(|&i| {
                let at_delimiter = delimiter.is_some_and(|d| rest[i..].starts_with(d));
                part(rest[i]) && !at_delimiter
            })
            .count()
    }

    /// The token starting under the cursor (after [`Lexer::skip`]).
    fn token(&mut self, b: u8) -> Result<(Token, Range<usize>), Open> {
        let start = self.pos;
        let rest = self.rest();
        let word_len = self.run_len(is_word_byte);
        let token = if let Some((close, quote)) = opens_quote(self.dialect, b) {
            let end = quoted_end(self.src, start, close, quote);
            self.pos = end.ok_or(Open::Quoted { start, quote })?;
            Token::Quoted(quote)
        } else if b == b'*'
            && rest.get(1) == Some(&b'/')
            && matches!(self.state, State::Executable { .. })
        {
            self.state = State::Normal;
            self.pos += 2;
            Token::ExecClose
        } else if let Some(tag) = dollar_tag(self.dialect, rest) {
            let tag = start..start + tag;
            let end = dollar_end(self.src, start, tag.end);
            self.pos = end.ok_or(Open::Dollar { tag })?;
            Token::Dollar
        } else if opens_escape_string(
            self.dialect,
            rest.get(..word_len).unwrap_or_default(),
            rest.get(word_len).copied(),
        ) {
            let quote = Quote::EscapeString;
            let end = quoted_end(self.src, start + 1, b'\'', quote);
            self.pos = end.ok_or(Open::Quoted { start, quote })?;
            Token::Quoted(quote)
        } else if b.is_ascii_digit() {
            self.pos += self.run_len(|c| is_word_byte(c) || c == b'.');
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
    type Item = Result<(Token, Range<usize>), Open>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.event()? {
                Ok((Event::Token(token), range)) => return Some(Ok((token, range))),
                Ok(_) => {}
                Err(open) => return Some(Err(open)),
            }
        }
    }
}

/// The length of a leading UTF-8 byte order mark: an editor's mark, not SQL, which servers
/// reject, so splitting starts after it.
pub(crate) fn bom_len(text: &str) -> usize {
    if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
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

#[cfg(test)]
mod tests {
    use super::{Event, Lexer, Open, Quote, Token};
    use crate::Dialect;

    fn kinds(sql: &str, dialect: Dialect) -> Vec<Result<Token, Open>> {
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
    fn splitting_reads_delimiters_directives_and_executable_openers() {
        use super::Event::{Delimiter, Directive, ExecOpen, Token as T};
        let events = |sql: &str, held: bool| -> Vec<Event> {
            let mut lexer = Lexer::splitting(sql, Dialect::MySql);
            lexer.hold_delimiters(held);
            std::iter::from_fn(|| lexer.event())
                .map(|e| e.map(|(e, _)| e).expect("closed"))
                .collect()
        };
        assert_eq!(
            events("\u{feff}DELIMITER $$\nSELECT a$$/*!1 b */;", false),
            [
                Directive,
                T(Token::Word),
                T(Token::Word),
                Delimiter,
                ExecOpen,
                T(Token::Word),
                T(Token::ExecClose),
                T(Token::Punct(b';'))
            ]
        );
        assert_eq!(
            events("a;\nDELIMITER //\n", true),
            [
                T(Token::Word),
                T(Token::Punct(b';')),
                T(Token::Word),
                T(Token::Punct(b'/')),
                T(Token::Punct(b'/'))
            ]
        );
    }

    #[test]
    fn something_left_open_ends_the_tokens() {
        let quote = Quote::String;
        assert_eq!(
            kinds("a 'b", Dialect::Sqlite),
            [Ok(Token::Word), Err(Open::Quoted { start: 2, quote })]
        );
        assert_eq!(
            kinds("a /* b", Dialect::Sqlite),
            [Ok(Token::Word), Err(Open::Comment { start: 2 })]
        );
        assert_eq!(
            kinds("a /*!1 b", Dialect::MySql),
            [
                Ok(Token::Word),
                Ok(Token::Word),
                Err(Open::Comment { start: 2 })
            ]
        );
        assert_eq!(
            kinds("$$ $x$", Dialect::Postgres),
            [Err(Open::Dollar { tag: 0..2 })]
        );
    }
}
