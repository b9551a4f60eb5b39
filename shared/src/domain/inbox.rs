//! A user's read marks on a group's inbox, and the notification IDs they are made of.
//!
//! Marks stay small however long the inbox grows: a watermark (everything at or before
//! it is read; "mark all read" moves it to the newest notification) plus the
//! notifications newer than it read one by one, at most [`MAX_READ_ONE_BY_ONE`] of them.

use std::collections::BTreeSet;
use std::fmt;

use super::ids::{AlarmId, AppId, FileAlarmId, FileId, IdError};
use super::notice::Notice;

/// How many notifications newer than the watermark one user's marks name one by one.
/// Past it the oldest of them is forgotten and shows unread again: a notification
/// shown twice is better than one shown read that nobody read, and 500 keeps the marks
/// item near 25 KB, read on every list.
pub const MAX_READ_ONE_BY_ONE: usize = 500;

/// A notification's ID as [`Notice::id`] makes it:
/// `{time:015}.{alarm}.{version}.{raised|cleared|special<n>}` for an alarm's event,
/// `{time:015}.app.{app}.{connected|disconnected}` for an app's status.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NotificationId(String);

impl NotificationId {
    pub fn of(notification: &Notice) -> NotificationId {
        NotificationId(notification.id())
    }

    pub fn parse(text: &str) -> Result<NotificationId, IdError> {
        let refused = || IdError {
            kind: "notification ID",
            value: text.chars().take(80).collect(),
            rule: "use an `id` of the inbox, like 001700000000000.0123456789ab.1.raised",
        };
        let parts: Vec<&str> = text.split('.').collect();
        let [time, subject, detail, kind] = parts[..] else {
            return Err(refused());
        };
        let digits = |s: &str, max: usize| {
            !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
        };
        let alarm_event = matches!(kind, "raised" | "cleared")
            || kind
                .strip_prefix("special")
                .is_some_and(|condition| digits(condition, 3));
        let app_status = matches!(kind, "connected" | "disconnected");
        // A file alarm's: `{time}.file.{file}.{rule}`, before the alarms' forms (a rule
        // ID could be spelled like an alarm event's kind).
        let file_alarm =
            subject == "file" && FileId::parse(detail).is_ok() && FileAlarmId::parse(kind).is_ok();
        let rest_ok = if file_alarm {
            true
        } else if alarm_event {
            AlarmId::parse(subject).is_ok() && digits(detail, 20)
        } else {
            app_status && subject == "app" && AppId::parse(detail).is_ok()
        };
        if time.len() != 15 || !digits(time, 15) || !rest_ok {
            return Err(refused());
        }
        Ok(NotificationId(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NotificationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What one user has read of one group's inbox. IDs sort as their events happened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadMarks {
    /// The revision these marks were read at (0: never written); a write is checked on
    /// it, so two tabs marking at once both land.
    pub rev: u64,
    /// Every notification at or before it is read.
    pub through: Option<NotificationId>,
    /// Notifications after `through` read one by one.
    pub read: BTreeSet<NotificationId>,
}

impl ReadMarks {
    pub fn is_read(&self, id: &NotificationId) -> bool {
        self.through.as_ref().is_some_and(|through| id <= through) || self.read.contains(id)
    }

    /// Marks `id` read; whether that changed anything. Past [`MAX_READ_ONE_BY_ONE`] the
    /// oldest other one-by-one mark is forgotten.
    pub fn mark(&mut self, id: &NotificationId) -> bool {
        if self.is_read(id) {
            return false;
        }
        self.read.insert(id.clone());
        while self.read.len() > MAX_READ_ONE_BY_ONE {
            let oldest_other = self
                .read
                .iter()
                .find(|marked| *marked != id)
                .cloned()
                .expect("more than one mark");
            self.read.remove(&oldest_other);
        }
        true
    }

    /// Marks read everything at or before `newest`; whether that changed anything. The
    /// one-by-one marks it passes are dropped.
    pub fn mark_through(&mut self, newest: &NotificationId) -> bool {
        if self
            .through
            .as_ref()
            .is_some_and(|through| through >= newest)
        {
            return false;
        }
        self.read.retain(|marked| marked > newest);
        self.through = Some(newest.clone());
        true
    }

    /// How many one-by-one marks sort before `before` (all of them without it): at most
    /// this many notifications of a range are skipped as read past the watermark.
    pub fn read_before(&self, before: Option<&NotificationId>) -> usize {
        match before {
            Some(before) => self.read.range(..before.clone()).count(),
            None => self.read.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(at: i64, alarm: &str) -> NotificationId {
        NotificationId::parse(&format!("{at:015}.{alarm}.1.raised")).unwrap()
    }

    #[test]
    fn a_notification_id_parses_as_notification_id_makes_it_and_nothing_else() {
        for good in [
            "001700000000000.0123456789ab.1.raised",
            "001700000000000.hot.12.cleared",
            "001700000000000.hot.3.special1",
            "001700000000000.app.gw:1_a-b.connected",
            "001700000000000.app.7.disconnected",
        ] {
            assert_eq!(NotificationId::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "read",
            "unread",
            "1700000000000.hot.1.raised",
            "001700000000000.Hot.1.raised",
            "001700000000000.hot.x.raised",
            "001700000000000.hot.1.risen",
            "001700000000000.hot.1.special",
            "001700000000000.hot.1.raised.x",
            "00170000000000x.hot.1.raised",
            "001700000000000.hot.1.connected",
            "001700000000000.app.gw/1.connected",
            "001700000000000.app.gw.raised",
            "001700000000000.app.gw.1.connected",
        ] {
            assert!(NotificationId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn marking_all_read_reads_everything_up_to_it_and_drops_the_marks_it_passes() {
        let mut marks = ReadMarks::default();
        assert!(marks.mark(&id(3, "a")));
        assert!(!marks.mark(&id(3, "a")), "idempotent");
        assert!(marks.mark(&id(9, "a")));
        assert!(marks.mark_through(&id(5, "a")));
        assert!(marks.is_read(&id(1, "a")) && marks.is_read(&id(5, "a")));
        assert!(!marks.is_read(&id(6, "a")));
        assert!(marks.is_read(&id(9, "a")));
        assert_eq!(marks.read, [id(9, "a")].into());
        assert!(!marks.mark_through(&id(4, "a")), "never backwards");
        assert!(!marks.mark(&id(2, "a")), "read already");
    }

    #[test]
    fn past_the_bound_the_oldest_other_mark_is_forgotten() {
        let mut marks = ReadMarks::default();
        for at in 1..=MAX_READ_ONE_BY_ONE as i64 {
            marks.mark(&id(100 + at, "a"));
        }
        assert!(marks.mark(&id(1, "a")), "older than every mark, still kept");
        assert_eq!(marks.read.len(), MAX_READ_ONE_BY_ONE);
        assert!(marks.is_read(&id(1, "a")));
        assert!(
            !marks.is_read(&id(101, "a")),
            "the oldest other one shows unread"
        );
        assert!(marks.is_read(&id(102, "a")));
    }

    #[test]
    fn read_before_counts_the_one_by_one_marks_older_than_a_cursor() {
        let mut marks = ReadMarks::default();
        for at in [1, 2, 5] {
            marks.mark(&id(at, "a"));
        }
        assert_eq!(marks.read_before(Some(&id(5, "a"))), 2);
        assert_eq!(marks.read_before(None), 3);
    }
}
