//! One channel's condition: how its value is compared, with separate thresholds to
//! raise the alarm (IN) and to clear it (OUT).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::channel::SeriesRef;
use crate::domain::record::Value;

/// The smallest and largest magnitude of a threshold other than 0.
pub const MIN_MAGNITUDE: f64 = 1e-12;
pub const MAX_MAGNITUDE: f64 = 1e15;

/// A comparison with its thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "compare", rename_all = "snake_case", deny_unknown_fields)]
pub enum Limit {
    Above {
        value: f64,
    },
    AtOrAbove {
        value: f64,
    },
    AtOrBelow {
        value: f64,
    },
    Below {
        value: f64,
    },
    /// Outside `[low, high]`, the thresholds included: `v <= low || v >= high`.
    OutsideIncluding {
        low: f64,
        high: f64,
    },
    /// Outside `(low, high)`, the thresholds excluded: `v < low || v > high`.
    OutsideExcluding {
        low: f64,
        high: f64,
    },
}

impl Limit {
    /// Whether a number meets the comparison.
    pub fn met_by(&self, v: f64) -> bool {
        match *self {
            Limit::Above { value } => v > value,
            Limit::AtOrAbove { value } => v >= value,
            Limit::AtOrBelow { value } => v <= value,
            Limit::Below { value } => v < value,
            Limit::OutsideIncluding { low, high } => v <= low || v >= high,
            Limit::OutsideExcluding { low, high } => v < low || v > high,
        }
    }

    fn check(&self, field: &str) -> Result<(), String> {
        // What a DynamoDB number holds with room to spare (it takes about 1e-130 to
        // 1e126, written out in full).
        let finite = |v: f64| {
            (v == 0.0 || (MIN_MAGNITUDE..=MAX_MAGNITUDE).contains(&v.abs()))
                .then_some(())
                .ok_or_else(|| {
                    format!(
                        "`{field}`: a threshold must be 0 or a number of magnitude {MIN_MAGNITUDE:e} to {MAX_MAGNITUDE:e}"
                    )
                })
        };
        match *self {
            Limit::Above { value }
            | Limit::AtOrAbove { value }
            | Limit::AtOrBelow { value }
            | Limit::Below { value } => finite(value),
            Limit::OutsideIncluding { low, high } | Limit::OutsideExcluding { low, high } => {
                finite(low)?;
                finite(high)?;
                if low < high {
                    Ok(())
                } else {
                    Err(format!("`{field}`: `low` must be below `high`"))
                }
            }
        }
    }

    /// Whether `clear` (the OUT thresholds) is a hysteresis band of `self` (the IN
    /// thresholds): the same comparison, with the thresholds where a value must go back
    /// past before the alarm clears — never beyond the IN thresholds.
    fn admits_clear(&self, clear: &Limit) -> bool {
        match (*self, *clear) {
            (Limit::Above { value: raise }, Limit::Above { value: clear })
            | (Limit::AtOrAbove { value: raise }, Limit::AtOrAbove { value: clear }) => {
                clear <= raise
            }
            (Limit::AtOrBelow { value: raise }, Limit::AtOrBelow { value: clear })
            | (Limit::Below { value: raise }, Limit::Below { value: clear }) => clear >= raise,
            (
                Limit::OutsideIncluding { low, high },
                Limit::OutsideIncluding {
                    low: clear_low,
                    high: clear_high,
                },
            )
            | (
                Limit::OutsideExcluding { low, high },
                Limit::OutsideExcluding {
                    low: clear_low,
                    high: clear_high,
                },
            ) => clear_low >= low && clear_high <= high,
            _ => false,
        }
    }
}

/// A condition on one channel: raised past `raise`, cleared once back inside `clear`
/// (the same as `raise` unless a hysteresis band is set).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub channel: SeriesRef,
    pub raise: Limit,
    /// The OUT thresholds; left out, the IN thresholds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clear: Option<Limit>,
}

/// A condition's truth for one value. A channel that has not reported satisfies no
/// condition (`False`: it neither raises an alarm nor keeps one raised); a special value
/// is `Unknown`: it neither raises nor clears, so an alarm stays as it is until a number
/// says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    True,
    False,
    Unknown,
}

impl From<bool> for Truth {
    fn from(known: bool) -> Truth {
        if known {
            Truth::True
        } else {
            Truth::False
        }
    }
}

impl Truth {
    /// Kleene's AND: false wins, then unknown.
    pub fn and(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::False, _) | (_, Truth::False) => Truth::False,
            (Truth::True, Truth::True) => Truth::True,
            _ => Truth::Unknown,
        }
    }

    /// Kleene's OR: true wins, then unknown.
    pub fn or(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::True, _) | (_, Truth::True) => Truth::True,
            (Truth::False, Truth::False) => Truth::False,
            _ => Truth::Unknown,
        }
    }
}

impl Condition {
    pub fn check(&self, field: &str) -> Result<(), String> {
        self.raise.check(&format!("{field}.raise"))?;
        if let Some(clear) = &self.clear {
            clear.check(&format!("{field}.clear"))?;
            if !self.raise.admits_clear(clear) {
                return Err(format!(
                    "`{field}.clear` must compare as `{field}.raise` does, with thresholds no further out than its own (a value clears by coming back past them)"
                ));
            }
        }
        Ok(())
    }

