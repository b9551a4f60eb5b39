//! A data alarm's rule: one or two channel conditions joined by AND or OR, the hours it
//! may raise in, how long a condition must hold (or fail) before the alarm changes, and
//! what is notified.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::limit::{Condition, Truth};
use super::window::Window;
use crate::domain::record::{Millis, Value};

/// How two conditions combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Join {
    #[default]
    And,
    Or,
}

/// The longest filter duration: a day.
pub const MAX_HOLD_MILLIS: i64 = Millis::DAY;

/// A data alarm's rule: when it raises and clears. Unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// One condition, or two joined by `join` (their channels may be on different
    /// instruments).
    pub conditions: Vec<Condition>,
    #[serde(default)]
    pub join: Join,
    /// The hours the alarm may raise in; left out, any time. It clears at any time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    /// How long, in record time, a condition must hold before the alarm raises, and
    /// fail before it clears (0: at the first record).
    #[serde(default)]
    pub hold_millis: i64,
    /// Whether clearing is notified too.
    #[serde(default)]
    pub recovery: bool,
    /// Whether a channel turning to a special value (`+OVER`, `BURNOUT`, …) is notified.
    #[serde(default)]
    pub special_values: bool,
}

impl Rule {
    /// Names what decides the alarm — the conditions, their join, the window and the
    /// hold — and not what is only told (`recovery`, `special_values`): an alarm's state
    /// is continued across edits that keep it (a rename, a switch off and on) and
    /// started over by one that changes it.
    pub fn fingerprint(&self) -> u64 {
        use sha2::{Digest, Sha256};
        let decisive = (&self.conditions, self.join, &self.window, self.hold_millis);
        let json = serde_json::to_vec(&decisive).expect("a rule serializes");
        let digest = Sha256::digest(json);
        u64::from_be_bytes(digest[..8].try_into().expect("a digest has 8 bytes"))
    }

    /// Every rule of a rule, with the field it breaks named.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=2).contains(&self.conditions.len()) {
            return Err(format!(
                "`conditions` must have one or two conditions, got {}",
                self.conditions.len()
            ));
        }
        for (n, condition) in self.conditions.iter().enumerate() {
            condition.check(&format!("conditions[{n}]"))?;
        }
        if !(0..=MAX_HOLD_MILLIS).contains(&self.hold_millis) {
            return Err(format!(
                "`hold_millis` must be 0 to {MAX_HOLD_MILLIS} (a day), got {}",
                self.hold_millis
            ));
        }
        Ok(())
    }

    /// Whether the values (one per condition; `None` before the first) raise the alarm.
    pub fn raises(&self, values: &[Option<Value>]) -> Truth {
        self.combine(values, |condition, value| condition.raises(value))
    }

    /// Whether the values keep a raised alarm raised (`False`: it may clear).
    pub fn holds(&self, values: &[Option<Value>]) -> Truth {
        self.combine(values, |condition, value| condition.holds(value))
    }

    fn combine(
        &self,
        values: &[Option<Value>],
        truth: impl Fn(&Condition, Option<Value>) -> Truth,
    ) -> Truth {
        let mut truths = self
            .conditions
            .iter()
            .enumerate()
            .map(|(n, condition)| truth(condition, values.get(n).copied().flatten()));
        let first = truths.next().unwrap_or(Truth::Unknown);
        truths.fold(first, |a, b| match self.join {
            Join::And => a.and(b),
            Join::Or => a.or(b),
        })
    }
}
