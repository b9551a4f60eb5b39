//! Ingest through the real broker and rule: exactly-once storage, latest values, bad input.

use devcloud::seed;
use fieldcloud::domain::ids::{AccountId, AppId, InstrumentSerial};
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::protocol::{RuleEvent, MAX_PAYLOAD_BYTES};
use fieldcloud::domain::record::Millis;
use fieldcloud::domain::registry::{Account, App, RegistrationId};
use fieldcloud::ports::{Apps, Instruments, Registration};
use serde_json::json;

use crate::helpers::{batch, latest_value, record, spawn};

#[tokio::test]
async fn published_records_are_served_back_with_their_values() {
    let app = spawn(Plan::Standard).await;
    let (t1, t2) = (app.at(0), app.at(60));
    let outcome = app
        .publish(
            "gw-a",
            &batch(vec![
                record(
                    "LR-1",
                    t1,
                    json!({"CH1": 21.5, "CH2": -0.25, "CH3": "BURNOUT"}),
                ),
                record(
                    "LR-1",
                    t2,
                    json!({"CH1": 22.75, "CH2": 1e-7, "CH3": "+OVER"}),
                ),
            ]),
        )
        .await;
    let report = outcome.result.expect("ingest succeeds");
    assert_eq!(report.stored, 2);
    assert!(report.rejected.is_empty() && report.refused.is_none());

    assert_eq!(
        app.points("gw-a/LR-1/CH1").await,
        vec![(t1, json!(21.5)), (t2, json!(22.75))]
    );
    assert_eq!(
        app.points("gw-a/LR-1/CH2").await,
        vec![(t1, json!(-0.25)), (t2, json!(1e-7))]
    );
    assert_eq!(
        app.points("gw-a/LR-1/CH3").await,
        vec![(t1, json!("BURNOUT")), (t2, json!("+OVER"))]
    );

    let latest = app.latest().await;
    assert_eq!(
        latest_value(&latest, "LR-1", "CH1"),
        Some((t2, json!(22.75)))
    );
    assert_eq!(
        latest_value(&latest, "LR-1", "CH3"),
        Some((t2, json!("+OVER")))
    );
    let gw_a = latest["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["app"] == "gw-a")
        .unwrap();
    assert_eq!(gw_a["connected"], true);
    let gw_b = latest["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["app"] == "gw-b")
        .unwrap();
    assert_eq!(
        gw_b["connected"], false,
        "an app never heard from is not connected"
    );
}

#[tokio::test]
async fn duplicated_replayed_and_reordered_batches_store_each_record_once() {
    let app = spawn(Plan::Standard).await;
    let first = batch(
        (0..10)
            .map(|i| {
                record(
                    "LR-1",
                    app.at(i),
                    json!({"CH1": i as f64, "CH2": i as f64 * 2.0}),
                )
            })
            .collect(),
    );
    let second = batch(
        (5..20)
            .map(|i| {
                record(
                    "LR-1",
                    app.at(i),
                    json!({"CH1": i as f64, "CH2": i as f64 * 2.0}),
                )
            })
            .collect(),
    );
    // Newest first, each batch more than once, as an app replaying its backlog might.
    let outcomes = app
        .publish_all(
            "gw-a",
            &[second.clone(), first.clone(), second.clone(), first, second],
        )
        .await;
    assert!(outcomes.iter().all(|o| o.result.is_ok()));

    let points = app.points("gw-a/LR-1/CH1").await;
    assert_eq!(points.len(), 20);
    assert_eq!(
        points,
        (0..20)
            .map(|i| (app.at(i), json!(i as f64)))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        app.stored_items("gw-a", "LR-1").await,
        20,
        "one item per record in DynamoDB"
    );
    assert_eq!(
        latest_value(&app.latest().await, "LR-1", "CH2"),
        Some((app.at(19), json!(38.0)))
    );
}

#[tokio::test]
async fn late_record_does_not_overwrite_fresher_latest_value() {
    let app = spawn(Plan::Standard).await;
    app.publish(
        "gw-a",
        &batch(vec![record("LR-1", app.at(100), json!({"CH1": 2.0}))]),
    )
    .await;
    app.publish(
        "gw-a",
        &batch(vec![record("LR-1", app.at(50), json!({"CH1": 1.0}))]),
    )
    .await;

    let latest = app.latest().await;
    assert_eq!(
        latest_value(&latest, "LR-1", "CH1"),
        Some((app.at(100), json!(2.0)))
    );
    // The late record is still stored: it is history, just not the latest value.
    assert_eq!(app.points("gw-a/LR-1/CH1").await.len(), 2);
}

#[tokio::test]
async fn bad_records_are_rejected_while_good_ones_in_the_same_batch_land() {
    let app = spawn(Plan::Standard).await;
    let good = app.at(0);
    let outcome = app
        .publish(
            "gw-a",
            &json!({"records": [
                record("LR-1", good, json!({"CH1": 1.5})),
                record("LR-1", app.at(1), json!({"CH1": "NaN"})),
                record("LR-1", app.at(2), json!({"CH1": [1]})),
                {"instrument": "LR-1", "t": "2026-11-21T00:00:00Z", "values": {"CH1": 1}},
                record("LR-1", devcloud::wall_clock().0 + 3_600_000, json!({"CH1": 9})),
                record("../etc", app.at(3), json!({"CH1": 1})),
            ]}),
        )
        .await;
    let report = outcome.result.expect("ingest succeeds");
    assert_eq!(report.stored, 1);
    assert_eq!(report.rejected.len(), 5, "{:?}", report.rejected);
    assert!(report.rejected[0].contains("\"NaN\" is neither a number"));
    assert!(report.rejected[2].contains("`t` must be milliseconds"));
    assert!(report.rejected[3].contains("ahead of the receive time"));
    assert!(report.rejected[4].contains("instrument serial `../etc` is invalid"));
    assert_eq!(app.points("gw-a/LR-1/CH1").await, vec![(good, json!(1.5))]);
}

#[tokio::test]
async fn messages_that_are_not_batches_are_refused_and_store_nothing() {
    let app = spawn(Plan::Standard).await;
    app.publish(
        "gw-a",
        &batch(vec![record("LR-1", app.at(0), json!({"CH1": 1}))]),
    )
    .await;

    let malformed = app.publish_raw("gw-a", b"{\"records\": [".to_vec()).await;
    assert!(malformed
        .result
        .unwrap()
        .refused
        .as_deref()
        .unwrap()
        .starts_with("payload is not JSON"));

    let wrong_shape = app.publish("gw-a", &json!({"records": {"LR-1": 1}})).await;
    assert!(wrong_shape
        .result
        .unwrap()
        .refused
        .as_deref()
        .unwrap()
        .contains("`records` array"));

    let filler = "x".repeat(MAX_PAYLOAD_BYTES);
    let oversize = app
        .publish(
            "gw-a",
            &json!({"records": [record("LR-1", app.at(5), json!({"CH1": 2}))], "pad": filler}),
        )
        .await;
    assert!(oversize
        .result
        .unwrap()
        .refused
        .as_deref()
        .unwrap()
        .contains("at most 131072"));

    let unknown = app
        .publish(
            "gw-zz",
            &batch(vec![record("LR-1", app.at(6), json!({"CH1": 3}))]),
        )
        .await;
    assert_eq!(
        unknown.result.unwrap().refused.as_deref(),
        Some("unknown app: not registered")
    );

    assert_eq!(
        app.points("gw-a/LR-1/CH1").await.len(),
        1,
        "nothing but the first record"
    );
    assert_eq!(app.stored_items("gw-zz", "LR-1").await, 0);
}

#[tokio::test]
async fn plan_limits_bound_instruments_per_app_and_channels_per_instrument() {
    // Trial: 1 instrument per app, 10 acquisition channels per instrument.
    let app = spawn(Plan::Trial).await;
    let twelve: serde_json::Map<String, serde_json::Value> =
        (1..=12).map(|i| (format!("CH{i}"), json!(i))).collect();
    let outcome = app
        .publish(
            "gw-a",
            &batch(vec![
                record("LR-1", app.at(0), serde_json::Value::Object(twelve)),
                record("LR-2", app.at(0), json!({"CH1": 1})),
            ]),
        )
        .await;
    let report = outcome.result.unwrap();
    assert_eq!(report.stored, 1);
    assert_eq!(
        report.channels_over_limit.len(),
        2,
        "{:?}",
        report.channels_over_limit
    );
    assert!(report.channels_over_limit[0].starts_with("LR-1/CH11: not acquired"));
    assert!(report.rejected[0].contains("instrument LR-2: the app already has 1 instruments"));

    let latest = app.latest().await;
    assert!(latest_value(&latest, "LR-1", "CH10").is_some());
    assert!(latest_value(&latest, "LR-1", "CH11").is_none());
    let (status, _) = app
        .get(&format!(
            "/v1/groups/plant/series?channel=gw-a/LR-2/CH1&from=0&to={}",
            app.at(10)
        ))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn concurrent_messages_for_a_new_instrument_register_it_once_and_keep_every_channel() {
    let app = spawn(Plan::Standard).await;
    // Eight messages at once, each bringing a channel of its own: the registrations and
    // channel-dictionary writes race, and optimistic concurrency must keep them all.
    let payloads: Vec<_> = (0..8)
        .map(|i| {
            batch(vec![record(
                "LR-9",
                app.at(i),
                json!({ format!("CH{i}"): i as f64, "common": i as f64 }),
            )])
        })
        .collect();
    let outcomes = app.publish_all("gw-b", &payloads).await;
    assert!(outcomes
        .iter()
        .all(|o| o.result.as_ref().is_ok_and(|r| r.stored == 1)));

    let latest = app.latest().await;
    for i in 0..8 {
        assert_eq!(
            latest_value(&latest, "LR-9", &format!("CH{i}")),
            Some((app.at(i), json!(i as f64)))
        );
    }
    assert_eq!(
        latest_value(&latest, "LR-9", "common"),
        Some((app.at(7), json!(7.0)))
    );
    assert_eq!(app.stored_items("gw-b", "LR-9").await, 8);
}

#[tokio::test]
async fn a_message_of_a_replaced_certificate_or_an_earlier_registration_is_dropped() {
    let app = spawn(Plan::Standard).await;
    let (status, registered) = app
        .call(
            "POST",
            "/v1/groups/plant/apps",
            Some(json!({"thing": "gw-new"})),
        )
        .await;
    assert_eq!(status, 201, "{registered}");
    let certificate = registered["credentials"]["certificate_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let thing = app.iot_thing("gw-new");
    let payload = |offset: i64| {
        batch(vec![record(
            "LR-1",
            app.at(offset),
            json!({"CH1": offset as f64}),
        )])
        .to_string()
    };
    let now = devcloud::wall_clock();

    // As IoT Core hands it over: sent with a certificate the app no longer has.
    let stale = RuleEvent::new(thing.as_str(), Some("0ld0ce27"), payload(1).as_bytes(), now);
    let report = app.cloud.deliver(&stale).await.result.unwrap();
    assert!(
        report
            .refused
            .as_deref()
            .unwrap()
            .contains("stale certificate"),
        "{report:?}"
    );
    // Received before this registration existed: sent to one deleted since.
    let registered_at = registered["registered"].as_i64().unwrap();
    let earlier = RuleEvent::new(
        thing.as_str(),
        Some(&certificate),
        payload(2).as_bytes(),
        Millis(registered_at - 1),
    );
    let report = app.cloud.deliver(&earlier).await.result.unwrap();
    assert!(
        report.refused.as_deref().unwrap().contains("stale message"),
        "{report:?}"
    );
    assert_eq!(
        app.stored_items("gw-new", "LR-1").await,
        0,
        "nothing stored"
    );

    // The current certificate, after the registration: stored.
    let current = RuleEvent::new(
        thing.as_str(),
        Some(&certificate),
        payload(3).as_bytes(),
        now,
    );
    let report = app.cloud.deliver(&current).await.result.unwrap();
    assert_eq!(
        (report.stored, report.refused.clone()),
        (1, None),
        "{report:?}"
    );
    assert_eq!(app.stored_items("gw-new", "LR-1").await, 1);
}

#[tokio::test]
async fn a_thing_of_another_stack_or_no_app_is_refused() {
    let app = spawn(Plan::Standard).await;
    let payload = batch(vec![record("LR-1", app.at(0), json!({"CH1": 1.0}))]).to_string();
    for thing in ["prod:acme:gw-a", "local:acme", "gw-a"] {
        let event = RuleEvent::new(thing, None, payload.as_bytes(), devcloud::wall_clock());
        let report = app.cloud.deliver(&event).await.result.unwrap();
        assert!(
            report
                .refused
                .as_deref()
                .unwrap()
                .contains("not an app of stack local"),
            "{thing}: {report:?}"
        );
    }
    assert_eq!(app.stored_items("gw-a", "LR-1").await, 0);
}

#[tokio::test]
async fn an_instrument_left_by_an_earlier_registration_is_replaced_not_fed() {
    let app = spawn(Plan::Standard).await;
    let acme = AccountId::parse("acme").unwrap();
    let gw = AppId::parse("gw-a").unwrap();
    let current = app.cloud.store.app(&acme, &gw).await.unwrap().unwrap();
    // What an ingest still running for a deleted registration of gw-a could leave
    // behind under the new one: an instrument item of the old registration.
    let earlier = App {
        registration: RegistrationId::from_random(!0),
        ..current.clone()
    };
    assert_ne!(earlier.registration, current.registration);
    let serial = InstrumentSerial::parse("LR-1").unwrap();
    // An invocation of the earlier registration cannot register one on the new app item.
    let refused = app
        .cloud
        .store
        .register_instrument(&earlier, &serial, RegistrationId::from_random(7 << 16), 8)
        .await
        .unwrap();
    assert!(matches!(refused, Registration::LimitReached), "{refused:?}");
    // It may have done so just before the old app item went: planted as it would be.
    let config = devcloud::sdk_config(&app.cloud.moto.endpoint).await;
    let text = |v: &str| aws_sdk_dynamodb::types::AttributeValue::S(v.into());
    aws_sdk_dynamodb::Client::new(&config)
        .put_item()
        .table_name(devcloud::REGISTRY_TABLE)
        .item("pk", text("APP#acme#gw-a"))
        .item("sk", text("INSTRUMENT#LR-1"))
        .item("gpk", text("GROUP#acme#plant"))
        .item("gsk", text("APP#gw-a#INSTRUMENT#LR-1"))
        .item("account", text("acme"))
        .item("group", text("plant"))
        .item("app", text("gw-a"))
        .item("reg", text(&earlier.registration.to_string()))
        .item("serial", text("LR-1"))
        .item("inst", text("00000000000a"))
        .item(
            "channels",
            aws_sdk_dynamodb::types::AttributeValue::L(vec![text("OLD")]),
        )
        .item(
            "rev",
            aws_sdk_dynamodb::types::AttributeValue::N("3".into()),
        )
        .send()
        .await
        .unwrap();

    let report = app
        .publish(
            "gw-a",
            &batch(vec![record("LR-1", app.at(0), json!({"CH1": 5.5}))]),
        )
        .await
        .result
        .unwrap();
    assert_eq!(report.stored, 1, "{report:?}");
    let instrument = app
        .cloud
        .store
        .instrument(&acme, &gw, &serial)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(instrument.registration, current.registration);
    assert_eq!(
        app.points("gw-a/LR-1/CH1").await,
        vec![(app.at(0), json!(5.5))]
    );
}

#[tokio::test]
async fn full_precision_numbers_come_back_bit_exact() {
    let app = spawn(Plan::Standard).await;
    // The number that once came back one ulp off, and a spread of others, written in
    // their shortest form as a device's JSON library would.
    let mut numbers = vec![-384.15985831764715, 0.1, 1e-300, -2.2250738585072014e-308];
    let mut bits: u64 = 0x9E37_79B9_7F4A_7C15;
    while numbers.len() < 40 {
        bits = bits.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let x = f64::from_bits(bits);
        if x.is_finite() {
            numbers.push(x);
        }
    }
    let records: Vec<_> = numbers
        .iter()
        .enumerate()
        .map(|(i, x)| record("LR-1", app.at(i as i64), json!({ "CH1": x })))
        .collect();
    let report = app.publish("gw-a", &batch(records)).await.result.unwrap();
    assert_eq!(report.stored, numbers.len(), "{report:?}");
    let points = app.points("gw-a/LR-1/CH1").await;
    let back: Vec<u64> = points
        .iter()
        .map(|(_, v)| v.as_f64().expect("a number").to_bits())
        .collect();
    let sent: Vec<u64> = numbers.iter().map(|x| x.to_bits()).collect();
    assert_eq!(back, sent);
}

#[tokio::test]
async fn a_number_beyond_f64_sinks_its_record_alone() {
    let app = spawn(Plan::Standard).await;
    let payload = format!(
        r#"{{"records":[{{"instrument":"LR-1","t":{},"values":{{"CH1":1e999}}}},{{"instrument":"LR-1","t":{},"values":{{"CH1":2.5}}}}]}}"#,
        app.at(0),
        app.at(1)
    );
    let report = app
        .publish_raw("gw-a", payload.into_bytes())
        .await
        .result
        .unwrap();
    assert_eq!(
        (report.stored, report.refused.clone()),
        (1, None),
        "{report:?}"
    );
    assert!(
        report.rejected[0].contains("number out of range"),
        "{report:?}"
    );
    assert_eq!(
        app.points("gw-a/LR-1/CH1").await,
        vec![(app.at(1), json!(2.5))]
    );
}

#[tokio::test]
async fn a_replay_after_a_channel_was_deselected_keeps_its_stored_value() {
    let app = spawn(Plan::Standard).await;
    let sent = batch(vec![record(
        "LR-1",
        app.at(0),
        json!({"CH1": 1.5, "CH2": 7.25}),
    )]);
    app.publish("gw-a", &sent).await.result.unwrap();
    let (status, body) = app
        .call(
            "PUT",
            "/v1/groups/plant/apps/gw-a/instruments/LR-1",
            Some(json!({"acquire": ["CH1"]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // The app replays its buffer: the record, now encoded without CH2.
    app.publish("gw-a", &sent).await.result.unwrap();
    assert_eq!(
        app.points("gw-a/LR-1/CH2").await,
        vec![(app.at(0), json!(7.25))],
        "the stored value stays"
    );
}

#[tokio::test]
async fn a_trial_past_its_end_or_a_lapsed_license_stops_or_narrows_ingest() {
    let app = spawn(Plan::Standard).await;
    let now = devcloud::wall_clock();
    // A Trial account ingests until its 93 days are over.
    let trial = seed::tenant(&app.cloud.store, "short-trial", Plan::Trial, "g", &["gw-t"])
        .await
        .unwrap();
    let thing = app.iot_thing_of(&trial.account.id, "gw-t");
    let payload = |t: i64| batch(vec![record("LR-1", t, json!({"CH1": 1.0}))]).to_string();
    let after_end = trial.account.created.plus(93 * Millis::DAY);
    let event = RuleEvent::new(
        thing.as_str(),
        None,
        payload(after_end.0).as_bytes(),
        after_end,
    );
    let report = app.cloud.deliver(&event).await.result.unwrap();
    assert!(
        report
            .refused
            .as_deref()
            .unwrap()
            .contains("Trial of account short-trial has ended"),
        "{report:?}"
    );
    let before_end = Millis(after_end.0 - 1);
    let event = RuleEvent::new(
        thing.as_str(),
        None,
        payload(before_end.0).as_bytes(),
        before_end,
    );
    let report = app.cloud.deliver(&event).await.result.unwrap();
    assert_eq!(report.stored, 1, "{report:?}");

    // A Pro license that lapsed yesterday is Free now: 30 channels an instrument, not 100.
    let lapsed = Account {
        license_expires: Some(Millis(now.0 - Millis::DAY)),
        ..Account::new(
            AccountId::parse("lapsed").unwrap(),
            "Lapsed".into(),
            Plan::Pro,
            now,
        )
    };
    app.cloud.store.create_account(&lapsed).await.unwrap();
    seed::tenant(&app.cloud.store, "lapsed", Plan::Pro, "g", &["gw-l"])
        .await
        .unwrap();
    let values: serde_json::Map<String, serde_json::Value> =
        (1..=40).map(|i| (format!("CH{i}"), json!(i))).collect();
    let report = app
        .publish_as(
            &lapsed.id,
            "gw-l",
            &batch(vec![record("LR-1", app.at(0), json!(values))]),
        )
        .await
        .result
        .unwrap();
    assert_eq!(report.stored, 1, "{report:?}");
    assert_eq!(report.channels_over_limit.len(), 10, "{report:?}");
    assert!(
        report.channels_over_limit[0].contains("30 channels"),
        "{report:?}"
    );
}
