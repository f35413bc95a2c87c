//! Compound bodies: the keywords of a statement and the stack of blocks they open, so that a
//! `;` inside a stored program, trigger or `BEGIN ATOMIC` body does not end the statement (the
//! rules are in the [`super`] module docs).

use crate::Dialect;

/// A token, as far as block tracking cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tok {
    /// An unquoted word, with the keyword it spells if it is one the splitter knows.
    Word(Option<Kw>),
    /// One byte of punctuation.
    Punct(u8),
    /// A string, quoted identifier or dollar-quoted body.
    Quoted,
}

/// Declares [`Kw`] and [`KEYWORDS`] from the keywords' names.
macro_rules! keywords {
    ($($kw:ident),* $(,)?) => {
        /// A keyword that matters for finding compound bodies.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(super) enum Kw { $($kw),* }

        /// Every keyword with its name, which is its spelling in any case.
        const KEYWORDS: &[(&str, Kw)] = &[$((stringify!($kw), Kw::$kw)),*];
    };
}

keywords! {
    Aggregate, Atomic, Begin, Case, Create, Definer, Do, Else, End, Event, For, Found, Function, If,
    Loop, Not, Or, Procedure, Repeat, Replace, Row, Sqlexception, Sqlwarning, Temp, Temporary,
    Then, Trigger, While,
}

/// The keyword `word` spells, compared case-insensitively as a whole word.
pub(super) fn keyword(word: &[u8]) -> Option<Kw> {
    KEYWORDS
        .iter()
        .find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(word))
        .map(|&(_, kw)| kw)
}

/// How the statement's keywords are being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Reading the first words, to learn whether the statement can hold a compound body.
    Head(Head),
    /// A statement without compound body: the next delimiter ends it.
    Plain,
    /// A statement whose blocks are tracked: a `;` ends it only outside them.
    Program,
}

/// How far into a statement's head the reading is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Head {
    /// Nothing read yet.
    Start,
    /// After `CREATE` (and `OR REPLACE`, `AGGREGATE`, `TEMP`).
    Create,
    /// In MySQL's `DEFINER = user` clause.
    Definer,
    /// After a leading MySQL `BEGIN`: `NOT ATOMIC` or a transaction.
    Begin,
}

/// What an open block is, as far as deciding whether a statement may start in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlockKind {
    /// A block of statements (`BEGIN`, `IF`, a `CASE` statement, loops).
    Statements,
    /// A `CASE` expression: its `THEN` and `ELSE` are followed by expressions.
    CaseExpression,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Block {
    kind: BlockKind,
    line: u32,
}

/// Follows the keywords of one statement to know whether a `;` ends it.
pub(super) struct Body {
    dialect: Dialect,
    mode: Mode,
    /// The open blocks, outermost first.
    blocks: Vec<Block>,
    /// The previous token, `None` at the start of the statement.
    prev: Option<Tok>,
    /// The line of the previous token.
    prev_line: u32,
}

impl Body {
    pub(super) fn new(dialect: Dialect, delimiter: &[u8]) -> Body {
        let mode = match dialect {
            Dialect::Postgres => Mode::Program,
            Dialect::MySql if delimiter != b";" => Mode::Plain,
            Dialect::MySql | Dialect::Sqlite => Mode::Head(Head::Start),
        };
        Body {
            dialect,
            mode,
            blocks: Vec::new(),
            prev: None,
            prev_line: 0,
        }
    }

    pub(super) fn is_open(&self) -> bool {
        !self.blocks.is_empty()
    }

    /// The line of the outermost open block, if any.
    pub(super) fn open_line(&self) -> Option<u32> {
        self.blocks.first().map(|block| block.line)
    }

    pub(super) fn feed(&mut self, tok: Tok, line: u32) {
        // `t.end` is a column, not a keyword.
        let tok = match (self.prev, tok) {
            (Some(Tok::Punct(b'.')), Tok::Word(_)) => Tok::Word(None),
            _ => tok,
        };
        match self.mode {
            Mode::Head(step) => self.head(step, tok, line),
            Mode::Plain => {}
            Mode::Program => self.block(tok, line),
        }
        self.prev = Some(tok);
        self.prev_line = line;
    }

