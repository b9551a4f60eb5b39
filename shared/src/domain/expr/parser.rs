//! The recursive-descent parser: text to [`Expr`], or the first error in text order.
//!
//! ```text
//! sum     = product (("+" | "-") product)*
//! product = unary (("*" | "/") unary)*
//! unary   = "-"* atom
//! atom    = number | "[" reference "]" | function "(" sum ")" | "(" sum ")"
//! ```
//! Only `(` recurses, and it counts its depth, so no input can exhaust the stack.

use super::ast::{BinaryOp, Expr, Function, Reference};
use super::lexer::{Kind, Lexer, Token};
use super::{ExprError, MAX_DEPTH};

const EXPECTED_OPERAND: &str = "a number, a channel or `(`";

/// Parses an expression (see the [module docs](super) for the language and limits).
pub fn parse(text: &str) -> Result<Expr, ExprError> {
    let mut parser = Parser::new(text)?;
    let expr = parser.sum()?;
    match parser.token.kind {
        Kind::End => Ok(expr),
        Kind::Close => Err(ExprError::UnbalancedParenthesis {
            at: parser.token.at,
            detail: "`)` without a matching `(`",
        }),
        _ => Err(parser.unexpected("an operator or the end")),
    }
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    /// The one token of lookahead.
    token: Token<'a>,
    /// Open parentheses around the current token.
    depth: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Result<Parser<'a>, ExprError> {
        let mut lexer = Lexer::new(text);
        let token = lexer.next_token()?;
        Ok(Parser {
            lexer,
            token,
            depth: 0,
        })
    }

    fn advance(&mut self) -> Result<(), ExprError> {
        self.token = self.lexer.next_token()?;
        Ok(())
    }

    fn unexpected(&self, expected: &'static str) -> ExprError {
        ExprError::Unexpected {
            at: self.token.at,
            found: self.token.describe(),
            expected,
        }
    }

    fn sum(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.product()?;
        loop {
            let op = match self.token.kind {
                Kind::Plus => BinaryOp::Add,
                Kind::Minus => BinaryOp::Sub,
                _ => return Ok(left),
            };
            self.advance()?;
            left = Expr::Binary(op, Box::new(left), Box::new(self.product()?));
        }
    }

    fn product(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.token.kind {
                Kind::Star => BinaryOp::Mul,
                Kind::Slash => BinaryOp::Div,
                _ => return Ok(left),
            };
            self.advance()?;
            left = Expr::Binary(op, Box::new(left), Box::new(self.unary()?));
        }
    }

    /// Signs are counted rather than recursed into, so `------1` costs no stack and needs
    /// no depth limit of its own.
    fn unary(&mut self) -> Result<Expr, ExprError> {
        let mut signs = 0usize;
        while self.token.kind == Kind::Minus {
            signs += 1;
            self.advance()?;
        }
        let mut expr = self.atom()?;
        for _ in 0..signs {
            expr = Expr::Neg(Box::new(expr));
        }
        Ok(expr)
    }

    fn atom(&mut self) -> Result<Expr, ExprError> {
        let token = self.token;
        match token.kind {
            Kind::Number(literal) => {
                self.advance()?;
                Ok(Expr::Number(literal))
            }
            Kind::Channel(text) => {
                self.advance()?;
                Ok(Expr::Channel(Reference::written_at(text, token.at)))
            }
            Kind::Open => self.parenthesized(),
            Kind::Name => {
                let Some(function) = Function::from_name(token.text) else {
                    let name = token.text.to_owned();
                    return Err(if self.lexer.open_follows() {
                        ExprError::UnknownFunction { at: token.at, name }
                    } else {
                        ExprError::BareName { at: token.at, name }
                    });
                };
                self.advance()?;
                if self.token.kind != Kind::Open {
                    return Err(self.unexpected("`(` after a function name"));
                }
                Ok(Expr::Call(function, Box::new(self.parenthesized()?)))
            }
            _ => Err(self.unexpected(EXPECTED_OPERAND)),
        }
    }

    /// `( sum )`, with the current token the `(`; the only recursion of the parser.
    fn parenthesized(&mut self) -> Result<Expr, ExprError> {
        let open = self.token.at;
        if self.depth == MAX_DEPTH {
            return Err(ExprError::TooDeep { at: open });
        }
        self.depth += 1;
        self.advance()?;
        let inner = self.sum()?;
        match self.token.kind {
            Kind::Close => self.advance()?,
            Kind::End => {
                return Err(ExprError::UnbalancedParenthesis {
                    at: open,
                    detail: "`(` is never closed",
                })
            }
            _ => return Err(self.unexpected("an operator or `)`")),
        }
        self.depth -= 1;
        Ok(inner)
    }
}

