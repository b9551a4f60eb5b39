//! Compilation of a tree into a flat stack program, and its evaluation: ingest compiles a
//! rule once and then runs it for every record, with no parsing and no allocation.

use crate::domain::record::{Special, Value};

use super::ast::{BinaryOp, Expr, Function, Reference};
use super::{ExprError, MAX_DEPTH, MAX_SOURCES};

/// The evaluation stack's size. Each level of parentheses holds at most two pending
/// operands (a sum's and a product's) and the innermost level three values, so
/// everything the parser accepts fits; a test builds the worst case.
const STACK_CAPACITY: usize = 2 * MAX_DEPTH + 3;
/// The stack size that nearly every real expression fits in. Such programs run on this
/// smaller stack, because clearing the full one cost as much as the arithmetic.
const SMALL_STACK: usize = 16;

#[derive(Debug, Clone, Copy)]
enum Op {
    Const(f64),
    Source(usize),
    Neg,
    Add,
    Sub,
    Mul,
    Div,
    Sq,
    Sqr,
}

/// A compiled expression: postfix operations over its source slots.
#[derive(Debug, Clone)]
pub struct Program<S> {
    ops: Vec<Op>,
    sources: Vec<S>,
    /// The most values on the stack at once.
    stack_needed: usize,
}

enum Step<'e> {
    Visit(&'e Expr),
    Emit(Op),
}

/// Resolves every reference with `resolve`, once per reference as written (its error
/// text becomes the message, e.g. "unknown channel `CH9`"), and compiles the tree.
/// References that resolve to equal sources share a slot; slots are numbered in order of
/// first appearance.
///
/// The walk uses its own work list rather than recursion, so even a tree built in code,
/// of any depth, is refused with an error rather than a stack overflow.
pub fn compile<S: PartialEq>(
    expr: &Expr,
    mut resolve: impl FnMut(&str) -> Result<S, String>,
) -> Result<Program<S>, ExprError> {
    let mut ops = Vec::new();
    let mut sources: Vec<S> = Vec::new();
    let mut first_extra: Option<&Reference> = None;
    let mut height = 0usize;
    let mut stack_needed = 0usize;
    let mut work = vec![Step::Visit(expr)];
    while let Some(step) = work.pop() {
        let op = match step {
            Step::Emit(op) => op,
            Step::Visit(Expr::Number(literal)) => Op::Const(literal.value()),
            Step::Visit(Expr::Channel(reference)) => {
                let source =
                    resolve(reference.text()).map_err(|reason| ExprError::UnresolvedReference {
                        at: reference.at(),
                        reason,
                    })?;
                let slot = match sources.iter().position(|known| *known == source) {
                    Some(slot) => slot,
                    None => {
                        sources.push(source);
                        if sources.len() == MAX_SOURCES + 1 {
                            first_extra = Some(reference);
                        }
                        sources.len() - 1
                    }
                };
                Op::Source(slot)
            }
            Step::Visit(Expr::Neg(operand)) => {
                work.extend([Step::Emit(Op::Neg), Step::Visit(operand)]);
                continue;
            }
            Step::Visit(Expr::Call(function, argument)) => {
                let op = match function {
                    Function::Sq => Op::Sq,
                    Function::Sqr => Op::Sqr,
                };
                work.extend([Step::Emit(op), Step::Visit(argument)]);
                continue;
            }
            Step::Visit(Expr::Binary(op, left, right)) => {
                let op = match op {
                    BinaryOp::Add => Op::Add,
                    BinaryOp::Sub => Op::Sub,
                    BinaryOp::Mul => Op::Mul,
                    BinaryOp::Div => Op::Div,
                };
                work.extend([Step::Emit(op), Step::Visit(right), Step::Visit(left)]);
                continue;
            }
        };
        match op {
            Op::Const(_) | Op::Source(_) => height += 1,
            Op::Add | Op::Sub | Op::Mul | Op::Div => height -= 1,
            Op::Neg | Op::Sq | Op::Sqr => {}
        }
        if height > STACK_CAPACITY {
            return Err(ExprError::TooComplex {
                capacity: STACK_CAPACITY,
            });
        }
        stack_needed = stack_needed.max(height);
        ops.push(op);
    }
    if let Some(reference) = first_extra {
        return Err(ExprError::TooManySources {
            at: reference.at(),
            count: sources.len(),
            reference: reference.text().to_owned(),
        });
    }
    if sources.is_empty() {
        return Err(ExprError::NoSource);
    }
    Ok(Program {
        ops,
        sources,
        stack_needed,
    })
}

impl<S> Program<S> {
    /// The sources in slot order: [`eval`](Self::eval) takes one input per slot, in this
    /// order.
    pub fn sources(&self) -> &[S] {
        &self.sources
    }

