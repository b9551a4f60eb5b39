//! Calculated channels of a measurement group: resolving the channels an expression
//! names, and evaluating it at record times.
//!
//! Users write references the short way, `[LR8450-0001/CH1-1]`, or in full,
//! `[sim-gw-1/LR8450-0001/CH1-1]`. A definition keeps the user's text for editing and a
//! canonical text with every reference in full, which compiles without looking anything
//! up — so ingest compiles it once per message from the stored item alone.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::channel::ChannelRef;
use super::expr::{compile, parse, Expr, ExprError, Program, Reference};
use super::ids::{AccountId, CalcId, ChannelName, GroupId};
use super::record::{Millis, Value};
use super::registry::{Instrument, InstrumentKey};

/// A calculated channel as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CalculatedChannel {
    pub account: AccountId,
    pub group: GroupId,
    pub id: CalcId,
    pub name: ChannelName,
    /// As the user wrote it.
    pub expression: String,
    /// The same expression with every reference in full (`[app/instrument/channel]`).
    pub canonical: String,
    /// The source channels, in slot order.
    pub sources: Vec<ChannelRef>,
    /// Bumped by every edit; an edit checks it, so a stale editor cannot undo another.
    pub version: u64,
    /// Bumped when the expression changes. Values are stored per formula, so a writer
    /// still computing the old formula can never overwrite a value of the new one.
    pub formula: u64,
    /// The newest computed value of the current formula and its record time.
    pub latest: Option<(Millis, Value)>,
    /// How far the current formula has been computed over stored history.
    pub backfill: Backfill,
}

/// Progress of computing a formula over the records stored before it existed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Backfill {
    /// Source records up to this time have been computed.
    pub through: Option<Millis>,
    /// Values computed so far.
    pub computed: u64,
    pub done: bool,
    /// The chain of steps that recorded this progress (see [`RecomputeJob::chain`]).
    #[serde(skip)]
    pub chain: u64,
}

/// One bounded step of a backfill, as queued: compute `formula` of a channel for the
/// source records from `from` on. Steps are idempotent, so a redelivered one is harmless,
/// and a step of a formula that is no longer current does nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecomputeJob {
    pub account: AccountId,
    pub group: GroupId,
    pub id: CalcId,
    pub formula: u64,
    pub from: Millis,
    /// Random per started backfill and inherited by its steps. Progress records the chain
    /// that made it, so only that chain goes on: a second chain started to resume one
    /// that is in fact still running ends at its first step instead of doubling the work.
    pub chain: u64,
}

impl RecomputeJob {
    /// The first step of a new chain for a channel's current formula, from `from` on.
    pub fn start(channel: &CalculatedChannel, from: Millis, chain: u64) -> RecomputeJob {
        RecomputeJob {
            account: channel.account.clone(),
            group: channel.group.clone(),
            id: channel.id.clone(),
            formula: channel.formula,
            from,
            chain,
        }
    }
}

impl CalculatedChannel {
    /// Where the values of its current formula are stored in the records table.
    pub fn key(&self) -> InstrumentKey {
        InstrumentKey::calculated(&self.account, &self.id, self.formula)
    }

    /// Compiles the canonical expression; references parse as they are.
    pub fn program(&self) -> Result<Program<ChannelRef>, ExprError> {
        compile(&parse(&self.canonical)?, ChannelRef::parse)
    }
}

/// A checked expression: its canonical text and its sources in slot order.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    pub canonical: String,
    pub sources: Vec<ChannelRef>,
}

/// Parses `expression` and resolves its references against the group's instruments and
/// their acquired channels. Errors carry the position of what is wrong.
pub fn define(expression: &str, instruments: &[Instrument]) -> Result<Definition, ExprError> {
    let expr = parse(expression)?;
    let mut resolved: HashMap<String, ChannelRef> = HashMap::new();
    let program = compile(&expr, |text| {
        let channel = resolve(text, instruments)?;
        resolved.insert(text.to_owned(), channel.clone());
        Ok(channel)
    })?;
    let canonical = qualify(&expr, &resolved).to_string();
    // Written in full, references grow: what ingest will compile must still parse.
    if parse(&canonical).is_err() {
        return Err(ExprError::TooLong {
            at: crate::domain::expr::MAX_CHARS,
        });
    }
    Ok(Definition {
        canonical,
        sources: program.sources().to_vec(),
    })
}

/// Finds the channel a reference names: `instrument/channel` when that serial is unique
/// in the group, else `app/instrument/channel`.
fn resolve(text: &str, instruments: &[Instrument]) -> Result<ChannelRef, String> {
    let acquired = |i: &Instrument, channel: &str| {
        i.channels
            .iter()
            .position(|c| c.as_str() == channel)
            .is_some_and(|index| i.is_acquired(index as u32))
    };
    let parts: Vec<&str> = text.split('/').collect();
    let candidates: Vec<&Instrument> = match parts.as_slice() {
        [serial, channel] => instruments
            .iter()
            .filter(|i| i.serial.as_str() == *serial && acquired(i, channel))
            .collect(),
        [app, serial, channel] => instruments
            .iter()
            .filter(|i| {
                i.app.as_str() == *app && i.serial.as_str() == *serial && acquired(i, channel)
            })
            .collect(),
        _ => {
            return Err(format!(
                "unknown channel `{text}`: write [instrument/channel] or [app/instrument/channel]"
            ))
        }
    };
    match candidates.as_slice() {
        [instrument] => Ok(ChannelRef {
            app: instrument.app.clone(),
            instrument: instrument.serial.clone(),
            channel: ChannelName::parse(*parts.last().expect("two or three parts"))
                .map_err(|e| e.to_string())?,
        }),
        [] => Err(format!("unknown channel `{text}`")),
        _ => Err(format!(
            "channel `{text}` is ambiguous: instrument {} is on several apps; write [app/instrument/channel]",
            parts[0]
        )),
    }
}

