//! A channel's cell: a number, a special value by its name, or empty for no value.
//!
//! Numbers are written in the shortest form that reads back to the same bits (Rust's
//! float formatting guarantees it), so an export imports back bit-exact, `-0` included.
//! Very large and very small magnitudes are written with an exponent (`1e300`, not three
//! hundred digits), which spreadsheets read as well.

use std::fmt::Write;

use crate::domain::record::{Special, Value};

/// Why a value cell was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueProblem {
    #[error("\"{0}\" is not a number or one of +OVER, -OVER, BURNOUT, ERROR")]
    NotANumber(String),
    #[error("\"{0}\" is not a finite number; NaN and infinities are not measurements")]
    NotFinite(String),
}

/// Reads a value cell: `None` for an empty cell (no value at that instant). Spaces
/// around the text are ignored.
pub fn parse_value(cell: &str) -> Result<Option<Value>, ValueProblem> {
    let text = cell.trim_matches([' ', '\t']);
    if text.is_empty() {
        return Ok(None);
    }
    if let Some(special) = Special::parse(text) {
        return Ok(Some(Value::Special(special)));
    }
    let number: f64 = text
        .parse()
        .map_err(|_| ValueProblem::NotANumber(cell.to_owned()))?;
    Value::finite(number)
        .map(Some)
        .ok_or_else(|| ValueProblem::NotFinite(cell.to_owned()))
}

/// Writes a value cell to `out`; it never needs quoting. Straight into the line, as an
/// export writes millions of them.
pub fn push_value(value: Option<&Value>, out: &mut String) {
    match value {
        None => {}
        Some(Value::Special(special)) => out.push_str(special.as_str()),
        Some(Value::Number(number)) => {
            let magnitude = number.abs();
            // Writing to a String cannot fail.
            let _ = if magnitude == 0.0 || (1e-5..1e16).contains(&magnitude) {
                write!(out, "{number}")
            } else {
                write!(out, "{number:e}")
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format_value(value: Option<&Value>) -> String {
        let mut cell = String::new();
        push_value(value, &mut cell);
        cell
    }

    #[test]
    fn numbers_are_short_and_read_back_to_the_same_bits() {
        for (number, text) in [
            (21.5, "21.5"),
            (-0.0, "-0"),
            (0.0, "0"),
            (1e300, "1e300"),
            (f64::MIN_POSITIVE / 4.0, "5.562684646268003e-309"),
            (5e-324, "5e-324"),
            (0.1 + 0.2, "0.30000000000000004"),
            (123456789012345.6, "123456789012345.6"),
        ] {
            let cell = format_value(Some(&Value::Number(number)));
            assert_eq!(cell, text);
            let Ok(Some(Value::Number(back))) = parse_value(&cell) else {
                panic!("{cell} does not read back");
            };
            assert_eq!(back.to_bits(), number.to_bits(), "{cell}");
        }
    }

    #[test]
    fn special_values_and_empty_cells_read_as_such() {
        for special in Special::ALL {
            assert_eq!(
                parse_value(special.as_str()),
                Ok(Some(Value::Special(special)))
            );
        }
        assert_eq!(parse_value(""), Ok(None));
        assert_eq!(parse_value("  "), Ok(None));
        assert_eq!(parse_value(" 2.5 "), Ok(Some(Value::Number(2.5))));
    }

    #[test]
    fn text_nan_infinities_and_misspelt_specials_are_refused() {
        for cell in ["12,5", "over", "+over", "1.2.3", "0x10"] {
            assert_eq!(
                parse_value(cell),
                Err(ValueProblem::NotANumber(cell.into()))
            );
        }
        for cell in ["NaN", "inf", "-infinity", "1e999"] {
            assert_eq!(parse_value(cell), Err(ValueProblem::NotFinite(cell.into())));
        }
    }
}
