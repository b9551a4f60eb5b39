//! Calculated channels of a measurement group: resolving the channels an expression
//! names, and evaluating it at record times.
//!
//! Users write references the short way, `[LR8450-0001/CH1-1]`, or in full,
//! `[sim-gw-1/LR8450-0001/CH1-1]`. A definition keeps the user's text for editing and a
//! canonical text with every reference in full, which compiles without looking anything
//! up — so ingest compiles it once per message from the stored item alone.

use std::collections::{BTreeMap, HashMap};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::channel::ChannelRef;
use super::expr::{compile, parse, Expr, ExprError, Program, Reference};
use super::ids::{AccountId, AppId, CalcId, ChannelName, GroupId};
use super::record::{Millis, Value};
use super::registry::{Instrument, InstrumentKey, RegistrationId};

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
    /// The registration of each source app when the expression was checked. Only that
    /// registration's records feed the channel: if the app is deleted (and perhaps its ID
    /// registered again), the channel stops computing until its expression is edited.
    pub pins: BTreeMap<AppId, RegistrationId>,
    /// Bumped by every edit; an edit checks it, so a stale editor cannot undo another.
    pub version: u64,
    /// Bumped when the expression changes. Values are stored per formula, so a writer
    /// still computing the old formula can never overwrite a value of the new one.
    pub formula: u64,
    /// How far the current formula has been computed over stored history.
    pub backfill: Backfill,
}

/// Progress of computing a formula over the records stored before it existed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
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

    /// Whether `instrument`'s records may feed this channel: same account, same group,
    /// and the registration of its app that the expression was checked against.
    pub fn computes_from(&self, instrument: &Instrument) -> bool {
        instrument.account == self.account
            && instrument.group == self.group
            && self.pins.get(&instrument.app) == Some(&instrument.registration)
    }

    /// Why the channel no longer computes, given the group's instruments now: the first
    /// source whose instrument is gone, or whose app was registered again.
    pub fn stopped(&self, instruments: &[Instrument]) -> Option<String> {
        let source = self.sources.iter().find(|source| {
            !instruments.iter().any(|i| {
                i.app == source.app && i.serial == source.instrument && self.computes_from(i)
            })
        })?;
        Some(format!(
            "source `{source}` is gone: its instrument was deleted, or its app was deleted or registered again; edit the expression to compute from the group's instruments now"
        ))
    }
}

/// A checked expression: its canonical text and its sources in slot order.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    pub canonical: String,
    pub sources: Vec<ChannelRef>,
    /// The registration of each source's app (see [`CalculatedChannel::pins`]).
    pub pins: BTreeMap<AppId, RegistrationId>,
}

/// Parses `expression` and resolves its references against the group's instruments and
/// their acquired channels. Errors carry the position of what is wrong.
pub fn define(expression: &str, instruments: &[Instrument]) -> Result<Definition, ExprError> {
    let expr = parse(expression)?;
    let mut resolved: HashMap<String, ChannelRef> = HashMap::new();
    let mut pins = BTreeMap::new();
    let program = compile(&expr, |text| {
        let (channel, registration) = resolve(text, instruments)?;
        pins.insert(channel.app.clone(), registration);
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
        pins,
    })
}

