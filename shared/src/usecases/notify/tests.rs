//! Delivery on the in-memory adapters: each destination once, however often the message
//! comes; a failing webhook holds back only itself; mail only to users who may see the
//! group, each with a working view-only login.

use super::*;
use crate::domain::access::{Grant, Grantee, GroupRole};
use crate::domain::alarm::{Event, Notification};
use crate::domain::app_status::{Cause, StatusChange};
use crate::domain::auth::{Role, User};
use crate::domain::channel::SeriesRef;
use crate::domain::ids::{AccountId, AlarmId, AppId, GroupId};
use crate::domain::notify::{Destinations, WebhookKind, WebhookUrl};
use crate::domain::plan::Plan;
use crate::domain::record::Value;
use crate::domain::registry::Account;
use crate::memory::{MemoryMailer, MemoryStore, MemoryWebhooks};
use crate::ports::{Created, Groups, NotificationDestinations, Users};

const NOW: Millis = Millis(1_796_173_200_000);

/// Counts up, byte by byte: IDs that differ, without a random generator.
struct Counting(u8);

impl Random for Counting {
    fn fill(&mut self, bytes: &mut [u8]) {
        for byte in bytes {
            *byte = self.0;
            self.0 = self.0.wrapping_add(1);
        }
    }
}

struct Setup {
    store: MemoryStore,
    mailer: MemoryMailer,
    webhooks: MemoryWebhooks,
    key: TokenKey,
    account: AccountId,
    group: GroupId,
}

fn user(account: &AccountId, id: &str, role: Role, email: Option<&str>) -> User {
    User {
        account: account.clone(),
        id: UserId::parse(id).unwrap(),
        role,
        password_hash: "$argon2id$x".into(),
        totp: None,
        email: email.map(str::to_owned),
        email_two_step: false,
    }
}

/// Account `acme` (Japanese), group `plant` granted to `ana`; users `boss` (admin),
/// `ana`, `eve` (no grant), `nomail`; every one of them and both webhooks as
/// destinations.
async fn setup() -> Setup {
    let store = MemoryStore::new();
    let account = AccountId::parse("acme").unwrap();
    let group = GroupId::parse("plant").unwrap();
    let mut acme = Account::new(account.clone(), "Acme".into(), Plan::Pro, Millis(0));
    acme.language = Language::Japanese;
    store.create_account(&acme);
    for user in [
        user(&account, "boss", Role::Admin, Some("boss@acme.example")),
        user(&account, "ana", Role::Member, Some("ana@acme.example")),
        user(&account, "eve", Role::Member, Some("eve@acme.example")),
        user(&account, "nomail", Role::Member, None),
    ] {
        assert_eq!(
            store.create_user(&user, 10).await.unwrap(),
            Created::Created
        );
    }
    let plant = Group {
        account: account.clone(),
        id: group.clone(),
        name: "Plant".into(),
        grants: vec![
            Grant {
                to: Grantee::User(UserId::parse("ana").unwrap()),
                role: GroupRole::Viewer,
            },
            Grant {
                to: Grantee::User(UserId::parse("nomail").unwrap()),
                role: GroupRole::Viewer,
            },
        ],
    };
    assert_eq!(
        store.create_group(&plant, 10).await.unwrap(),
        Created::Created
    );
    store.set_grants(&plant).await.unwrap();
    let destinations = Destinations {
        mail: ["boss", "ana", "eve", "nomail"]
            .iter()
            .map(|u| UserId::parse(*u).unwrap())
            .collect(),
        slack: Some(WebhookUrl::new(
            "https://hooks.slack.com/services/T/B/secret1",
        )),
        wecom: Some(WebhookUrl::new(
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=secret2",
        )),
        language: None,
        app_status: true,
    };
    let key = GroupKey {
        account: &account,
        group: &group,
    };
    assert!(store.set_destinations(key, &destinations).await.unwrap());
    Setup {
        store,
        mailer: MemoryMailer::default(),
        webhooks: MemoryWebhooks::default(),
        key: TokenKey::new(vec![7u8; 32]).unwrap(),
        account,
        group,
    }
}

fn job(setup: &Setup) -> String {
    let job = NotifyJob {
        account: setup.account.clone(),
        group: setup.group.clone(),
        what: Notify::Notice {
            notice: Notice::Alarm(Notification {
                alarm: AlarmId::parse("a1").unwrap(),
                version: 1,
                alarm_name: "冷凍庫".into(),
                event: Event::Raised { at: NOW },
                channels: vec![SeriesRef::parse("gw-1/LR-1/CH1").unwrap()],
                values: vec![Some(Value::Number(-12.5))],
            }),
        },
    };
    serde_json::to_string(&job).unwrap()
}

