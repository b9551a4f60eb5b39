//! The [`AlarmStates`] port.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::{Saved, StoreError};
use crate::domain::alarm::{AlarmState, Notification};
use crate::domain::ids::{AccountId, AlarmId, GroupId};

/// What a group's alarms know between messages: one record per group, so one read and
/// at most one write per message however many alarms it has.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupAlarmStates {
    /// Bumped by every write; a write checks it. 0: nothing stored yet.
    pub rev: u64,
    /// Each alarm's state, with the fingerprint of the rule that decided it: a state of
    /// another rule (an edit changed what decides the alarm) is started over.
    pub alarms: BTreeMap<AlarmId, VersionedState>,
    /// Notifications decided and saved with the states that decided them, not yet
    /// recorded in the inbox: whoever reads them records them (idempotently) and empties
    /// the box, so a crash between the two writes loses none.
    pub outbox: Vec<Notification>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct VersionedState {
    /// [`crate::domain::alarm::Rule::fingerprint`] of the rule that decided it.
    pub rule: u64,
    pub state: AlarmState,
}

/// A measurement group, named within its account.
#[derive(Debug, Clone, Copy)]
pub struct GroupKey<'a> {
    pub account: &'a AccountId,
    pub group: &'a GroupId,
}

/// The evaluation state of each group's data alarms.
#[async_trait]
pub trait AlarmStates: Send + Sync {
    /// The group's states, read consistently; the default (revision 0) if none are
    /// stored.
    async fn alarm_states(&self, group: GroupKey<'_>) -> Result<GroupAlarmStates, StoreError>;
    /// Stores `states` with the next revision if the stored one is still `states.rev`
    /// (nothing stored, for 0); `Conflict` when another writer came first.
    async fn save_alarm_states(
        &self,
        group: GroupKey<'_>,
        states: &GroupAlarmStates,
    ) -> Result<Saved, StoreError>;
}