#[cfg(test)]
mod tests {
    use super::super::ast::Literal;
    use super::*;
    use crate::domain::expr::MAX_CHARS;

    fn num(value: f64) -> Box<Expr> {
        Box::new(Expr::Number(Literal::new(value).expect("test literal")))
    }

    fn chan(text: &str) -> Box<Expr> {
        Box::new(Expr::Channel(Reference::new(text).expect("test reference")))
    }

    fn error(text: &str) -> String {
        match parse(text) {
            Ok(expr) => panic!("{text:?} parsed as {expr:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn product_binds_tighter_than_sum() {
        use BinaryOp::*;
        assert_eq!(
            parse("1 + 2 * 3").unwrap(),
            Expr::Binary(
                Add,
                num(1.0),
                Box::new(Expr::Binary(Mul, num(2.0), num(3.0)))
            )
        );
    }

    #[test]
    fn operators_of_equal_precedence_associate_left() {
        use BinaryOp::*;
        assert_eq!(
            parse("[a] - [b] - [c]").unwrap(),
            Expr::Binary(
                Sub,
                Box::new(Expr::Binary(Sub, chan("a"), chan("b"))),
                chan("c")
            )
        );
        assert_eq!(
            parse("[a] / [b] * [c]").unwrap(),
            Expr::Binary(
                Mul,
                Box::new(Expr::Binary(Div, chan("a"), chan("b"))),
                chan("c")
            )
        );
    }

    #[test]
    fn unary_minus_binds_tighter_than_product() {
        assert_eq!(
            parse("-[a] * [b]").unwrap(),
            Expr::Binary(BinaryOp::Mul, Box::new(Expr::Neg(chan("a"))), chan("b"))
        );
        assert_eq!(
            parse("[a] * --2").unwrap(),
            Expr::Binary(
                BinaryOp::Mul,
                chan("a"),
                Box::new(Expr::Neg(Box::new(Expr::Neg(num(2.0)))))
            )
        );
    }

    #[test]
    fn functions_are_case_insensitive_and_whitespace_goes_anywhere() {
        assert_eq!(
            parse(" sqr ( Sq( [ CH1 ] ) )\t").unwrap(),
            Expr::Call(
                Function::Sqr,
                Box::new(Expr::Call(Function::Sq, chan("CH1")))
            )
        );
    }

    #[test]
    fn references_remember_their_character_position() {
        let Expr::Binary(_, _, right) = parse("[温度] + [CH2]").unwrap() else {
            panic!("a sum");
        };
        let Expr::Channel(reference) = *right else {
            panic!("a channel");
        };
        assert_eq!((reference.text(), reference.at()), ("CH2", 7));
    }

    #[test]
    fn stray_closing_parenthesis_is_unbalanced() {
        assert_eq!(
            error("([a] + 1))"),
            "unbalanced parenthesis at 9: `)` without a matching `(`"
        );
    }

    #[test]
    fn unclosed_parenthesis_is_reported_where_it_opens() {
        assert_eq!(
            error("[a] * (1 + SQ(2)"),
            "unbalanced parenthesis at 6: `(` is never closed"
        );
    }

    #[test]
    fn operator_without_operand_names_what_was_expected() {
        assert_eq!(
            error("[a] ** 2"),
            "unexpected `*` at 5: expected a number, a channel or `(`"
        );
        assert_eq!(
            error("[a] +"),
            "unexpected end of expression at 5: expected a number, a channel or `(`"
        );
        assert_eq!(
            error(""),
            "unexpected end of expression at 0: expected a number, a channel or `(`"
        );
    }

    #[test]
    fn missing_operator_is_unexpected() {
        assert_eq!(
            error("[a] 2"),
            "unexpected `2` at 4: expected an operator or the end"
        );
        assert_eq!(
            error("([a] [b])"),
            "unexpected `[b]` at 5: expected an operator or `)`"
        );
        assert_eq!(
            error("1 + $"),
            "unexpected `$` at 4: expected a number, a channel or `(`"
        );
    }

    #[test]
    fn unknown_function_lists_the_known_ones() {
        assert_eq!(
            error("LOG([a])"),
            "unknown function `LOG` at 0; functions are SQ and SQR"
        );
        assert_eq!(
            error("1 + sqrt ([a])"),
            "unknown function `sqrt` at 4; functions are SQ and SQR"
        );
    }

    #[test]
    fn bare_name_suggests_brackets() {
        assert_eq!(
            error("CH1 * 2"),
            "unexpected name `CH1` at 0: a channel is written in brackets, like `[CH1]`"
        );
    }

    #[test]
    fn function_needs_its_argument_in_parentheses() {
        assert_eq!(
            error("SQ [a]"),
            "unexpected `[a]` at 3: expected `(` after a function name"
        );
    }

    #[test]
    fn channel_reference_must_be_closed() {
        assert_eq!(
            error("1 + [CH1"),
            "unclosed channel reference at 4: `[` needs a matching `]`"
        );
        assert_eq!(
            error("[a + [b]"),
            "unclosed channel reference at 0: `[` needs a matching `]`"
        );
    }

    #[test]
    fn channel_reference_must_not_be_empty() {
        assert_eq!(error("1 + [  ]"), "empty channel reference at 4");
    }

    #[test]
    fn exponent_needs_digits() {
        assert_eq!(
            error("[a] * 1.5e+"),
            "malformed number `1.5e+` at 6: an exponent needs digits"
        );
    }

    #[test]
    fn number_must_be_finite() {
        assert_eq!(
            error("[a] * 1e309"),
            "number too large at 6: `1e309` is not finite"
        );
    }

    #[test]
    fn nesting_is_limited_to_max_depth() {
        let deepest = format!("{}[a]{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(&deepest).is_ok());
        let functions = format!(
            "{}[a]{}",
            "SQ(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(
            error(&functions),
            "nesting too deep at 194: at most 64 levels of parentheses and functions"
        );
    }

    #[test]
    fn a_hundred_thousand_open_parentheses_are_too_deep_not_a_stack_overflow() {
        let err = parse(&"(".repeat(100_000)).unwrap_err();
        assert_eq!(err, ExprError::TooDeep { at: MAX_DEPTH });
    }

    #[test]
    fn text_is_limited_to_max_chars() {
        let longest = format!("[a]{}", " + 1".repeat((MAX_CHARS - 3) / 4));
        assert!(longest.chars().count() > MAX_CHARS - 4);
        assert!(parse(&longest).is_ok());
        let padded = format!("{longest}{}", " ".repeat(MAX_CHARS));
        assert_eq!(
            error(&padded),
            "expression too long at 1000: at most 1000 characters"
        );
    }

    #[test]
    fn earliest_error_wins_over_length() {
        let text = format!("[a] +* {}", "1 + ".repeat(MAX_CHARS));
        assert_eq!(parse(&text).unwrap_err().position(), 5);
    }
}