async fn run(
    setup: &Setup,
    body: &str,
    random: &mut Counting,
) -> Result<NotifyReport, NotifyError> {
    let senders = Senders {
        mailer: &setup.mailer,
        webhooks: &setup.webhooks,
        links: Links {
            key: &setup.key,
            portal_url: "https://portal.example/",
        },
    };
    deliver(body, &setup.store, &senders, random, &|| NOW).await
}

#[tokio::test]
async fn each_destination_gets_the_notification_once_however_often_the_message_comes() {
    let setup = setup().await;
    let body = job(&setup);
    let mut random = Counting(0);
    let report = run(&setup, &body, &mut random).await.unwrap();
    assert_eq!(
        report.delivered,
        vec!["mail:boss", "mail:ana", "slack", "wecom"]
    );
    assert_eq!(
        report.skipped,
        vec![
            "mail:eve: the user may not see group plant",
            "mail:nomail: the user has no e-mail address"
        ]
    );
    for _ in 0..2 {
        let again = run(&setup, &body, &mut random).await.unwrap();
        assert!(again.delivered.is_empty(), "{again:?}");
        assert_eq!(again.already.len(), 6);
    }
    let mails = setup.mailer.sent();
    let to: Vec<&str> = mails.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(to, vec!["boss@acme.example", "ana@acme.example"]);
    assert_eq!(setup.webhooks.posts().len(), 2);

    // In the account's language, with a login that is the recipient's, view-only.
    let mail = &mails[1];
    assert!(
        mail.subject.contains("アラーム発生: 冷凍庫"),
        "{}",
        mail.subject
    );
    let token = mail
        .text
        .split("https://portal.example/groups/plant#token=")
        .nth(1)
        .expect("a login link")
        .trim();
    let principal = setup.key.verify(token, NOW).unwrap();
    assert_eq!(principal.user.to_string(), "ana");
    assert_eq!(principal.role, Role::Viewer);
    assert_eq!(principal.expires, NOW.plus(30 * Millis::MINUTE));
    // Chat posts carry no login.
    assert!(setup
        .webhooks
        .posts()
        .iter()
        .all(|(_, text)| !text.contains("token=")));
}

#[tokio::test]
async fn a_failing_webhook_fails_the_message_alone_and_is_sent_when_it_recovers() {
    let setup = setup().await;
    let body = job(&setup);
    let mut random = Counting(0);
    setup.webhooks.set_failing(WebhookKind::Slack, true);
    let failed = run(&setup, &body, &mut random).await.unwrap_err();
    assert!(
        matches!(&failed, NotifyError::Undelivered(why) if why.len() == 1 && why[0].contains("slack")),
        "{failed}"
    );
    assert!(
        !failed.to_string().contains("secret1"),
        "the address is a secret"
    );
    assert_eq!(setup.mailer.sent().len(), 2, "the others were delivered");
    assert_eq!(setup.webhooks.posts().len(), 1, "wecom");

    setup.webhooks.set_failing(WebhookKind::Slack, false);
    let report = run(&setup, &body, &mut random).await.unwrap();
    assert_eq!(report.delivered, vec!["slack"]);
    assert_eq!(setup.mailer.sent().len(), 2, "no mail twice");
}

#[tokio::test]
async fn a_message_for_a_deleted_group_or_one_without_destinations_sends_nothing() {
    let setup = setup().await;
    let mut random = Counting(0);
    let key = GroupKey {
        account: &setup.account,
        group: &setup.group,
    };
    setup
        .store
        .set_destinations(key, &Destinations::default())
        .await
        .unwrap();
    let report = run(&setup, &job(&setup), &mut random).await.unwrap();
    assert_eq!(report, NotifyReport::default());
    setup
        .store
        .delete_group(&setup.account, &setup.group)
        .await
        .unwrap();
    let report = run(&setup, &job(&setup), &mut random).await.unwrap();
    assert_eq!(report, NotifyReport::default());
    assert!(setup.mailer.sent().is_empty());
    let refused = run(&setup, "{\"not\": 1}", &mut random).await.unwrap_err();
    assert!(matches!(refused, NotifyError::Malformed(_)), "{refused}");
}

#[tokio::test]
async fn a_destination_another_handler_is_sending_is_left_to_it_and_the_rest_delivered() {
    let setup = setup().await;
    let body = job(&setup);
    let key = GroupKey {
        account: &setup.account,
        group: &setup.group,
    };
    let id = serde_json::from_str::<NotifyJob>(&body).unwrap().id();
    // Another handler of the same notification holds Slack's claim.
    let claim = setup
        .store
        .claim_delivery(key, &id, "slack", NOW, NOW.plus(DELIVERY_LEASE_MILLIS))
        .await
        .unwrap();
    assert_eq!(claim, Claim::Claimed);
    let mut random = Counting(0);
    let busy = run(&setup, &body, &mut random).await.unwrap_err();
    assert!(
        matches!(&busy, NotifyError::Undelivered(why) if why == &["slack: being sent by another handler"]),
        "{busy}"
    );
    assert!(setup
        .webhooks
        .posts()
        .iter()
        .all(|(kind, _)| *kind == WebhookKind::WeCom));
    assert_eq!(setup.mailer.sent().len(), 2);

    // Its lease lapses without a mark (it stopped): the message, back, sends it.
    let senders = Senders {
        mailer: &setup.mailer,
        webhooks: &setup.webhooks,
        links: Links {
            key: &setup.key,
            portal_url: "https://portal.example/",
        },
    };
    let at = NOW.plus(DELIVERY_LEASE_MILLIS);
    let report = deliver(&body, &setup.store, &senders, &mut random, &|| at)
        .await
        .unwrap();
    assert_eq!(report.delivered, vec!["slack"]);
    assert_eq!(setup.mailer.sent().len(), 2, "no mail twice");
}

