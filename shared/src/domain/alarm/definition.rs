//! A data alarm as stored: a group's named, checked [`Rule`], on or off.

use super::rule::Rule;
use crate::domain::ids::{AccountId, AlarmId, GroupId};

#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    pub account: AccountId,
    pub group: GroupId,
    pub id: AlarmId,
    /// A display name (1 to 100 printable characters).
    pub name: String,
    /// Checked ([`Rule::check`]) before it is stored.
    pub rule: Rule,
    /// Whether it is evaluated at all.
    pub enabled: bool,
    /// Bumped by every edit; an edit checks it, so a stale editor cannot undo another.
    pub version: u64,
}
