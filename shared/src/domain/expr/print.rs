//! The canonical text of an expression: upper-case function names, one space around
//! binary operators, and only the parentheses the tree needs, so that `parse` of the text
//! gives back the same tree.
//!
//! The canonical text can be longer than what was typed (`1+2` prints as `1 + 2`), so a
//! rule stores the text its author wrote; a canonical text that is to be stored goes
//! through [`parse`](super::parse) again like any other input.

use std::fmt::{self, Write};

use super::ast::{BinaryOp, Expr, Literal};

/// How tightly a form binds; a child that binds less tightly than its place requires is
/// wrapped in parentheses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Precedence {
    Sum,
    Product,
    Unary,
    Atom,
}

impl Precedence {
    fn of(expr: &Expr) -> Precedence {
        match expr {
            Expr::Binary(BinaryOp::Add | BinaryOp::Sub, ..) => Precedence::Sum,
            Expr::Binary(BinaryOp::Mul | BinaryOp::Div, ..) => Precedence::Product,
            Expr::Neg(_) => Precedence::Unary,
            Expr::Number(_) | Expr::Channel(_) | Expr::Call(..) => Precedence::Atom,
        }
    }

    fn tighter(self) -> Precedence {
        match self {
            Precedence::Sum => Precedence::Product,
            Precedence::Product => Precedence::Unary,
            Precedence::Unary | Precedence::Atom => Precedence::Atom,
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_expr(f, self, Precedence::Sum)
    }
}

fn write_expr(f: &mut fmt::Formatter<'_>, expr: &Expr, place: Precedence) -> fmt::Result {
    let own = Precedence::of(expr);
    if own < place {
        f.write_char('(')?;
        write_expr(f, expr, Precedence::Sum)?;
        return f.write_char(')');
    }
    match expr {
        Expr::Number(literal) => write!(f, "{literal}"),
        Expr::Channel(reference) => write!(f, "[{}]", reference.text()),
        Expr::Neg(operand) => {
            f.write_char('-')?;
            write_expr(f, operand, Precedence::Unary)
        }
        // Operators associate left, so the right operand needs parentheses at equal
        // precedence: `a - (b - c)` is another number than `a - b - c`.
        Expr::Binary(op, left, right) => {
            write_expr(f, left, own)?;
            write!(f, " {} ", op.symbol())?;
            write_expr(f, right, own.tighter())
        }
        Expr::Call(function, argument) => {
            write!(f, "{}(", function.name())?;
            write_expr(f, argument, Precedence::Sum)?;
            f.write_char(')')
        }
    }
}

/// Rust's shortest round-trip form, so the text parses back to the same bits; positional
/// as people write numbers, unless that is much longer than the exponent form (`1e300`
/// rather than three hundred zeros).
impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let positional = self.value().to_string();
        let exponent = format!("{:e}", self.value());
        if positional.len() > exponent.len() + 4 {
            f.write_str(&exponent)
        } else {
            f.write_str(&positional)
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::expr::parse;

    fn canonical(text: &str) -> String {
        parse(text).expect("valid expression").to_string()
    }

    #[test]
    fn canonical_text_drops_redundant_parentheses() {
        assert_eq!(canonical("(([a]))+((([b])*2))"), "[a] + [b] * 2");
        assert_eq!(canonical("([a] - [b]) - [c]"), "[a] - [b] - [c]");
    }

    #[test]
    fn right_operand_of_equal_precedence_keeps_its_parentheses() {
        assert_eq!(canonical("[a] - ([b] - [c])"), "[a] - ([b] - [c])");
        assert_eq!(canonical("[a] / ([b] * [c])"), "[a] / ([b] * [c])");
        assert_eq!(canonical("[a] + ([b] + [c])"), "[a] + ([b] + [c])");
    }

    #[test]
    fn negation_of_a_product_keeps_its_parentheses() {
        assert_eq!(canonical("-([a] * [b])"), "-([a] * [b])");
        assert_eq!(canonical("(-[a]) * [b]"), "-[a] * [b]");
        assert_eq!(canonical("[a] - -(-[b])"), "[a] - --[b]");
    }

    #[test]
    fn function_names_print_upper_case() {
        assert_eq!(canonical("sqr(sq([a]))"), "SQR(SQ([a]))");
    }

    #[test]
    fn numbers_print_positional_unless_much_longer() {
        assert_eq!(canonical("[a] * 100"), "[a] * 100");
        assert_eq!(canonical("[a] * .5"), "[a] * 0.5");
        assert_eq!(canonical("[a] * 1.5E-3"), "[a] * 0.0015");
        assert_eq!(canonical("[a] * 1e300"), "[a] * 1e300");
        assert_eq!(canonical("[a] * 0.000000001"), "[a] * 1e-9");
    }
}
