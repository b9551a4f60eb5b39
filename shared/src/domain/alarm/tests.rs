//! The state machine against the rule book: durations in record time, hysteresis,
//! windows, AND/OR, and late, repeated, reordered and re-cut deliveries.

use proptest::prelude::*;

use super::*;
use crate::domain::channel::SeriesRef;
use crate::domain::record::{Millis, Special, Value};

const MIN: i64 = Millis::MINUTE;

fn above(value: f64) -> Condition {
    Condition {
        channel: SeriesRef::parse("gw/LR-1/CH1").unwrap(),
        raise: Limit::Above { value },
        clear: None,
    }
}

fn rule(conditions: Vec<Condition>) -> Rule {
    Rule {
        conditions,
        join: Join::And,
        window: None,
        hold_millis: 0,
        recovery: true,
        special_values: true,
    }
}

fn sample(minute: i64, condition: usize, value: f64) -> Sample {
    Sample {
        at: Millis(minute * MIN),
        condition,
        value: Value::Number(value),
    }
}

fn run(rule: &Rule, batches: &[Vec<Sample>]) -> Vec<Event> {
    let mut state = AlarmState::default();
    batches
        .iter()
        .flat_map(|batch| evaluate(rule, &chrono_tz::UTC, &mut state, batch))
        .collect()
}

fn transitions(events: &[Event]) -> Vec<(bool, i64)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Raised { at } => Some((true, at.0 / MIN)),
            Event::Cleared { at } => Some((false, at.0 / MIN)),
            Event::SpecialValue { .. } => None,
        })
        .collect()
}

#[test]
fn a_condition_raises_only_after_holding_for_the_filter_duration_at_irregular_intervals() {
    let mut rule = rule(vec![above(10.0)]);
    rule.hold_millis = 5 * MIN;
    // Above from minute 1; records at 1, 2, 4, 5.5 (no), 6 (5 minutes since 1: raise).
    let samples = [
        sample(0, 0, 5.0),
        sample(1, 0, 11.0),
        sample(2, 0, 12.0),
        sample(4, 0, 11.0),
        Sample {
            at: Millis(5 * MIN + 30_000),
            condition: 0,
            value: Value::Number(13.0),
        },
        sample(6, 0, 11.0),
    ];
    assert_eq!(
        transitions(&run(&rule, &[samples.to_vec()])),
        vec![(true, 6)]
    );
    // A dip below at minute 4 breaks the run: it starts again at 5.
    let broken = vec![
        sample(1, 0, 11.0),
        sample(4, 0, 9.0),
        sample(5, 0, 11.0),
        sample(9, 0, 11.0),
        sample(10, 0, 11.0),
    ];
    assert_eq!(transitions(&run(&rule, &[broken])), vec![(true, 10)]);
    // A gap in the records is not a break: the value held as last seen.
    let gap = vec![sample(1, 0, 11.0), sample(30, 0, 11.0)];
    assert_eq!(transitions(&run(&rule, &[gap])), vec![(true, 30)]);
}

#[test]
fn clearing_waits_for_the_filter_duration_too() {
    let mut rule = rule(vec![above(10.0)]);
    rule.hold_millis = 2 * MIN;
    let samples = vec![
        sample(0, 0, 11.0),
        sample(2, 0, 11.0),
        sample(3, 0, 5.0),
        sample(4, 0, 11.0),
        sample(5, 0, 5.0),
        sample(7, 0, 5.0),
    ];
    assert_eq!(
        transitions(&run(&rule, &[samples])),
        vec![(true, 2), (false, 7)]
    );
}

#[test]
fn hysteresis_keeps_a_hovering_value_from_raising_and_clearing_over_and_over() {
    let mut condition = above(10.0);
    condition.clear = Some(Limit::Above { value: 8.0 });
    let band = rule(vec![condition]);
    let hovering: Vec<Sample> = [9.0, 10.5, 9.5, 10.2, 9.1, 10.9, 7.9, 9.9, 10.1]
        .iter()
        .enumerate()
        .map(|(n, v)| sample(n as i64, 0, *v))
        .collect();
    assert_eq!(
        transitions(&run(&band, std::slice::from_ref(&hovering))),
        vec![(true, 1), (false, 6), (true, 8)]
    );
    // Without the band the same values flap at every crossing.
    let plain = rule(vec![above(10.0)]);
    assert_eq!(transitions(&run(&plain, &[hovering])).len(), 7);
}

#[test]
fn an_alarm_raises_only_inside_its_window_and_clears_at_any_time() {
    let mut rule = rule(vec![above(10.0)]);
    rule.window = Some(Window::parse("22:00", "06:00").unwrap());
    let hour = 60;
    let samples = vec![
        sample(21 * hour, 0, 11.0),
        sample(22 * hour, 0, 11.0),
        sample(23 * hour, 0, 5.0),
        sample(24 * hour + 7 * hour, 0, 11.0),
        sample(24 * hour + 8 * hour, 0, 11.0),
    ];
    assert_eq!(
        transitions(&run(&rule, &[samples])),
        vec![(true, 22 * hour), (false, 23 * hour)]
    );
}

