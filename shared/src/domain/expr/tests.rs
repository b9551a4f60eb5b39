//! Properties across the parser, printer and program, checked against a reference
//! evaluator that walks the tree the obvious way.

use std::collections::HashMap;

use proptest::prelude::*;

use super::*;
use crate::domain::record::{Special, Value};

/// Reference names, with some that need care in print: a path, spaces, non-ASCII.
const NAMES: [&str; 8] = [
    "a",
    "b",
    "c",
    "LR8450-1/CH1-1",
    "sim-gw-1/LR8450-0001/CH1-1",
    "炉温 1",
    "x y",
    "CH(2)",
];

/// The rules of the module docs, written as directly as possible: the first special
/// value in order of appearance, else the tree's value if every step is finite.
fn reference_eval(expr: &Expr, inputs: &HashMap<&str, Value>) -> Value {
    let mut order = Vec::new();
    appearance_order(expr, &mut order);
    for name in order {
        if let Value::Special(special) = inputs[name] {
            return Value::Special(special);
        }
    }
    match walk(expr, inputs) {
        Some(number) => Value::Number(number),
        None => Value::Special(Special::Error),
    }
}

fn appearance_order<'e>(expr: &'e Expr, order: &mut Vec<&'e str>) {
    match expr {
        Expr::Number(_) => {}
        Expr::Channel(reference) => {
            if !order.contains(&reference.text()) {
                order.push(reference.text());
            }
        }
        Expr::Neg(operand) | Expr::Call(_, operand) => appearance_order(operand, order),
        Expr::Binary(_, left, right) => {
            appearance_order(left, order);
            appearance_order(right, order);
        }
    }
}

fn walk(expr: &Expr, inputs: &HashMap<&str, Value>) -> Option<f64> {
    let value = match expr {
        Expr::Number(literal) => literal.value(),
        Expr::Channel(reference) => match inputs[reference.text()] {
            Value::Number(number) => number,
            Value::Special(_) => return None,
        },
        Expr::Neg(operand) => -walk(operand, inputs)?,
        Expr::Call(Function::Sq, operand) => walk(operand, inputs)?.powi(2),
        Expr::Call(Function::Sqr, operand) => walk(operand, inputs)?.sqrt(),
        Expr::Binary(op, left, right) => {
            let (left, right) = (walk(left, inputs)?, walk(right, inputs)?);
            match op {
                BinaryOp::Add => left + right,
                BinaryOp::Sub => left - right,
                BinaryOp::Mul => left * right,
                BinaryOp::Div => left / right,
            }
        }
    };
    value.is_finite().then_some(value)
}

/// `expr` written the long way, independently of the canonical printer: every operation
/// in parentheses, spaces around every token, lower-case functions, exponent numbers.
fn verbose(expr: &Expr) -> String {
    match expr {
        Expr::Number(literal) => format!("{:E}", literal.value()),
        Expr::Channel(reference) => format!("[ {} ]", reference.text()),
        Expr::Neg(operand) => format!("- ( {} )", verbose(operand)),
        Expr::Binary(op, left, right) => {
            format!("( {} {} {} )", verbose(left), op.symbol(), verbose(right))
        }
        Expr::Call(function, argument) => {
            format!(
                "{} ( {} )",
                function.name().to_lowercase(),
                verbose(argument)
            )
        }
    }
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        prop::sample::select(vec![
            0.0,
            0.5,
            1.0,
            2.0,
            0.1,
            100.0,
            1e-300,
            5e-324,
            1e300,
            f64::MAX
        ]),
        0.0..1e6f64,
        any::<f64>().prop_map(f64::abs),
    ]
    .prop_filter_map("finite and unsigned", Literal::new)
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        1 => literal().prop_map(Expr::Number),
        2 => prop::sample::select(NAMES.to_vec())
            .prop_map(|name| Expr::Channel(Reference::new(name).expect("valid name"))),
    ];
    leaf.prop_recursive(8, 64, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| Expr::Neg(Box::new(e))),
            (
                prop::sample::select(vec![
                    BinaryOp::Add,
                    BinaryOp::Sub,
                    BinaryOp::Mul,
                    BinaryOp::Div
                ]),
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(op, l, r)| Expr::Binary(op, Box::new(l), Box::new(r))),
            (prop::sample::select(Function::ALL.to_vec()), inner)
                .prop_map(|(f, e)| Expr::Call(f, Box::new(e))),
        ]
    })
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => prop::sample::select(Special::ALL.to_vec()).prop_map(Value::Special),
        3 => prop::sample::select(vec![
            0.0, -0.0, 1.0, -1.0, 1e300, -1e300, f64::MAX, -f64::MAX, 5e-324, -5e-324,
        ])
        .prop_map(Value::Number),
        3 => (-1e3..1e3f64).prop_map(Value::Number),
        3 => any::<f64>().prop_filter_map("finite", Value::finite),
    ]
}

