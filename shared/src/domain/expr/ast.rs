//! The expression tree that [`parse`](super::parse) builds and [`compile`](super::compile)
//! turns into a program. Its leaves validate on construction, so every tree prints to text
//! that parses back to the same tree.

/// A parsed expression. Parentheses leave no trace: the tree's shape holds the grouping,
/// and the printer puts back only the parentheses it needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(Literal),
    Channel(Reference),
    /// Unary minus.
    Neg(Box<Expr>),
    /// Left operand, then right.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// A function applied to its one argument.
    Call(Function, Box<Expr>),
}

/// A number as written: finite and without a sign (not even `-0.0`), because the
/// language has no signed literals; `-2` is [`Expr::Neg`] of `2`. Holding that here lets
/// the printer write any tree back as text that parses to the same tree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Literal(f64);

impl Literal {
    /// `None` for a negative, signed-zero, infinite or NaN number.
    pub fn new(value: f64) -> Option<Literal> {
        (value.is_finite() && value.is_sign_positive()).then_some(Literal(value))
    }

    /// The number, never negative.
    pub fn value(self) -> f64 {
        self.0
    }
}

/// A channel reference: the trimmed text between `[` and `]`, resolved by the caller.
///
/// It also remembers where it was written, so that an unknown channel is reported at its
/// place in the text. Like a span in a compiler, that position is not part of the
/// reference's identity: equality compares the text only, so a tree equals the tree
/// parsed from its printed form.
#[derive(Debug, Clone)]
pub struct Reference {
    text: String,
    at: usize,
}

impl Reference {
    /// `None` unless `text` is non-empty, has no surrounding whitespace and no `[` or
    /// `]`: exactly what can stand between brackets and come back the same. Its position
    /// is 0, as a reference built in code was not written anywhere.
    pub fn new(text: impl Into<String>) -> Option<Reference> {
        let text = text.into();
        let valid = !text.is_empty() && text.trim() == text && !text.contains(['[', ']']);
        valid.then_some(Reference { text, at: 0 })
    }

    /// A reference the lexer has already checked, written at character `at`.
    pub(super) fn written_at(text: &str, at: usize) -> Reference {
        Reference {
            text: text.to_owned(),
            at,
        }
    }

    /// What the caller's resolver looks up.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The character index of its `[` in the parsed text.
    pub fn at(&self) -> usize {
        self.at
    }
}

impl PartialEq for Reference {
    fn eq(&self, other: &Reference) -> bool {
        self.text == other.text
    }
}

/// The four arithmetic operators; `*` and `/` bind tighter than `+` and `-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    /// The operator as written.
    pub fn symbol(self) -> char {
        match self {
            BinaryOp::Add => '+',
            BinaryOp::Sub => '-',
            BinaryOp::Mul => '*',
            BinaryOp::Div => '/',
        }
    }
}

/// The functions of SPEC §5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `SQ(x)`: x².
    Sq,
    /// `SQR(x)`: √x.
    Sqr,
}

impl Function {
    /// Every function, for lookups and tests.
    pub const ALL: [Function; 2] = [Function::Sq, Function::Sqr];

    /// The canonical (upper-case) name.
    pub fn name(self) -> &'static str {
        match self {
            Function::Sq => "SQ",
            Function::Sqr => "SQR",
        }
    }

    /// Names are case-insensitive: people type `sqr` as often as `SQR`.
    pub fn from_name(name: &str) -> Option<Function> {
        Function::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_finite_and_unsigned() {
        assert_eq!(Literal::new(1.5).map(Literal::value), Some(1.5));
        assert_eq!(Literal::new(0.0).map(Literal::value), Some(0.0));
        assert!(Literal::new(-1.0).is_none());
        assert!(Literal::new(-0.0).is_none());
        assert!(Literal::new(f64::INFINITY).is_none());
        assert!(Literal::new(f64::NAN).is_none());
    }

    #[test]
    fn references_are_what_brackets_can_hold() {
        assert!(Reference::new("sim-gw-1/LR8450-0001/CH1-1").is_some());
        assert!(Reference::new("炉温 1").is_some());
        assert!(Reference::new("").is_none());
        assert!(Reference::new(" CH1").is_none());
        assert!(Reference::new("CH[1]").is_none());
    }

    #[test]
    fn reference_equality_ignores_position() {
        assert_eq!(
            Reference::written_at("CH1", 7),
            Reference::written_at("CH1", 0)
        );
        assert_ne!(
            Reference::written_at("CH1", 7),
            Reference::written_at("CH2", 7)
        );
    }

    #[test]
    fn function_names_are_case_insensitive() {
        assert_eq!(Function::from_name("sqr"), Some(Function::Sqr));
        assert_eq!(Function::from_name("Sq"), Some(Function::Sq));
        assert_eq!(Function::from_name("SQRT"), None);
    }
}
