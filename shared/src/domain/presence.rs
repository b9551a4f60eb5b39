//! When an app was last heard from, and whether it is connected — without a write per
//! message.
//!
//! A message's records are evidence enough while their times are close to the time the
//! message arrived: then the newest stored record of the app's instruments says when it
//! was last heard from. The app's own last-seen time (receive time) is written only when
//! the records cannot say it — a backlog replayed, a device clock off by more than
//! [`RECORDS_SHOW_PRESENCE_MILLIS`], nothing stored — at most once a minute, and otherwise
//! once every [`LAST_SEEN_RESOLUTION_MILLIS`].

use super::record::Millis;
use super::registry::App;

/// An app counts as connected while it has been heard from this recently: apps send at
/// least once a minute, so three missed minutes mean it is gone.
pub const CONNECTED_WITHIN_MILLIS: i64 = 3 * Millis::MINUTE;

/// A record whose time is this close to when its message arrived shows the app present:
/// loggers often stamp a record with the start of the minute it covers and send it after
/// the minute ends, so a live record can be a minute and some seconds old. It must stay
/// below [`CONNECTED_WITHIN_MILLIS`] less the one-minute interval, so that each message
/// keeps the app connected until the next.
pub const RECORDS_SHOW_PRESENCE_MILLIS: i64 = 90 * 1000;
const _: () = assert!(RECORDS_SHOW_PRESENCE_MILLIS + Millis::MINUTE < CONNECTED_WITHIN_MILLIS);

/// How old an app's stored last-seen time must be before a message whose records show
/// it present writes it again. At one message a minute: one write (two units, with the
/// index entry) in 360 messages, 0.006 a record. It bounds how stale the stored time is
/// where its records cannot show it (its instruments deleted, or their read failing).
pub const LAST_SEEN_RESOLUTION_MILLIS: i64 = 6 * Millis::HOUR;

/// Whether a message received at `at` writes the app's last-seen time, given the newest
/// record time it left stored (newly or already), if any. Decided from the app item as
/// read: a refused conditional write would cost as much as a write.
pub fn writes_last_seen(app: &App, at: Millis, newest_record: Option<Millis>) -> bool {
    let since_written = app
        .last_seen
        .map_or(i64::MAX, |seen| at.0.saturating_sub(seen.0));
    let records_show_it =
        newest_record.is_some_and(|t| (at.0 - t.0).abs() <= RECORDS_SHOW_PRESENCE_MILLIS);
    since_written >= LAST_SEEN_RESOLUTION_MILLIS
        || (!records_show_it && since_written >= Millis::MINUTE)
}

/// When an app was last heard from: the later of its stored last-seen time and the
/// newest record of its instruments (`records_seen`). A record time ahead of `now` shows
/// as `now` while within [`RECORDS_SHOW_PRESENCE_MILLIS`], and counts for nothing beyond
/// (a clock far ahead must not keep an app connected after it has gone).
pub fn app_last_seen(
    app: &App,
    records_seen: impl IntoIterator<Item = Millis>,
    now: Millis,
) -> Option<Millis> {
    let newest_record = records_seen
        .into_iter()
        .filter(|t| t.0 - now.0 <= RECORDS_SHOW_PRESENCE_MILLIS)
        .max()
        .map(|t| t.min(now));
    app.last_seen.max(newest_record)
}

/// Connected: heard from within [`CONNECTED_WITHIN_MILLIS`] of `now`.
pub fn connected(last_seen: Option<Millis>, now: Millis) -> bool {
    last_seen.is_some_and(|seen| now.0 - seen.0 <= CONNECTED_WITHIN_MILLIS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{AccountId, AppId, GroupId};
    use crate::domain::registry::{AppKind, RegistrationId};

    const MINUTE: i64 = Millis::MINUTE;

    fn app(last_seen: Option<i64>) -> App {
        App {
            id: AppId::parse("gw").unwrap(),
            account: AccountId::parse("acme").unwrap(),
            group: GroupId::parse("g").unwrap(),
            registration: RegistrationId::from_random(0),
            registered: Millis(0),
            name: "gw".into(),
            kind: AppKind::Gateway,
            enabled: true,
            certificate: None,
            last_seen: last_seen.map(Millis),
            status: Default::default(),
        }
    }

    #[test]
    fn live_records_write_last_seen_once_per_resolution() {
        let live = |at: i64| Some(Millis(at - 5_000));
        assert!(writes_last_seen(&app(None), Millis(0), live(0)));
        let seen = app(Some(0));
        let before = LAST_SEEN_RESOLUTION_MILLIS - 1;
        assert!(!writes_last_seen(&seen, Millis(before), live(before)));
        let at = LAST_SEEN_RESOLUTION_MILLIS;
        assert!(writes_last_seen(&seen, Millis(at), live(at)));
    }

    #[test]
    fn a_record_stamped_with_the_start_of_the_minute_it_covers_shows_presence() {
        let at = 40 * MINUTE;
        let seen = app(Some(at - 20 * MINUTE));
        assert!(!writes_last_seen(
            &seen,
            Millis(at),
            Some(Millis(at - 65_000))
        ));
    }

    #[test]
    fn a_message_whose_records_cannot_show_presence_writes_last_seen_each_minute() {
        let seen = app(Some(0));
        let at = 2 * MINUTE;
        for newest_record in [
            None,                           // nothing stored
            Some(Millis(at - 60 * MINUTE)), // a backlog, or a clock an hour behind
            Some(Millis(at + 5 * MINUTE)),  // a clock ahead
        ] {
            assert!(writes_last_seen(&seen, Millis(at), newest_record));
            assert!(!writes_last_seen(&seen, Millis(MINUTE - 1), newest_record));
        }
    }

    #[test]
    fn an_app_was_last_seen_at_its_newest_record_or_message() {
        let now = Millis(10 * MINUTE);
        let seen = app(Some(MINUTE));
        assert_eq!(
            app_last_seen(&seen, [Millis(5 * MINUTE)], now),
            Some(Millis(5 * MINUTE))
        );
        assert_eq!(app_last_seen(&seen, [], now), Some(Millis(MINUTE)));
        // Slightly ahead: shown as now; far ahead: no evidence at all.
        assert_eq!(
            app_last_seen(&seen, [Millis(10 * MINUTE + 30_000)], now),
            Some(now)
        );
        assert_eq!(
            app_last_seen(&seen, [Millis(15 * MINUTE)], now),
            Some(Millis(MINUTE))
        );
    }

    #[test]
    fn connected_within_three_minutes() {
        let now = Millis(10 * MINUTE);
        assert!(connected(Some(Millis(7 * MINUTE)), now));
        assert!(!connected(Some(Millis(7 * MINUTE - 1)), now));
        assert!(!connected(None, now));
    }
}