    /// Reads the head of a MySQL or SQLite statement, deciding whether blocks are tracked.
    fn head(&mut self, step: Head, tok: Tok, line: u32) {
        let programs = self.dialect.inline_programs();
        let only_triggers = self.dialect.only_triggers_have_bodies();
        let Tok::Word(kw) = tok else {
            // Punctuation and quoted names belong in `DEFINER = 'user'@'host'`.
            if matches!(step, Head::Start | Head::Begin) {
                self.mode = Mode::Plain;
            }
            return;
        };
        let in_user = matches!(self.prev, Some(Tok::Punct(b'=' | b'@')));
        self.mode = match (step, kw) {
            (Head::Start, Some(Kw::Create)) => Mode::Head(Head::Create),
            (Head::Start, Some(Kw::Begin)) if programs => Mode::Head(Head::Begin),
            (
                Head::Start,
                Some(Kw::If | Kw::Case | Kw::Loop | Kw::While | Kw::Repeat | Kw::For),
            ) if programs => Mode::Program,
            (Head::Create, Some(Kw::Or | Kw::Replace)) if programs => Mode::Head(Head::Create),
            (Head::Create, Some(Kw::Definer)) if programs => Mode::Head(Head::Definer),
            (Head::Definer, _) if in_user => Mode::Head(Head::Definer),
            (Head::Create | Head::Definer, Some(Kw::Aggregate)) if programs => {
                Mode::Head(Head::Create)
            }
            (
                Head::Create | Head::Definer,
                Some(Kw::Procedure | Kw::Function | Kw::Trigger | Kw::Event),
            ) if programs => Mode::Program,
            (Head::Create, Some(Kw::Temp | Kw::Temporary)) if only_triggers => {
                Mode::Head(Head::Create)
            }
            (Head::Create, Some(Kw::Trigger)) if only_triggers => Mode::Program,
            (Head::Begin, Some(Kw::Not)) => Mode::Program,
            _ => Mode::Plain,
        };
        match (step, self.mode) {
            // A MariaDB compound statement outside a stored program: its first word opens it.
            (Head::Start, Mode::Program) => self.block(tok, line),
            // `BEGIN NOT ATOMIC`
            (Head::Begin, Mode::Program) => self.blocks.push(Block {
                kind: BlockKind::Statements,
                line: self.prev_line,
            }),
            _ => {}
        }
    }

    /// Opens or closes a block for a keyword of a statement whose blocks are tracked.
    fn block(&mut self, tok: Tok, line: u32) {
        let Tok::Word(Some(kw)) = tok else { return };
        if kw == Kw::End {
            self.blocks.pop();
            return;
        }
        let after_end = self.prev == Some(Tok::Word(Some(Kw::End)));
        let statement_start = self.at_statement_start();
        let opens = match self.dialect {
            Dialect::MySql => match kw {
                Kw::Begin => true,
                Kw::Case => !after_end,
                Kw::If | Kw::Loop | Kw::While | Kw::Repeat | Kw::For => {
                    !after_end && statement_start
                }
                _ => false,
            },
            Dialect::Sqlite => kw == Kw::Begin || (kw == Kw::Case && !after_end),
            Dialect::Postgres => match kw {
                Kw::Atomic => self.prev == Some(Tok::Word(Some(Kw::Begin))),
                Kw::Case => self.is_open(),
                _ => false,
            },
        };
        if opens {
            let kind = match kw {
                Kw::Case if !statement_start => BlockKind::CaseExpression,
                _ => BlockKind::Statements,
            };
            let line = if kw == Kw::Atomic {
                self.prev_line
            } else {
                line
            };
            self.blocks.push(Block { kind, line });
        }
    }

    /// Whether a MySQL statement may start at the current token of a stored program.
    fn at_statement_start(&self) -> bool {
        match self.prev {
            None | Some(Tok::Punct(b';' | b':')) => true,
            Some(Tok::Word(Some(
                Kw::Begin
                | Kw::Atomic
                | Kw::Do
                | Kw::Loop
                | Kw::Repeat
                | Kw::Row
                | Kw::Sqlexception
                | Kw::Sqlwarning
                | Kw::Found,
            ))) => true,
            Some(Tok::Word(Some(Kw::Then | Kw::Else))) => self
                .blocks
                .last()
                .is_none_or(|block| block.kind != BlockKind::CaseExpression),
            _ => false,
        }
    }
}
