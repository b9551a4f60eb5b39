//! Splits expression text into tokens, one at a time as the parser asks, so that errors
//! come out in text order: the first problem a person reads is the first one reported.

use super::ast::Literal;
use super::{ExprError, MAX_CHARS};

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Kind<'a> {
    Number(Literal),
    /// The trimmed text between `[` and `]`, never empty.
    Channel(&'a str),
    /// A run of ASCII letters, digits and `_` starting with a letter or `_`.
    Name,
    Plus,
    Minus,
    Star,
    Slash,
    Open,
    Close,
    /// A character that starts no token; the parser reports it with what it expected.
    Other,
    End,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Token<'a> {
    pub kind: Kind<'a>,
    /// Character index of the token's first character.
    pub at: usize,
    /// The token as written.
    pub text: &'a str,
}

impl Token<'_> {
    /// The token as an error message names it.
    pub fn describe(&self) -> String {
        match self.kind {
            Kind::End => "end of expression".to_owned(),
            _ => format!("`{}`", self.text),
        }
    }
}

pub(super) struct Lexer<'a> {
    text: &'a str,
    /// Byte offset of the next character, for slicing.
    byte: usize,
    /// Character index of the next character, for positions.
    at: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(text: &'a str) -> Lexer<'a> {
        Lexer {
            text,
            byte: 0,
            at: 0,
        }
    }

    /// The next token. The length limit is checked here, after each token, so a long
    /// text with an early mistake reports the mistake, and nothing ever scans further
    /// than one token past the limit.
    pub fn next_token(&mut self) -> Result<Token<'a>, ExprError> {
        self.bump_while(char::is_whitespace);
        let (start, at) = (self.byte, self.at);
        let kind = match self.bump() {
            None => Kind::End,
            Some('+') => Kind::Plus,
            Some('-') => Kind::Minus,
            Some('*') => Kind::Star,
            Some('/') => Kind::Slash,
            Some('(') => Kind::Open,
            Some(')') => Kind::Close,
            Some('[') => self.channel(at)?,
            Some(c) if c.is_ascii_digit() || (c == '.' && self.peek_is(|d| d.is_ascii_digit())) => {
                self.number(start, at)?
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                self.bump_while(|c| c.is_ascii_alphanumeric() || c == '_');
                Kind::Name
            }
            Some(_) => Kind::Other,
        };
        if self.at > MAX_CHARS {
            return Err(ExprError::TooLong { at: MAX_CHARS });
        }
        Ok(Token {
            kind,
            at,
            text: &self.text[start..self.byte],
        })
    }

    /// Whether the next token is `(`, without reading it: tells a function name from a
    /// bare name while the error can still point at the name.
    pub fn open_follows(&self) -> bool {
        self.text[self.byte..].trim_start().starts_with('(')
    }

    fn peek_is(&self, test: impl Fn(char) -> bool) -> bool {
        self.text[self.byte..].chars().next().is_some_and(test)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.text[self.byte..].chars().next()?;
        self.byte += c.len_utf8();
        self.at += 1;
        Some(c)
    }

    fn bump_while(&mut self, test: impl Fn(char) -> bool) {
        while self.peek_is(&test) {
            self.bump();
        }
    }

    /// After `[`: the reference up to `]`. A `[` inside means a `]` was forgotten, which
    /// is worth saying rather than taking `a + [b` as one channel's name.
    fn channel(&mut self, at: usize) -> Result<Kind<'a>, ExprError> {
        let start = self.byte;
        self.bump_while(|c| c != ']' && c != '[');
        let inner = &self.text[start..self.byte];
        if self.bump() != Some(']') {
            return Err(ExprError::UnclosedReference { at });
        }
        match inner.trim() {
            "" => Err(ExprError::EmptyReference { at }),
            name => Ok(Kind::Channel(name)),
        }
    }

    /// After the first digit or `.`: `digits [. digits] [(e|E) [+|-] digits]`.
    fn number(&mut self, start: usize, at: usize) -> Result<Kind<'a>, ExprError> {
        let leading_dot = self.text[start..].starts_with('.');
        self.bump_while(|c| c.is_ascii_digit());
        if !leading_dot && self.peek_is(|c| c == '.') {
            self.bump();
            self.bump_while(|c| c.is_ascii_digit());
        }
        if self.peek_is(|c| c == 'e' || c == 'E') {
            self.bump();
            if self.peek_is(|c| c == '+' || c == '-') {
                self.bump();
            }
            if !self.peek_is(|c| c.is_ascii_digit()) {
                return Err(ExprError::MalformedNumber {
                    at,
                    text: self.text[start..self.byte].to_owned(),
                });
            }
            self.bump_while(|c| c.is_ascii_digit());
        }
        let text = &self.text[start..self.byte];
        // The scan above only accepts what `f64::from_str` does, so this error cannot
        // happen; mapping it keeps a parser change from ever becoming a panic.
        let value = text
            .parse::<f64>()
            .map_err(|_| ExprError::MalformedNumber {
                at,
                text: text.to_owned(),
            })?;
        Literal::new(value)
            .map(Kind::Number)
            .ok_or_else(|| ExprError::NumberTooLarge {
                at,
                text: text.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Kind<'_>> {
        let mut lexer = Lexer::new(text);
        let mut out = Vec::new();
        loop {
            let token = lexer.next_token().expect("valid tokens");
            if token.kind == Kind::End {
                return out;
            }
            out.push(token.kind);
        }
    }

    fn number(value: f64) -> Kind<'static> {
        Kind::Number(Literal::new(value).expect("test literal"))
    }

    #[test]
    fn numbers_take_every_decimal_form() {
        assert_eq!(
            kinds("12 0.5 .5 1. 1.5e-3 2E+6 7e0"),
            [12.0, 0.5, 0.5, 1.0, 1.5e-3, 2e6, 7.0].map(number)
        );
    }

    #[test]
    fn channel_reference_is_trimmed_text_between_brackets() {
        assert_eq!(
            kinds("[ sim-gw-1/LR8450-0001/CH1-1 ]"),
            [Kind::Channel("sim-gw-1/LR8450-0001/CH1-1")]
        );
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        let mut lexer = Lexer::new("[炉温] + 1");
        lexer.next_token().expect("channel");
        let plus = lexer.next_token().expect("plus");
        assert_eq!((plus.kind, plus.at), (Kind::Plus, 5));
    }
}