    /// Whether `value` is past the IN thresholds.
    pub fn raises(&self, value: Option<Value>) -> Truth {
        truth(value, &self.raise)
    }

    /// Whether `value` is still past the OUT thresholds (the alarm clears when it is not).
    pub fn holds(&self, value: Option<Value>) -> Truth {
        truth(value, self.clear.as_ref().unwrap_or(&self.raise))
    }
}

fn truth(value: Option<Value>, limit: &Limit) -> Truth {
    match value {
        None => Truth::False,
        Some(Value::Number(v)) => limit.met_by(v).into(),
        Some(Value::Special(_)) => Truth::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::record::Special;

    fn on(raise: Limit, clear: Option<Limit>) -> Condition {
        Condition {
            channel: SeriesRef::parse("gw/LR-1/CH1").unwrap(),
            raise,
            clear,
        }
    }

    #[test]
    fn every_comparison_at_just_above_and_just_below_its_threshold() {
        let t = 10.0;
        let (below, above) = (t - 1e-9, t + 1e-9);
        // (limit, met below, met at, met above)
        let table = [
            (Limit::Above { value: t }, false, false, true),
            (Limit::AtOrAbove { value: t }, false, true, true),
            (Limit::AtOrBelow { value: t }, true, true, false),
            (Limit::Below { value: t }, true, false, false),
        ];
        for (limit, at_below, at, at_above) in table {
            assert_eq!(
                [limit.met_by(below), limit.met_by(t), limit.met_by(above)],
                [at_below, at, at_above],
                "{limit:?}"
            );
        }
        let (low, high) = (-5.0, 5.0);
        // (value, outside including, outside excluding)
        let table = [
            (low - 1e-9, true, true),
            (low, true, false),
            (low + 1e-9, false, false),
            (0.0, false, false),
            (high - 1e-9, false, false),
            (high, true, false),
            (high + 1e-9, true, true),
        ];
        for (v, including, excluding) in table {
            assert_eq!(
                Limit::OutsideIncluding { low, high }.met_by(v),
                including,
                "{v}"
            );
            assert_eq!(
                Limit::OutsideExcluding { low, high }.met_by(v),
                excluding,
                "{v}"
            );
        }
    }

    #[test]
    fn a_special_value_neither_raises_nor_clears_and_no_value_satisfies_nothing() {
        let condition = on(Limit::Above { value: 1.0 }, None);
        let special = Some(Value::Special(Special::PlusOver));
        assert_eq!(condition.raises(special), Truth::Unknown);
        assert_eq!(condition.holds(special), Truth::Unknown);
        assert_eq!(condition.raises(None), Truth::False);
        assert_eq!(condition.holds(None), Truth::False);
        assert_eq!(condition.raises(Some(Value::Number(2.0))), Truth::True);
    }

    #[test]
    fn the_clear_thresholds_hold_the_alarm_in_a_band() {
        let condition = on(
            Limit::Above { value: 10.0 },
            Some(Limit::Above { value: 8.0 }),
        );
        assert_eq!(condition.check("conditions[0]"), Ok(()));
        let at = |v| Some(Value::Number(v));
        // 9 neither raises nor clears: it is inside the band.
        assert_eq!(condition.raises(at(9.0)), Truth::False);
        assert_eq!(condition.holds(at(9.0)), Truth::True);
        assert_eq!(condition.holds(at(8.0)), Truth::False);
    }

    #[test]
    fn clear_thresholds_beyond_the_raise_thresholds_or_of_another_kind_are_refused() {
        let refused = [
            on(
                Limit::Above { value: 10.0 },
                Some(Limit::Above { value: 12.0 }),
            ),
            on(
                Limit::Below { value: 10.0 },
                Some(Limit::Below { value: 8.0 }),
            ),
            on(
                Limit::Above { value: 10.0 },
                Some(Limit::AtOrAbove { value: 8.0 }),
            ),
            on(
                Limit::OutsideIncluding {
                    low: 0.0,
                    high: 10.0,
                },
                Some(Limit::OutsideIncluding {
                    low: -1.0,
                    high: 9.0,
                }),
            ),
            on(
                Limit::OutsideExcluding {
                    low: 5.0,
                    high: 5.0,
                },
                None,
            ),
            on(Limit::Above { value: f64::NAN }, None),
            on(Limit::Above { value: 1e300 }, None),
            on(Limit::Below { value: 1e-200 }, None),
        ];
        for condition in refused {
            let error = condition.check("conditions[0]").unwrap_err();
            assert!(error.starts_with("`conditions[0]."), "{error}");
        }
    }

    #[test]
    fn kleene_truth_tables() {
        use Truth::*;
        let all = [True, False, Unknown];
        for a in all {
            for b in all {
                assert_eq!(a.and(b), b.and(a));
                assert_eq!(a.or(b), b.or(a));
            }
        }
        assert_eq!(True.and(True), True);
        assert_eq!(True.and(Unknown), Unknown);
        assert_eq!(False.and(Unknown), False);
        assert_eq!(True.or(Unknown), True);
        assert_eq!(False.or(Unknown), Unknown);
        assert_eq!(False.or(False), False);
    }
}