#[test]
fn and_and_or_follow_their_truth_tables_whichever_instrument_reports_first() {
    for join in [Join::And, Join::Or] {
        for a in [false, true] {
            for b in [false, true] {
                for a_first in [false, true] {
                    let mut rule = rule(vec![above(10.0), above(10.0)]);
                    rule.join = join;
                    let value = |on: bool| if on { 11.0 } else { 9.0 };
                    let (first, second) = if a_first {
                        (sample(1, 0, value(a)), sample(2, 1, value(b)))
                    } else {
                        (sample(1, 1, value(b)), sample(2, 0, value(a)))
                    };
                    let events = run(&rule, &[vec![first], vec![second]]);
                    let expected = match join {
                        Join::And => a && b,
                        Join::Or => a || b,
                    };
                    let raised = transitions(&events).last().is_some_and(|(up, _)| *up);
                    assert_eq!(raised, expected, "{join:?} a={a} b={b} a_first={a_first}");
                }
            }
        }
    }
}

#[test]
fn a_special_value_neither_raises_nor_clears_and_is_notified_once_if_asked() {
    let mut rule = rule(vec![above(10.0)]);
    let special = |minute: i64| Sample {
        at: Millis(minute * MIN),
        condition: 0,
        value: Value::Special(Special::PlusOver),
    };
    let samples = vec![
        special(1),
        special(2),
        sample(3, 0, 11.0),
        special(4),
        sample(5, 0, 5.0),
    ];
    let events = run(&rule, std::slice::from_ref(&samples));
    assert_eq!(transitions(&events), vec![(true, 3), (false, 5)]);
    let specials: Vec<i64> = events
        .iter()
        .filter(|e| matches!(e, Event::SpecialValue { .. }))
        .map(|e| e.at().0 / MIN)
        .collect();
    assert_eq!(specials, vec![1, 4]);
    assert!(events.iter().all(|e| rule.notifies(e)));
    rule.special_values = false;
    rule.recovery = false;
    let notified: Vec<Event> = run(&rule, &[samples])
        .into_iter()
        .filter(|e| rule.notifies(e))
        .collect();
    assert_eq!(
        notified,
        vec![Event::Raised {
            at: Millis(3 * MIN)
        }]
    );
}

#[test]
fn a_record_older_than_the_evaluated_ones_neither_raises_nor_clears() {
    let rule = rule(vec![above(10.0)]);
    let mut state = AlarmState::default();
    let zone = chrono_tz::UTC;
    assert!(evaluate(&rule, &zone, &mut state, &[sample(10, 0, 5.0)]).is_empty());
    // Late: minute 5 was above, but minute 10 is already evaluated.
    assert!(evaluate(&rule, &zone, &mut state, &[sample(5, 0, 50.0)]).is_empty());
    assert!(!state.raised);
    assert_eq!(
        transitions(&evaluate(&rule, &zone, &mut state, &[sample(11, 0, 50.0)])),
        vec![(true, 11)]
    );
}

#[test]
fn a_backlog_replayed_later_fires_what_happened_during_the_outage() {
    let rule = rule(vec![above(10.0)]);
    let outage: Vec<Sample> = [5.0, 12.0, 13.0, 4.0, 3.0, 15.0]
        .iter()
        .enumerate()
        .map(|(n, v)| sample(n as i64, 0, *v))
        .collect();
    // One message with the whole backlog, in any order within it.
    let mut shuffled = outage.clone();
    shuffled.reverse();
    assert_eq!(
        transitions(&run(&rule, &[shuffled])),
        vec![(true, 1), (false, 3), (true, 5)]
    );
}

#[test]
fn two_channels_of_one_instant_are_decided_together() {
    // Never both above 10 at one instant: AND never raises, however the values swap.
    let rule = rule(vec![above(10.0), above(10.0)]);
    let samples = vec![
        sample(0, 0, 5.0),
        sample(0, 1, 11.0),
        sample(1, 0, 11.0),
        sample(1, 1, 5.0),
    ];
    assert!(transitions(&run(&rule, &[samples])).is_empty());
}

#[test]
fn an_instrument_reporting_behind_another_still_counts() {
    // B uploads a minute's values at once, behind A: its values are taken and the alarm
    // decided at the latest instant known, never earlier.
    let rule = rule(vec![above(10.0), above(10.0)]);
    let a: Vec<Sample> = (0..=10).map(|m| sample(m, 0, 11.0)).collect();
    let b: Vec<Sample> = (0..=5)
        .map(|m| sample(m, 1, if m < 5 { 5.0 } else { 11.0 }))
        .collect();
    assert_eq!(transitions(&run(&rule, &[a, b])), vec![(true, 10)]);
}