    /// Evaluates the program on one value per source slot, following the rules in the
    /// [module docs](super): a special source wins (the first in slot order), and any
    /// non-finite result of any operation is `ERROR`. A wrong number of inputs is a
    /// caller's bug; it gives `ERROR` too, rather than a panic in ingest.
    pub fn eval(&self, inputs: &[Value]) -> Value {
        if inputs.len() != self.sources.len() {
            return Value::Special(Special::Error);
        }
        let mut numbers = [0.0; MAX_SOURCES];
        for (number, input) in numbers.iter_mut().zip(inputs) {
            match *input {
                Value::Number(n) if n.is_finite() => *number = n,
                // `Value::finite` builds numbers; a NaN or infinity can only come from a
                // bug upstream, and is no measurement to compute with.
                Value::Number(_) => return Value::Special(Special::Error),
                Value::Special(special) => return Value::Special(special),
            }
        }
        let result = if self.stack_needed <= SMALL_STACK {
            self.run::<SMALL_STACK>(&numbers)
        } else {
            self.run::<STACK_CAPACITY>(&numbers)
        };
        match result {
            Some(number) => Value::Number(number),
            None => Value::Special(Special::Error),
        }
    }

    /// `None` as soon as an operation's result is not finite; `N` is at least
    /// `stack_needed`.
    fn run<const N: usize>(&self, sources: &[f64; MAX_SOURCES]) -> Option<f64> {
        let mut stack = Stack {
            values: [0.0; N],
            len: 0,
        };
        for op in &self.ops {
            match *op {
                Op::Const(value) => stack.push(value),
                Op::Source(slot) => stack.push(sources[slot]),
                Op::Neg => stack.unary(|x| -x)?,
                Op::Sq => stack.unary(|x| x * x)?,
                Op::Sqr => stack.unary(f64::sqrt)?,
                Op::Add => stack.binary(|a, b| a + b)?,
                Op::Sub => stack.binary(|a, b| a - b)?,
                Op::Mul => stack.binary(|a, b| a * b)?,
                Op::Div => stack.binary(|a, b| a / b)?,
            }
        }
        Some(stack.values[0])
    }
}

/// The operand stack. [`compile`] checked that the program never needs more than
/// [`STACK_CAPACITY`] values and never pops an empty stack.
struct Stack<const N: usize> {
    values: [f64; N],
    len: usize,
}

impl<const N: usize> Stack<N> {
    fn push(&mut self, value: f64) {
        self.values[self.len] = value;
        self.len += 1;
    }

    fn unary(&mut self, op: impl Fn(f64) -> f64) -> Option<()> {
        let top = &mut self.values[self.len - 1];
        *top = finite(op(*top))?;
        Some(())
    }

    fn binary(&mut self, op: impl Fn(f64, f64) -> f64) -> Option<()> {
        self.len -= 1;
        let right = self.values[self.len];
        let left = &mut self.values[self.len - 1];
        *left = finite(op(*left, right))?;
        Some(())
    }
}