/// `expr` with every reference replaced by its full form.
fn qualify(expr: &Expr, resolved: &HashMap<String, ChannelRef>) -> Expr {
    match expr {
        Expr::Number(literal) => Expr::Number(*literal),
        Expr::Channel(reference) => {
            let full = resolved
                .get(reference.text())
                .map(ToString::to_string)
                .and_then(Reference::new)
                .expect("every reference was resolved by compile");
            Expr::Channel(full)
        }
        Expr::Neg(inner) => Expr::Neg(Box::new(qualify(inner, resolved))),
        Expr::Binary(op, left, right) => Expr::Binary(
            *op,
            Box::new(qualify(left, resolved)),
            Box::new(qualify(right, resolved)),
        ),
        Expr::Call(function, inner) => Expr::Call(*function, Box::new(qualify(inner, resolved))),
    }
}

/// The channel's values at each of `times` at which every source has a value.
pub fn evaluate(
    program: &Program<ChannelRef>,
    times: impl IntoIterator<Item = Millis>,
    value_at: impl Fn(&ChannelRef, Millis) -> Option<Value>,
) -> Vec<(Millis, Value)> {
    let mut inputs = Vec::with_capacity(program.sources().len());
    times
        .into_iter()
        .filter_map(|t| {
            inputs.clear();
            for source in program.sources() {
                inputs.push(value_at(source, t)?);
            }
            Some((t, program.eval(&inputs)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{InstrumentSerial, ThingName};
    use crate::domain::record::Special;

    fn instrument(app: &str, serial: &str, channels: &[&str]) -> Instrument {
        Instrument {
            account: AccountId::parse("acme").unwrap(),
            group: GroupId::parse("plant").unwrap(),
            app: ThingName::parse(app).unwrap(),
            serial: InstrumentSerial::parse(serial).unwrap(),
            channels: channels
                .iter()
                .map(|c| ChannelName::parse(*c).unwrap())
                .collect(),
            deselected: vec![],
            latest: vec![],
            last_seen: None,
            label: None,
            note: None,
            rev: 0,
        }
    }

    fn group() -> Vec<Instrument> {
        vec![
            instrument("gw-a", "PW-1", &["U1", "I1"]),
            instrument("gw-b", "LR-1", &["T1"]),
            instrument("gw-c", "LR-1", &["T1"]),
        ]
    }

    #[test]
    fn short_references_are_stored_in_full() {
        let definition = define("[PW-1/U1] * [ PW-1/I1 ] / 1000", &group()).unwrap();
        assert_eq!(
            definition.canonical,
            "[gw-a/PW-1/U1] * [gw-a/PW-1/I1] / 1000"
        );
        assert_eq!(definition.sources.len(), 2);
        assert_eq!(definition.sources[1].to_string(), "gw-a/PW-1/I1");
    }

    #[test]
    fn an_expression_too_long_once_written_in_full_is_refused() {
        // 90 short references fit in 1000 characters; in full (`gw-a/` more each) they do not.
        let long = vec!["[PW-1/U1]"; 90].join("+");
        assert!(long.chars().count() < crate::domain::expr::MAX_CHARS);
        assert!(matches!(
            define(&long, &group()),
            Err(ExprError::TooLong { .. })
        ));
    }

    #[test]
    fn unknown_and_ambiguous_references_are_refused_at_their_position() {
        let err = define("[PW-1/U1] + [PW-1/CH9]", &group()).unwrap_err();
        assert_eq!(err.to_string(), "unknown channel `PW-1/CH9` at 12");
        let err = define("[LR-1/T1] - 1", &group()).unwrap_err();
        assert!(err.to_string().contains("is ambiguous"), "{err}");
        assert!(define("[gw-b/LR-1/T1] - [gw-c/LR-1/T1]", &group()).is_ok());
    }

    #[test]
    fn values_are_computed_only_where_every_source_has_one() {
        let channel = CalculatedChannel {
            account: AccountId::parse("acme").unwrap(),
            group: GroupId::parse("plant").unwrap(),
            id: CalcId::parse("p").unwrap(),
            name: ChannelName::parse("P").unwrap(),
            expression: String::new(),
            canonical: define("[PW-1/U1] * [PW-1/I1]", &group()).unwrap().canonical,
            sources: vec![],
            version: 1,
            formula: 1,
            latest: None,
            backfill: Backfill::default(),
        };
        let program = channel.program().unwrap();
        let values = evaluate(
            &program,
            [Millis(1), Millis(2), Millis(3)],
            |source, t| match (source.channel.as_str(), t.0) {
                ("U1", 1..=3) => Some(Value::Number(230.0)),
                ("I1", 1) => Some(Value::Number(2.0)),
                ("I1", 3) => Some(Value::Special(Special::PlusOver)),
                _ => None,
            },
        );
        assert_eq!(
            values,
            vec![
                (Millis(1), Value::Number(460.0)),
                (Millis(3), Value::Special(Special::PlusOver))
            ]
        );
    }
}