#[test]
fn the_first_value_of_an_instant_stays_as_in_storage() {
    let rule = rule(vec![above(10.0)]);
    let first = vec![sample(1, 0, 5.0)];
    let conflicting = vec![sample(1, 0, 50.0)];
    assert!(run(&rule, &[first, conflicting]).is_empty());
}

#[test]
fn an_or_alarm_clears_although_its_other_channel_never_reported() {
    let mut rule = rule(vec![above(10.0), above(10.0)]);
    rule.join = Join::Or;
    let samples = vec![sample(0, 0, 11.0), sample(1, 0, 5.0)];
    assert_eq!(
        transitions(&run(&rule, &[samples])),
        vec![(true, 0), (false, 1)]
    );
}

/// Values of two conditions in time order, both sometimes at the same instant.
fn series() -> impl Strategy<Value = Vec<Sample>> {
    proptest::collection::vec((0usize..3, 0.0f64..20.0, 0.0f64..20.0), 1..60).prop_map(|instants| {
        let mut samples = Vec::new();
        for (minute, (which, a, b)) in instants.into_iter().enumerate() {
            let minute = minute as i64;
            if which != 1 {
                samples.push(sample(minute, 0, a));
            }
            if which != 0 {
                samples.push(sample(minute, 1, b));
            }
        }
        samples
    })
}

fn two_conditions() -> Rule {
    let mut condition = above(10.0);
    condition.clear = Some(Limit::Above { value: 8.0 });
    let mut rule = rule(vec![condition, above(12.0)]);
    rule.join = Join::Or;
    rule.hold_millis = 2 * MIN;
    rule
}

proptest! {
    /// However records in time order are cut into messages (between instants: the
    /// channels of one record come in one message), the alarm raises and clears at the
    /// same instants.
    #[test]
    fn the_cut_into_messages_does_not_change_the_transitions(
        samples in series(),
        cuts in proptest::collection::vec(0usize..120, 0..10),
    ) {
        let rule = two_conditions();
        let whole = run(&rule, std::slice::from_ref(&samples));
        let boundaries: Vec<usize> = (0..=samples.len())
            .filter(|&n| n == 0 || n == samples.len() || samples[n - 1].at != samples[n].at)
            .collect();
        let mut cuts: Vec<usize> =
            cuts.into_iter().map(|c| boundaries[c % boundaries.len()]).collect();
        cuts.sort();
        let mut batches = Vec::new();
        let mut start = 0;
        for cut in cuts.into_iter().chain([samples.len()]) {
            batches.push(samples[start..cut.max(start)].to_vec());
            start = cut.max(start);
        }
        prop_assert_eq!(run(&rule, &batches), whole);
    }

    /// Every batch delivered again (and again) changes nothing.
    #[test]
    fn redelivered_batches_add_no_events(samples in series(), size in 1usize..8) {
        let rule = two_conditions();
        let batches: Vec<Vec<Sample>> = samples.chunks(size).map(<[Sample]>::to_vec).collect();
        let once = run(&rule, &batches);
        let thrice: Vec<Vec<Sample>> = batches
            .iter()
            .flat_map(|b| [b.clone(), b.clone(), b.clone()])
            .collect();
        prop_assert_eq!(run(&rule, &thrice), once);
    }

    /// Batches delivered in any order never raise or clear twice at one instant, never
    /// alternate out of step, and never act on a record older than one already taken.
    #[test]
    fn reordered_batches_never_notify_twice_nor_act_on_a_passed_record(
        samples in series(),
        size in 1usize..8,
        order in proptest::collection::vec(any::<u32>(), 0..60),
    ) {
        let rule = two_conditions();
        let mut batches: Vec<Vec<Sample>> =
            samples.chunks(size).map(<[Sample]>::to_vec).collect();
        let keys: Vec<u32> = (0..batches.len()).map(|n| order.get(n).copied().unwrap_or(0)).collect();
        let mut indexed: Vec<(u32, Vec<Sample>)> = keys.into_iter().zip(batches.drain(..)).collect();
        indexed.sort_by_key(|(key, _)| *key);
        let mut state = AlarmState::default();
        let mut seen = std::collections::BTreeSet::new();
        let mut raised = false;
        for (_, batch) in indexed {
            let through = state.through;
            for event in evaluate(&rule, &chrono_tz::UTC, &mut state, &batch) {
                prop_assert!(through.is_none_or(|t| event.at() >= t), "acted on a passed record");
                match event {
                    Event::Raised { at } => {
                        prop_assert!(!raised && seen.insert((true, at)));
                        raised = true;
                    }
                    Event::Cleared { at } => {
                        prop_assert!(raised && seen.insert((false, at)));
                        raised = false;
                    }
                    Event::SpecialValue { .. } => {}
                }
            }
        }
    }
}