/// Text made of the language's tokens and near misses: it reaches every error path of the
/// parser, and now and then a valid expression, where arbitrary text rarely gets past the
/// first token.
fn token_soup() -> impl Strategy<Value = String> {
    const TOKENS: [&str; 24] = [
        "[a]",
        "[ b ]",
        "[炉温 1]",
        "[",
        "]",
        "1",
        ".5",
        "2.5E-3",
        "1e",
        "1e999",
        "(",
        "(",
        ")",
        ")",
        "+",
        "-",
        "-",
        "*",
        "/",
        "SQ(",
        "sqr(",
        "LOG(",
        "x",
        " ",
    ];
    prop::collection::vec(prop::sample::select(TOKENS.to_vec()), 0..60).prop_map(|t| t.concat())
}

proptest! {
    #[test]
    fn printed_expression_parses_back_to_the_same_tree(e in expr()) {
        let text = e.to_string();
        prop_assume!(text.chars().count() <= MAX_CHARS);
        prop_assert_eq!(parse(&text), Ok(e), "text: {}", text);
    }

    #[test]
    fn redundant_parentheses_spaces_and_case_do_not_change_the_tree(e in expr()) {
        let text = verbose(&e);
        prop_assume!(text.chars().count() <= MAX_CHARS);
        prop_assert_eq!(parse(&text), Ok(e), "text: {}", text);
    }

    #[test]
    fn compiled_program_agrees_with_the_tree_bit_for_bit(
        e in expr(),
        values in prop::collection::vec(value(), NAMES.len()),
    ) {
        let inputs: HashMap<&str, Value> = NAMES.into_iter().zip(values).collect();
        match compile(&e, |name| Ok(name.to_owned())) {
            Ok(program) => {
                let slots: Vec<Value> =
                    program.sources().iter().map(|name| inputs[name.as_str()]).collect();
                let compiled = program.eval(&slots);
                let reference = reference_eval(&e, &inputs);
                prop_assert!(
                    compiled.same_bits(&reference),
                    "{}: {:?} != {:?}", e, compiled, reference
                );
            }
            Err(error) => prop_assert_eq!(error, ExprError::NoSource),
        }
    }

    #[test]
    fn parser_never_panics_on_arbitrary_text(text in any::<String>()) {
        let _ = parse(&text);
    }

    #[test]
    fn nesting_beyond_max_depth_is_refused_however_deep(
        opens in prop::collection::vec(
            prop::sample::select(vec!["(", "SQ(", "-(", " ( "]),
            MAX_DEPTH + 1..20_000,
        ),
    ) {
        let error = parse(&opens.concat()).unwrap_err();
        prop_assert!(matches!(error, ExprError::TooDeep { .. }), "{}", error);
    }

    #[test]
    fn token_soup_never_panics_and_what_parses_round_trips_and_runs(text in token_soup()) {
        if let Ok(e) = parse(&text) {
            prop_assert_eq!(parse(&e.to_string()), Ok(e.clone()));
            if let Ok(program) = compile(&e, |name| Ok(name.to_owned())) {
                let inputs = vec![Value::Number(1.5); program.sources().len()];
                let _ = program.eval(&inputs);
            }
        }
    }
}
