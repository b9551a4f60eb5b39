//! The portal in a real browser: Playwright (portal/e2e) drives Debian's Chromium
//! against a local cloud that serves the built portal from the API's origin, seeded
//! with an account, an app, an instrument's last hour and latest values and an alarm
//! they raise, and a second instrument sending a record every two seconds; and the
//! portal's unit tests (Vitest). Its own test binary: cargo runs it after the others,
//! not beside them.

use std::path::Path;
use std::time::Duration;

use devcloud::{seed, LocalCloud, Ports};
use fieldcloud::domain::auth::Role;
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::protocol::RuleEvent;
use fieldcloud::domain::record::Millis;
use serde_json::json;
use tokio::process::Command;

const PASSWORD: &str = "portal-Secret-9";
/// Debian's Chromium, unless `CHROMIUM` names another.
const CHROMIUM: &str = "/usr/bin/chromium";
/// The viewer's history: a record a minute, the last a minute before the latest.
const HISTORY_MINUTES: u32 = 50;
/// CH4's one spike, at that minute of the history.
const SPIKE_AT: u32 = 25;
const SPIKE: f64 = 99.5;
/// The alarm on CH1 that its latest value (21.5) raises.
const ALARM: &str = "CH1 above 21";
/// The live instrument LR-2's one channel, Temp, reads this every [`FEED_EVERY`].
const LIVE_TEMP: f64 = 35.0;
const FEED_EVERY: Duration = Duration::from_secs(2);
/// The whole run's bound; it takes well under a minute once the portal is built.
const RUN_WITHIN: Duration = Duration::from_secs(10 * 60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_logs_in_and_watches_the_fleet_in_a_browser() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| CHROMIUM.to_owned());
    assert!(
        Path::new(&chromium).exists(),
        "the browser tests drive Chromium at {chromium} (set CHROMIUM to another): apt-get install chromium"
    );
    let cloud = LocalCloud::start(Ports::default())
        .await
        .expect("local cloud starts");
    cloud.serve_portal(devcloud::portal::build().await.expect("the portal builds"));
    let tenant = seed::tenant(&cloud.store, "acme", Plan::Standard, "plant", &["gw-a"])
        .await
        .expect("seeding");
    seed::admin(&cloud.store, &tenant.account, "tester", PASSWORD)
        .await
        .expect("seeding the admin");
    let now = devcloud::wall_clock();
    let thing = cloud.stack.thing(&tenant.account.id, &tenant.apps[0].id);
    // Most of the last hour, a record a minute, for the viewer (the browser tests ask for
    // the hour before they run, so the earliest must stay in it a while): four channels,
    // one of them flat but for a single spike.
    let history: Vec<_> = (0..HISTORY_MINUTES)
        .map(|minute| {
            let step = f64::from(minute);
            json!({
                "instrument": "LR-1",
                "t": now.0 - i64::from(HISTORY_MINUTES - minute) * 60_000,
                "values": {
                    "CH1": 20.0 + (step / 6.0).sin(),
                    "CH2": -step / 2.0,
                    "CH3": step * step / 100.0,
                    "CH4": if minute == SPIKE_AT { SPIKE } else { 0.0 },
                },
            })
        })
        .collect();
    let event = RuleEvent::new(
        thing.as_str(),
        None,
        json!({ "records": history }).to_string().as_bytes(),
        now,
    );
    let outcome = cloud.deliver(&event).await;
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    // An alarm the latest record raises, for the inbox.
    let token = cloud
        .session_token(&tenant.account.id, "tester", Role::Admin, Millis::HOUR)
        .await
        .expect("a session");
    let created = reqwest::Client::new()
        .post(format!("{}/v1/groups/plant/alarms", cloud.api_url))
        .bearer_auth(token)
        .json(&json!({
            "name": ALARM,
            "rule": {"conditions": [{"channel": "gw-a/LR-1/CH1", "raise": {"compare": "above", "value": 21.0}}]},
        }))
        .send()
        .await
        .expect("the API answers");
    assert_eq!(created.status(), 201, "{:?}", created.text().await);
    let payload = json!({"records": [{
        "instrument": "LR-1",
        "t": now.0 - 5_000,
        "values": {"CH1": 21.5, "CH2": "+OVER"},
    }]});
    let event = RuleEvent::new(thing.as_str(), None, payload.to_string().as_bytes(), now);
    let outcome = cloud.deliver(&event).await;
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    // A live instrument for the alarms the browser tests set up: its first record now,
    // the rest while they run.
    let feed = || async {
        let now = devcloud::wall_clock();
        let payload =
            json!({"records": [{"instrument": "LR-2", "t": now.0, "values": {"Temp": LIVE_TEMP}}]});
        let event = RuleEvent::new(thing.as_str(), None, payload.to_string().as_bytes(), now);
        let outcome = cloud.deliver(&event).await;
        assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    };
    feed().await;

    let mut browser = Command::new("npx");
    browser
        .args(["playwright", "test"])
        .current_dir(devcloud::portal::sources())
        .env("PORTAL_URL", &cloud.api_url)
        .env("FC_ACCOUNT", "acme")
        .env("FC_USER", "tester")
        .env("FC_PASSWORD", PASSWORD)
        .env("CHROMIUM", &chromium)
        .env("FC_HISTORY_RECORDS", HISTORY_MINUTES.to_string())
        .env("FC_SPIKE", SPIKE.to_string())
        .env("FC_ALARM", ALARM)
        .env("FC_LIVE_TEMP", LIVE_TEMP.to_string())
        // Where the mail the cloud sent (reset and sign-up links) is read.
        .env("FC_MOTO_URL", &cloud.moto.endpoint)
        // Where quote requests go.
        .env("FC_OPERATOR_EMAIL", devcloud::OPERATOR_EMAIL);
    let live = async {
        loop {
            tokio::time::sleep(FEED_EVERY).await;
            feed().await;
        }
    };
    tokio::select! {
        () = passes(browser, "the browser tests") => {}
        () = live => {}
    }
}

/// The portal's own rules (wall-clock times in the account's zone, the chart's data),
/// unit-tested in Node by Vitest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portals_rules_hold() {
    devcloud::portal::build().await.expect("the portal builds");
    let mut unit = Command::new("npx");
    unit.args(["vitest", "run"])
        .current_dir(devcloud::portal::sources())
        .env("NO_COLOR", "1")
        // Neither UTC nor the accounts' zones in the tests: times must not lean on
        // the zone the code runs in.
        .env("TZ", "America/Los_Angeles");
    passes(unit, "the portal's unit tests").await;
}

/// Runs `command` to its end within [`RUN_WITHIN`], shows what it said, and fails
/// unless it succeeded.
async fn passes(mut command: Command, what: &str) {
    let output = tokio::time::timeout(RUN_WITHIN, command.kill_on_drop(true).output())
        .await
        .unwrap_or_else(|_| panic!("{what} finish in time"))
        .expect("npx runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{said}");
    assert!(output.status.success(), "{what} failed:\n{said}");
}
