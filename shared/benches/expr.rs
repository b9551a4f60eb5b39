//! Channel math cost: ingest evaluates every calculated channel for every record, and
//! compiles a rule once per invocation.
//!
//! `cargo bench -p fieldcloud --bench expr -- --warm-up-time 1 --measurement-time 3`
//! on the 2-core development VM (rustc 1.95, bench profile):
//! - eval, 10 sources, all numbers: 49.9 ns (20.0 M evaluations/s)
//! - eval, first source special: 1.7 ns
//! - parse + compile of the same expression: 2.1 µs
//!
//! The target (module docs of `fieldcloud::domain::expr`): under 200 ns per evaluation.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fieldcloud::domain::expr::{compile, parse, Program};
use fieldcloud::domain::record::{Special, Value};

const TEN_SOURCES: &str =
    "SQR(SQ([a]-[b]) + SQ([c]-[d])) * [e] / ([f] + 1) - [g] * [h] + [i] / 2 - [j]";

fn program() -> Program<String> {
    let expr = parse(TEN_SOURCES).expect("the benchmark expression parses");
    compile(&expr, |name| Ok(name.to_owned())).expect("the benchmark expression compiles")
}

fn eval(c: &mut Criterion) {
    let program = program();
    let numbers: Vec<Value> = (1..=10)
        .map(|i| Value::Number(f64::from(i) * 1.25))
        .collect();
    let mut special = numbers.clone();
    special[0] = Value::Special(Special::PlusOver);
    let mut group = c.benchmark_group("eval");
    group.throughput(Throughput::Elements(1));
    group.bench_function("10 sources", |b| {
        b.iter(|| program.eval(black_box(&numbers)))
    });
    group.bench_function("10 sources, first special", |b| {
        b.iter(|| program.eval(black_box(&special)))
    });
    group.finish();
}

fn parse_and_compile(c: &mut Criterion) {
    c.bench_function("parse + compile, 10 sources", |b| {
        b.iter(|| {
            let expr = parse(black_box(TEN_SOURCES)).expect("parses");
            compile(&expr, |name| Ok::<_, String>(name.to_owned())).expect("compiles")
        })
    });
}

criterion_group!(benches, eval, parse_and_compile);
criterion_main!(benches);