/// A job telling that app `gw-1` of the setup's group disconnected at `at`.
fn app_job(setup: &Setup, at: Millis) -> String {
    let job = NotifyJob {
        account: setup.account.clone(),
        group: setup.group.clone(),
        what: Notify::Notice {
            notice: Notice::App(StatusChange {
                app: AppId::parse("gw-1").unwrap(),
                app_name: "Gateway 1".into(),
                connected: false,
                at,
                cause: Cause::Lifecycle,
            }),
        },
    };
    serde_json::to_string(&job).unwrap()
}

#[tokio::test]
async fn an_apps_status_goes_to_every_destination_unless_they_turned_it_off() {
    let setup = setup().await;
    let mut random = Counting(0);
    let report = run(&setup, &app_job(&setup, NOW), &mut random)
        .await
        .unwrap();
    assert_eq!(
        report.delivered,
        vec!["mail:boss", "mail:ana", "slack", "wecom"]
    );
    assert!(setup.mailer.sent()[1]
        .subject
        .contains("アプリ切断: Gateway 1"));

    let key = GroupKey {
        account: &setup.account,
        group: &setup.group,
    };
    let mut destinations = setup.store.destinations(key).await.unwrap().unwrap();
    destinations.app_status = false;
    assert!(setup
        .store
        .set_destinations(key, &destinations)
        .await
        .unwrap());
    let later = app_job(&setup, NOW.plus(Millis::MINUTE));
    let report = run(&setup, &later, &mut random).await.unwrap();
    assert_eq!(report, NotifyReport::default(), "nothing sent");
    assert_eq!(setup.mailer.sent().len(), 2);
}

#[tokio::test]
async fn an_alarm_job_queued_before_app_notices_is_delivered_as_one() {
    let setup = setup().await;
    let mut queued: serde_json::Value = serde_json::from_str(&job(&setup)).unwrap();
    let mut notification = queued["notice"].take();
    notification.as_object_mut().unwrap().remove("kind");
    let legacy = serde_json::json!({
        "account": queued["account"],
        "group": queued["group"],
        "type": "alarm",
        "notification": notification,
    });
    let report = run(&setup, &legacy.to_string(), &mut Counting(0))
        .await
        .unwrap();
    assert_eq!(report.delivered.len(), 4, "{report:?}");
    // The same notification queued as a notice is the same delivery.
    let again = run(&setup, &self::job(&setup), &mut Counting(9))
        .await
        .unwrap();
    assert!(again.delivered.is_empty(), "{again:?}");
}

#[tokio::test]
async fn a_file_alarms_notice_goes_to_every_destination_once_naming_the_file() {
    use crate::domain::file_alarm::FileNotice;
    use crate::domain::ids::{FileAlarmId, FileId};
    let setup = setup().await;
    let job = NotifyJob {
        account: setup.account.clone(),
        group: setup.group.clone(),
        what: Notify::Notice {
            notice: Notice::File(FileNotice {
                rule: FileAlarmId::parse("0123456789ab").unwrap(),
                rule_name: "Recordings".into(),
                file: FileId::parse("00000000000000000000abcd").unwrap(),
                name: "rec-01.csv".into(),
                folder: "line 1".into(),
                size: 42,
                content_type: "text/csv".into(),
                app: Some(AppId::parse("gw-1").unwrap()),
                instrument: None,
                uploaded: NOW,
            }),
        },
    };
    let body = serde_json::to_string(&job).unwrap();
    let report = run(&setup, &body, &mut Counting(0)).await.unwrap();
    assert_eq!(
        report.delivered,
        vec!["mail:boss", "mail:ana", "slack", "wecom"]
    );
    let posts = setup.webhooks.posts();
    assert!(
        posts
            .iter()
            .all(|(_, text)| text.contains("line 1/rec-01.csv")),
        "{posts:?}"
    );
    assert!(setup.mailer.sent()[0].text.contains("rec-01.csv"));
    let again = run(&setup, &body, &mut Counting(1)).await.unwrap();
    assert!(
        again.delivered.is_empty(),
        "once per destination: {again:?}"
    );
}