fn finite(value: f64) -> Option<f64> {
    value.is_finite().then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::expr::{parse, Literal};

    /// Compiles `text` with references resolving to their own text.
    fn program(text: &str) -> Program<String> {
        let expr = parse(text).expect("valid expression");
        compile(&expr, |name| Ok(name.to_owned())).expect("compiles")
    }

    fn compile_error(text: &str) -> String {
        let expr = parse(text).expect("valid expression");
        let known = |name: &str| (0..=10).any(|i| name == format!("CH{i}"));
        match compile(&expr, |name| {
            if known(name) {
                Ok(name.to_owned())
            } else {
                Err(format!("unknown channel `{name}`"))
            }
        }) {
            Ok(_) => panic!("{text:?} compiled"),
            Err(e) => e.to_string(),
        }
    }

    fn n(value: f64) -> Value {
        Value::Number(value)
    }

    fn special(special: Special) -> Value {
        Value::Special(special)
    }

    #[test]
    fn evaluates_with_precedence_and_functions() {
        let p = program("SQR(SQ([CH1] - [CH2]) + SQ([CH3])) * 2 / -[CH4]");
        assert!(p
            .eval(&[n(7.0), n(4.0), n(4.0), n(5.0)])
            .same_bits(&n(-2.0)));
    }

    #[test]
    fn references_resolving_to_the_same_source_share_a_slot() {
        let expr = parse("[CH1] * [ch1] + [CH2] - [CH1]").expect("valid");
        let p = compile(&expr, |name| Ok(name.to_ascii_uppercase())).expect("compiles");
        assert_eq!(p.sources(), ["CH1", "CH2"]);
        assert!(p.eval(&[n(3.0), n(1.0)]).same_bits(&n(7.0)));
    }

    #[test]
    fn unknown_reference_is_reported_at_its_position() {
        assert_eq!(
            compile_error("[CH1] + 2 * ( [CH99] + [CH2] )"),
            "unknown channel `CH99` at 14"
        );
    }

    #[test]
    fn more_than_ten_sources_are_refused_at_the_eleventh() {
        let text = (0..11)
            .map(|i| format!("[CH{i}]"))
            .collect::<Vec<_>>()
            .join(" + ");
        assert_eq!(
            compile_error(&text),
            "11 source channels, at most 10: `[CH10]` at 80 is one too many"
        );
        let ten = (0..10)
            .map(|i| format!("[CH{i}]"))
            .collect::<Vec<_>>()
            .join("+");
        assert_eq!(program(&ten).sources().len(), 10);
    }

    #[test]
    fn an_expression_without_sources_is_refused() {
        assert_eq!(
            compile_error("1 + 2"),
            "an expression needs at least one source channel"
        );
    }

    #[test]
    fn first_special_source_in_slot_order_wins() {
        let p = program("[CH1] / 0 + [CH2] + [CH3]");
        let inputs = [
            n(1.0),
            special(Special::Burnout),
            special(Special::PlusOver),
        ];
        assert!(p.eval(&inputs).same_bits(&special(Special::Burnout)));
    }

    #[test]
    fn slot_order_is_first_appearance_not_tree_order() {
        let p = program("([CH2] - [CH1]) * [CH2]");
        assert_eq!(p.sources(), ["CH2", "CH1"]);
        let inputs = [special(Special::MinusOver), special(Special::PlusOver)];
        assert!(p.eval(&inputs).same_bits(&special(Special::MinusOver)));
    }

    #[test]
    fn division_by_zero_is_an_error() {
        let p = program("[CH1] / [CH2]");
        for numerator in [1.0, -1.0, 0.0] {
            for zero in [0.0, -0.0] {
                let result = p.eval(&[n(numerator), n(zero)]);
                assert!(
                    result.same_bits(&special(Special::Error)),
                    "{numerator}/{zero}"
                );
            }
        }
    }

    #[test]
    fn root_of_a_negative_number_is_an_error_but_of_minus_zero_is_minus_zero() {
        let p = program("SQR([CH1])");
        assert!(p.eval(&[n(-1e-300)]).same_bits(&special(Special::Error)));
        assert!(p.eval(&[n(-0.0)]).same_bits(&n(-0.0)));
    }

    #[test]
    fn overflow_is_an_error() {
        assert!(program("SQ([CH1])")
            .eval(&[n(1e200)])
            .same_bits(&special(Special::Error)));
        assert!(program("[CH1] * 10")
            .eval(&[n(f64::MAX)])
            .same_bits(&special(Special::Error)));
    }

    #[test]
    fn an_intermediate_infinity_is_an_error_even_if_it_would_vanish() {
        let p = program("1 / ([CH1] * [CH1])");
        assert!(p.eval(&[n(1e300)]).same_bits(&special(Special::Error)));
    }

    #[test]
    fn underflow_to_zero_is_a_number() {
        let p = program("[CH1] * 1e-300");
        assert!(p.eval(&[n(1e-300)]).same_bits(&n(0.0)));
    }

    #[test]
    fn wrong_number_of_inputs_is_an_error() {
        let p = program("[CH1] + [CH2]");
        assert!(p.eval(&[n(1.0)]).same_bits(&special(Special::Error)));
        assert!(p.eval(&[n(1.0); 3]).same_bits(&special(Special::Error)));
    }

    #[test]
    fn non_finite_input_is_an_error() {
        let p = program("[CH1] * 0");
        assert!(p.eval(&[n(f64::NAN)]).same_bits(&special(Special::Error)));
        assert!(p
            .eval(&[n(f64::INFINITY)])
            .same_bits(&special(Special::Error)));
    }

    #[test]
    fn deepest_parsable_expression_fits_the_stack() {
        // Every level leaves a sum's and a product's operand pending.
        let text = format!(
            "{}[a]+[a]*[a]{}",
            "[a]+[a]*(".repeat(MAX_DEPTH),
            ")".repeat(MAX_DEPTH)
        );
        let p = program(&text);
        assert!(p.eval(&[n(1.0)]).same_bits(&n((MAX_DEPTH + 2) as f64)));
    }

    #[test]
    fn tree_too_deep_for_the_stack_is_refused_not_overflowed() {
        let one = || Box::new(Expr::Number(Literal::new(1.0).expect("literal")));
        let mut expr = Expr::Channel(Reference::new("CH1").expect("reference"));
        for _ in 0..STACK_CAPACITY {
            expr = Expr::Binary(BinaryOp::Add, one(), Box::new(expr));
        }
        assert_eq!(
            compile(&expr, |name| Ok(name.to_owned())).unwrap_err(),
            ExprError::TooComplex {
                capacity: STACK_CAPACITY
            }
        );
    }
}
