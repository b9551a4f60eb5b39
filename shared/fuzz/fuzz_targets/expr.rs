//! Fuzzes channel math: any text either is refused with an error or parses to a tree
//! that prints, parses back to itself, compiles and evaluates, without a panic.

#![no_main]

use fieldcloud::domain::expr::{compile, parse, ExprError};
use fieldcloud::domain::record::{Special, Value};
use libfuzzer_sys::fuzz_target;

/// Inputs for up to ten slots: ordinary, zero, negative and huge numbers, and a special
/// value last, so the tail of any length holds exactly one special value.
const INPUTS: [Value; 10] = [
    Value::Number(1.5),
    Value::Number(0.0),
    Value::Number(-2.0),
    Value::Number(1e300),
    Value::Number(-0.0),
    Value::Number(7.0),
    Value::Number(f64::MAX),
    Value::Number(-1e-300),
    Value::Number(3.0),
    Value::Special(Special::Burnout),
];

fuzz_target!(|text: &str| {
    let Ok(expr) = parse(text) else {
        return;
    };
    let printed = expr.to_string();
    match parse(&printed) {
        Ok(reparsed) => assert_eq!(reparsed, expr, "{text:?} printed as {printed:?}"),
        // Canonical text adds spaces, so it may outgrow the input limit; nothing else.
        Err(error) => assert!(
            matches!(error, ExprError::TooLong { .. }),
            "{text:?} printed as {printed:?}: {error}"
        ),
    }
    if let Ok(program) = compile(&expr, |name| Ok::<_, String>(name.to_owned())) {
        let slots = program.sources().len();
        if let Value::Number(number) = program.eval(&INPUTS[..slots]) {
            assert!(number.is_finite(), "{text:?} gave {number}");
        }
        let special = program.eval(&INPUTS[INPUTS.len() - slots..]);
        assert!(
            special.same_bits(&Value::Special(Special::Burnout)),
            "{text:?} gave {special:?}"
        );
    }
});
