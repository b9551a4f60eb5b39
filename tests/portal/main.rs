//! The portal in a real browser: Playwright (portal/e2e) drives Debian's Chromium
//! against a local cloud that serves the built portal from the API's origin, seeded
//! with an account, an app and an instrument's latest values. Its own test binary:
//! cargo runs it after the others, not beside them.

use std::path::Path;
use std::time::Duration;

use devcloud::{seed, LocalCloud, Ports};
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::protocol::RuleEvent;
use serde_json::json;
use tokio::process::Command;

const PASSWORD: &str = "portal-Secret-9";
/// Debian's Chromium, unless `CHROMIUM` names another.
const CHROMIUM: &str = "/usr/bin/chromium";
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
    let payload = json!({"records": [{
        "instrument": "LR-1",
        "t": now.0 - 5_000,
        "values": {"CH1": 21.5, "CH2": "+OVER"},
    }]});
    let thing = cloud.stack.thing(&tenant.account.id, &tenant.apps[0].id);
    let event = RuleEvent::new(thing.as_str(), None, payload.to_string().as_bytes(), now);
    let outcome = cloud.deliver(&event).await;
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);

    let run = Command::new("npx")
        .args(["playwright", "test"])
        .current_dir(devcloud::portal::sources())
        .env("PORTAL_URL", &cloud.api_url)
        .env("FC_ACCOUNT", "acme")
        .env("FC_USER", "tester")
        .env("FC_PASSWORD", PASSWORD)
        .env("CHROMIUM", &chromium)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(RUN_WITHIN, run)
        .await
        .expect("the browser tests finish in time")
        .expect("npx runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{said}");
    assert!(output.status.success(), "the browser tests failed:\n{said}");
}