/// Finds the channel a reference names — `instrument/channel` when that serial is unique
/// in the group, else `app/instrument/channel` — and the registration of its app.
fn resolve(text: &str, instruments: &[Instrument]) -> Result<(ChannelRef, RegistrationId), String> {
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
        [instrument] => Ok((
            ChannelRef {
                app: instrument.app.clone(),
                instrument: instrument.serial.clone(),
                channel: ChannelName::parse(*parts.last().expect("two or three parts"))
                    .map_err(|e| e.to_string())?,
            },
            instrument.registration,
        )),
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

/// The name of a copy of `original` that no name in `taken` has: `{name} copy`, then
/// `{name} copy 2`, … The base is shortened (on a character boundary) so that every
/// candidate fits a channel name, and only `taken.len() + 1` candidates are tried — one
/// of them is free by counting — so a long name can never make the search endless.
pub fn copy_name(original: &ChannelName, taken: &[&ChannelName]) -> ChannelName {
    let attempts = taken.len() + 1;
    let longest_suffix = format!(" copy {attempts}").len();
    let mut base = original.as_str();
    while base.len() + longest_suffix > ChannelName::MAX_BYTES {
        let mut end = base.len() - 1;
        while !base.is_char_boundary(end) {
            end -= 1;
        }
        base = &base[..end];
    }
    let base = base.trim_end();
    (1..=attempts)
        .map(|n| match n {
            1 => format!("{base} copy"),
            n => format!("{base} copy {n}"),
        })
        .filter_map(|candidate| ChannelName::parse(candidate).ok())
        .find(|candidate| taken.iter().all(|t| *t != candidate))
        .expect("one of taken.len() + 1 distinct names is free, and each fits")
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
    use crate::domain::ids::InstrumentSerial;
    use crate::domain::record::Special;

    fn instrument(app: &str, serial: &str, channels: &[&str]) -> Instrument {
        Instrument {
            account: AccountId::parse("acme").unwrap(),
            group: GroupId::parse("plant").unwrap(),
            app: AppId::parse(app).unwrap(),
            registration: RegistrationId::from_random(
                app.bytes().map(u64::from).sum::<u64>() << 16,
            ),
            serial: InstrumentSerial::parse(serial).unwrap(),
            instance: RegistrationId::from_random(1 << 16),
            channels: channels
                .iter()
                .map(|c| ChannelName::parse(*c).unwrap())
                .collect(),
            deselected: vec![],
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

    fn channel_over(definition: Definition) -> CalculatedChannel {
        CalculatedChannel {
            account: AccountId::parse("acme").unwrap(),
            group: GroupId::parse("plant").unwrap(),
            id: CalcId::parse("p").unwrap(),
            name: ChannelName::parse("P").unwrap(),
            expression: String::new(),
            canonical: definition.canonical,
            sources: definition.sources,
            pins: definition.pins,
            version: 1,
            formula: 1,
            backfill: Backfill::default(),
        }
    }

    #[test]
    fn a_channel_computes_only_from_the_registrations_it_was_checked_against() {
        let channel = channel_over(define("[PW-1/U1] + [gw-b/LR-1/T1]", &group()).unwrap());
        let now = group();
        assert!(now.iter().take(2).all(|i| channel.computes_from(i)));
        assert_eq!(channel.stopped(&now), None);

        let mut registered_again = instrument("gw-a", "PW-1", &["U1", "I1"]);
        registered_again.registration = RegistrationId::from_random(u64::MAX);
        assert!(!channel.computes_from(&registered_again));
        let mut moved = now[0].clone();
        moved.group = GroupId::parse("elsewhere").unwrap();
        assert!(!channel.computes_from(&moved));
        let mut other_account = now[0].clone();
        other_account.account = AccountId::parse("rival").unwrap();
        assert!(!channel.computes_from(&other_account));

        let after = vec![registered_again, now[1].clone()];
        let why = channel.stopped(&after).expect("gw-a was registered again");
        assert!(why.contains("`gw-a/PW-1/U1` is gone"), "{why}");
        assert!(channel.stopped(&now[1..]).is_some(), "gw-a deleted");
    }

    #[test]
    fn a_copy_of_a_long_name_gets_a_free_name_that_fits() {
        let long = ChannelName::parse("電".repeat(21)).unwrap();
        assert_eq!(long.as_str().len(), 63);
        let first = copy_name(&long, &[]);
        assert!(first.as_str().ends_with(" copy"), "{first}");
        let taken: Vec<ChannelName> = (0..100)
            .scan(Vec::<ChannelName>::new(), |names, _| {
                let refs: Vec<&ChannelName> = names.iter().collect();
                let next = copy_name(&long, &refs);
                names.push(next.clone());
                Some(next)
            })
            .collect();
        let mut unique = taken.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 100, "every copy got a name of its own");
        assert!(taken
            .iter()
            .all(|n| n.as_str().len() <= ChannelName::MAX_BYTES));
        assert_eq!(taken[1].as_str(), format!("{} copy 2", "電".repeat(19)));
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
            pins: BTreeMap::new(),
            version: 1,
            formula: 1,
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
