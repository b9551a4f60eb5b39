//! A notification as words: the subject and text of a mail or a chat post, in the
//! group's language and the account's time zone.

use chrono_tz::Tz;

use super::catalog::phrases;
use crate::domain::alarm::{Event, Notification};
use crate::domain::app_status::{Cause, StatusChange};
use crate::domain::file_alarm::FileNotice;
use crate::domain::ids::GroupId;
use crate::domain::record::{Millis, Value};
use crate::domain::settings::Language;

/// What is being told.
#[derive(Debug, Clone, PartialEq)]
pub enum Occasion<'a> {
    Alarm(&'a Notification),
    App(&'a StatusChange),
    File(&'a FileNotice),
    /// A "send test notification" of the alarm named so.
    Test {
        alarm_name: &'a str,
        at: Millis,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub subject: String,
    pub text: String,
}

/// The message of `occasion` in `group`. `login_link` (a mail's temporary login) ends it
/// when given; chat posts get none, since everyone in the channel could use it.
pub fn render(
    occasion: &Occasion<'_>,
    group: &GroupId,
    language: Language,
    zone: &Tz,
    login_link: Option<&str>,
) -> Message {
    let words = phrases(language);
    let (headline, name, at, label) = match occasion {
        Occasion::Alarm(notification) => {
            let headline = match notification.event {
                Event::Raised { .. } => words.raised,
                Event::Cleared { .. } => words.cleared,
                Event::SpecialValue { .. } => words.special_value,
            };
            (
                headline,
                notification.alarm_name.as_str(),
                notification.event.at(),
                words.alarm,
            )
        }
        Occasion::App(change) => {
            let headline = if change.connected {
                words.app_connected
            } else {
                words.app_disconnected
            };
            (headline, change.app_name.as_str(), change.at, words.group)
        }
        Occasion::File(notice) => (
            words.file_alarm,
            notice.rule_name.as_str(),
            notice.uploaded,
            words.group,
        ),
        Occasion::Test { alarm_name, at } => (words.test, *alarm_name, *at, words.alarm),
    };
    let mut text = format!(
        "{headline}: {name}\n{}: {group}\n{}: {}\n",
        words.group,
        words.time,
        local_time(at, zone)
    );
    match occasion {
        Occasion::Alarm(notification) => {
            text.push_str(&format!("{}:\n", words.values));
            for (channel, value) in notification.channels.iter().zip(&notification.values) {
                let shown = match value {
                    Some(Value::Number(n)) => n.to_string(),
                    Some(Value::Special(s)) => s.as_str().to_owned(),
                    None => words.no_value.to_owned(),
                };
                text.push_str(&format!("  {channel} = {shown}\n"));
            }
        }
        Occasion::App(change) => {
            text.push_str(&format!("{}: {}\n", words.app, change.app));
            if let Cause::Silence { last_heard } = change.cause {
                text.push_str(&format!(
                    "{}: {}\n",
                    words.last_heard,
                    local_time(last_heard, zone)
                ));
            }
        }
        Occasion::File(notice) => {
            let path = if notice.folder.is_empty() {
                notice.name.clone()
            } else {
                format!("{}/{}", notice.folder, notice.name)
            };
            text.push_str(&format!("{}: {path}\n", words.file));
            text.push_str(&format!(
                "{}: {} {}\n{}: {}\n",
                words.size, notice.size, words.bytes, words.content_type, notice.content_type
            ));
            if let Some(app) = &notice.app {
                text.push_str(&format!("{}: {app}\n", words.app));
            }
            if let Some(instrument) = &notice.instrument {
                text.push_str(&format!("{}: {instrument}\n", words.instrument));
            }
        }
        Occasion::Test { .. } => text.push_str(&format!("{}\n", words.test_explained)),
    }
    if let Some(link) = login_link {
        text.push_str(&format!("\n{}:\n{link}\n", words.open_group));
    }
    Message {
        subject: format!("[fieldcloud] {headline}: {name} ({label}: {group})"),
        text,
    }
}

/// `at` as people of `zone` read it, with the zone named.
fn local_time(at: Millis, zone: &Tz) -> String {
    match chrono::DateTime::from_timestamp_millis(at.0) {
        Some(utc) => format!(
            "{} ({})",
            utc.with_timezone(zone).format("%Y-%m-%d %H:%M:%S"),
            zone.name()
        ),
        None => at.iso(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::channel::SeriesRef;
    use crate::domain::ids::AlarmId;
    use crate::domain::record::Special;

    fn raised() -> Notification {
        Notification {
            alarm: AlarmId::parse("a1").unwrap(),
            version: 1,
            alarm_name: "Freezer 3".into(),
            // 2026-12-02 01:00:00 UTC.
            event: Event::Raised {
                at: Millis(1_796_173_200_000),
            },
            channels: vec![
                SeriesRef::parse("gw-1/LR-1/CH1").unwrap(),
                SeriesRef::parse("calc:power").unwrap(),
            ],
            values: vec![Some(Value::Number(-12.5)), None],
        }
    }

    #[test]
    fn an_alarm_mail_says_what_when_in_the_accounts_zone_the_values_and_the_link() {
        let notification = raised();
        let group = GroupId::parse("plant").unwrap();
        let message = render(
            &Occasion::Alarm(&notification),
            &group,
            Language::English,
            &chrono_tz::Asia::Tokyo,
            Some("https://portal.example/#token=x"),
        );
        assert_eq!(
            message.subject,
            "[fieldcloud] Alarm raised: Freezer 3 (Alarm: plant)"
        );
        assert_eq!(
            message.text,
            "Alarm raised: Freezer 3\nGroup: plant\nTime: 2026-12-02 10:00:00 (Asia/Tokyo)\n\
             Channel values:\n  gw-1/LR-1/CH1 = -12.5\n  calc:power = no value yet\n\n\
             Open the group (view only, link valid for 30 minutes):\nhttps://portal.example/#token=x\n"
        );
    }

    #[test]
    fn an_app_gone_silent_says_which_app_and_when_it_was_last_heard_from() {
        let change = StatusChange {
            app: crate::domain::ids::AppId::parse("gw-1").unwrap(),
            app_name: "Gateway 1".into(),
            connected: false,
            at: Millis(1_796_173_380_000),
            cause: Cause::Silence {
                last_heard: Millis(1_796_173_200_000),
            },
        };
        let group = GroupId::parse("plant").unwrap();
        let message = render(
            &Occasion::App(&change),
            &group,
            Language::English,
            &chrono_tz::Asia::Tokyo,
            None,
        );
        assert_eq!(
            message.subject,
            "[fieldcloud] App disconnected: Gateway 1 (Group: plant)"
        );
        assert_eq!(
            message.text,
            "App disconnected: Gateway 1\nGroup: plant\nTime: 2026-12-02 10:03:00 (Asia/Tokyo)\n\
             App: gw-1\nLast heard from: 2026-12-02 10:00:00 (Asia/Tokyo)\n"
        );
        let connected = StatusChange {
            connected: true,
            cause: Cause::Lifecycle,
            ..change
        };
        let japanese = render(
            &Occasion::App(&connected),
            &group,
            Language::Japanese,
            &chrono_tz::UTC,
            None,
        );
        assert!(japanese
            .subject
            .starts_with("[fieldcloud] アプリ接続: Gateway 1"));
        assert!(!japanese.text.contains("最終受信"), "said only of silence");
    }

    #[test]
    fn a_file_alarm_says_which_rule_which_file_from_where_and_when_it_arrived() {
        use crate::domain::ids::{AppId, FileAlarmId, FileId, InstrumentSerial};
        let notice = FileNotice {
            rule: FileAlarmId::parse("0123456789ab").unwrap(),
            rule_name: "New recordings".into(),
            file: FileId::parse("00000000000000000000abcd").unwrap(),
            name: "rec-01.csv".into(),
            folder: "line 1".into(),
            size: 2048,
            content_type: "text/csv".into(),
            app: Some(AppId::parse("gw-1").unwrap()),
            instrument: Some(InstrumentSerial::parse("LR-1").unwrap()),
            uploaded: Millis(1_796_173_200_000),
        };
        let group = GroupId::parse("plant").unwrap();
        let message = render(
            &Occasion::File(&notice),
            &group,
            Language::English,
            &chrono_tz::Asia::Tokyo,
            None,
        );
        assert_eq!(
            message.subject,
            "[fieldcloud] File alarm: New recordings (Group: plant)"
        );
        assert_eq!(
            message.text,
            "File alarm: New recordings\nGroup: plant\nTime: 2026-12-02 10:00:00 (Asia/Tokyo)\n\
             File: line 1/rec-01.csv\nSize: 2048 bytes\nType: text/csv\nApp: gw-1\nInstrument: LR-1\n"
        );
        let portal = FileNotice {
            folder: String::new(),
            app: None,
            instrument: None,
            ..notice
        };
        let german = render(
            &Occasion::File(&portal),
            &group,
            Language::German,
            &chrono_tz::UTC,
            None,
        );
        assert!(
            german.text.contains("Datei: rec-01.csv\n"),
            "{}",
            german.text
        );
        assert!(!german.text.contains("App:"), "no app to name");
    }

    #[test]
    fn every_language_has_its_own_words_and_chat_posts_carry_no_link() {
        let mut notification = raised();
        notification.event = Event::SpecialValue {
            at: Millis(1_796_173_200_000),
            condition: 0,
            value: Special::Burnout,
        };
        notification.values[0] = Some(Value::Special(Special::Burnout));
        let group = GroupId::parse("plant").unwrap();
        let mut subjects = Vec::new();
        for language in Language::ALL {
            let message = render(
                &Occasion::Alarm(&notification),
                &group,
                language,
                &chrono_tz::UTC,
                None,
            );
            assert!(message.text.contains("BURNOUT"), "{language}");
            assert!(!message.text.contains("http"), "{language}: no link");
            subjects.push(message.subject);
        }
        subjects.sort();
        subjects.dedup();
        assert_eq!(
            subjects.len(),
            Language::ALL.len(),
            "one subject per language"
        );
        let japanese = render(
            &Occasion::Test {
                alarm_name: "冷凍庫",
                at: Millis(0),
            },
            &group,
            Language::Japanese,
            &chrono_tz::UTC,
            None,
        );
        assert!(japanese
            .subject
            .starts_with("[fieldcloud] テスト通知: 冷凍庫"));
    }
}
