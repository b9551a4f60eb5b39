//! Calculated channels: defined over HTTP, computed on ingest, served like any channel.

use fieldcloud::adapters::sqs::SqsJobQueue;
use fieldcloud::domain::calculated::RecomputeJob;
use fieldcloud::domain::ids::{AccountId, CalcId, GroupId};
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::record::Millis;
use fieldcloud::ports::CalculatedChannels;
use serde_json::{json, Value};

use crate::compaction::expire;
use crate::helpers::{batch, record, spawn, TestCloud};
use crate::storage_used::counted;

async fn create(app: &TestCloud, name: &str, expression: &str) -> (u16, Value) {
    app.call(
        "POST",
        "/v1/groups/plant/calculated",
        Some(json!({ "name": name, "expression": expression })),
    )
    .await
}

/// Waits until the channel's backfill of its current formula is done; returns the channel.
pub(crate) async fn backfilled(app: &TestCloud, id: &str) -> Value {
    let path = format!("/v1/groups/plant/calculated/{id}");
    tokio::time::timeout(std::time::Duration::from_secs(60), async {
        loop {
            let (status, channel) = app.call("GET", &path, None).await;
            assert_eq!(status, 200, "{channel}");
            if channel["backfill"]["done"] == true {
                return channel;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the backfill finishes")
}

fn calculated_latest(latest: &Value, id: &str) -> Value {
    latest["calculated"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .map(|c| c["latest"].clone())
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_calculated_channel_appears_in_latest_values_and_series_for_new_records() {
    let app = spawn(Plan::Standard).await;
    app.publish(
        "gw-a",
        &batch(vec![record(
            "PW-1",
            app.at(0),
            json!({"U1": 230.0, "I1": 2.0}),
        )]),
    )
    .await;
    let (status, power) = create(&app, "P1 kW", "[PW-1/U1] * [PW-1/I1] / 1000").await;
    assert_eq!(status, 201, "{power}");
    assert_eq!(power["canonical"], "[gw-a/PW-1/U1] * [gw-a/PW-1/I1] / 1000");
    let (_, ratio) = create(&app, "ratio", "[PW-1/U1] / [PW-1/I1]").await;
    let id = power["id"].as_str().unwrap();
    backfilled(&app, id).await;
    // Both backfills done first: a backfill step still running would read the records
    // below and write their values before ingest does (the first write stays).
    backfilled(&app, ratio["id"].as_str().unwrap()).await;

    let outcome = app
        .publish(
            "gw-a",
            &batch(vec![
                record("PW-1", app.at(60), json!({"U1": 231.0, "I1": 4.0})),
                record("PW-1", app.at(120), json!({"U1": 229.5, "I1": 0.0})),
                record("PW-1", app.at(180), json!({"U1": "+OVER", "I1": 1.0})),
            ]),
        )
        .await;
    assert_eq!(outcome.result.unwrap().calculated, 6);

    let power_series = app.points(&format!("calc:{id}")).await;
    assert_eq!(
        power_series,
        vec![
            (app.at(0), json!(0.46)),
            (app.at(60), json!(0.924)),
            (app.at(120), json!(0.0)),
            (app.at(180), json!("+OVER"))
        ],
        "the record from before the channel existed is backfilled"
    );
    let ratio_id = ratio["id"].as_str().unwrap();
    backfilled(&app, ratio_id).await;
    let ratio_series = app.points(&format!("calc:{ratio_id}")).await;
    assert_eq!(
        ratio_series[2],
        (app.at(120), json!("ERROR")),
        "division by zero"
    );

    let latest = app.latest().await;
    assert_eq!(
        calculated_latest(&latest, id),
        json!({"t": app.at(180), "value": "+OVER"})
    );
}

#[tokio::test]
async fn sources_on_two_instruments_are_matched_by_timestamp_in_any_arrival_order() {
    let app = spawn(Plan::Standard).await;
    app.publish(
        "gw-a",
        &batch(vec![record("LR-1", app.at(0), json!({"T": 80.0}))]),
    )
    .await;
    app.publish(
        "gw-b",
        &batch(vec![record("LR-2", app.at(0), json!({"T": 20.0}))]),
    )
    .await;
    let (status, delta) = create(&app, "delta", "[LR-1/T] - [LR-2/T]").await;
    assert_eq!(status, 201, "{delta}");
    let channel = format!("calc:{}", delta["id"].as_str().unwrap());
    backfilled(&app, delta["id"].as_str().unwrap()).await;
    let history = (app.at(0), json!(60.0));

    // gw-a's records arrive first; the difference exists only once gw-b's do, and then
    // for the matching instants only.
    app.publish(
        "gw-a",
        &batch(vec![
            record("LR-1", app.at(60), json!({"T": 81.0})),
            record("LR-1", app.at(120), json!({"T": 82.5})),
        ]),
    )
    .await;
    assert_eq!(app.points(&channel).await, vec![history.clone()]);
    app.publish(
        "gw-b",
        &batch(vec![record("LR-2", app.at(120), json!({"T": 21.0}))]),
    )
    .await;
    assert_eq!(
        app.points(&channel).await,
        vec![history.clone(), (app.at(120), json!(61.5))]
    );
    app.publish(
        "gw-b",
        &batch(vec![record("LR-2", app.at(60), json!({"T": 20.5}))]),
    )
    .await;
    assert_eq!(
        app.points(&channel).await,
        vec![
            history,
            (app.at(60), json!(60.5)),
            (app.at(120), json!(61.5))
        ]
    );
    // The late pair did not move the latest value back.
    assert_eq!(
        calculated_latest(&app.latest().await, delta["id"].as_str().unwrap()),
        json!({"t": app.at(120), "value": 61.5})
    );
}

#[tokio::test]
async fn a_source_whose_records_expired_is_read_from_its_chunks_by_ingest() {
    let app = spawn(Plan::Standard).await;
    // A logger's backlog of eight days ago: both instruments' first records (the
    // channels' names), then the channel, then gw-b's rest arrives, is compacted, and
    // its records expire; gw-a's rest comes after, and ingest finds gw-b's in the chunk.
    let at = |minute: i64| app.at(minute * 60 - 8 * 86_400);
    for (gateway, instrument, t) in [("gw-a", "LR-1", 80.0), ("gw-b", "LR-2", 20.0)] {
        let first = record(instrument, at(10), json!({ "T": t }));
        app.publish(gateway, &batch(vec![first])).await;
    }
    let (status, delta) = create(&app, "delta", "[LR-1/T] - [LR-2/T]").await;
    assert_eq!(status, 201, "{delta}");
    let id = delta["id"].as_str().unwrap();
    backfilled(&app, id).await;
    let b: Vec<_> = (0..3)
        .map(|m| record("LR-2", at(m), json!({"T": 20.0 + m as f64})))
        .collect();
    app.publish("gw-b", &batch(b)).await;
    counted(&app, &app.account).await;
    assert_eq!(expire(&app).await, 3 + 3, "gw-b's, and each first record");
    let a: Vec<_> = (0..3)
        .map(|m| record("LR-1", at(m), json!({"T": 80.5})))
        .collect();
    app.publish("gw-a", &batch(a)).await;
    let mut expected: Vec<_> = (0..3).map(|m| (at(m), json!(60.5 - m as f64))).collect();
    expected.push((at(10), json!(60.0)));
    assert_eq!(app.points(&format!("calc:{id}")).await, expected);
}

#[tokio::test]
async fn invalid_expressions_are_refused_with_position_and_reason() {
    let app = spawn(Plan::Standard).await;
    app.publish(
        "gw-a",
        &batch(vec![record(
            "PW-1",
            app.at(0),
            json!({"U1": 1.0, "I1": 1.0}),
        )]),
    )
    .await;
    for (expression, position, fragment) in [
        ("[PW-1/U1] * [PW-1/CH9]", 12, "unknown channel `PW-1/CH9`"),
        ("([PW-1/U1] + 1", 0, "unbalanced parenthesis"),
        ("[PW-1/U1] * * 2", 12, "unexpected `*`"),
        ("LOG([PW-1/U1])", 0, "unknown function `LOG`"),
        ("2 + 3", 0, "at least one source channel"),
    ] {
        let (status, body) = create(&app, "bad", expression).await;
        assert_eq!(status, 400, "{expression}: {body}");
        assert_eq!(body["code"], "invalid_expression");
        assert_eq!(body["position"], position, "{expression}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains(fragment),
            "{expression}: {body}"
        );
    }
    let (status, body) = app
        .call(
            "POST",
            "/v1/groups/plant/calculated",
            Some(json!({"name": "x", "expression": 5})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("invalid type"),
        "{body}"
    );
    let (_, list) = app.call("GET", "/v1/groups/plant/calculated", None).await;
    assert_eq!(list, json!({"calculated": []}), "nothing was created");
}

#[tokio::test]
async fn the_plan_limits_calculated_channels_per_group() {
    let app = spawn(Plan::Free).await; // Free: 3 per group
    app.publish(
        "gw-a",
        &batch(vec![record("PW-1", app.at(0), json!({"U1": 1.0}))]),
    )
    .await;
    for i in 0..3 {
        let (status, body) = create(&app, &format!("c{i}"), "[PW-1/U1] * 2").await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = create(&app, "c3", "[PW-1/U1] * 2").await;
    assert_eq!(status, 409);
    assert_eq!(body["code"], "limit_reached");
    assert_eq!(
        body["message"],
        "plan free allows 3 calculated channels per measurement group; group `plant` has 3"
    );
    let (_, list) = app.call("GET", "/v1/groups/plant/calculated", None).await;
    let first = list["calculated"][0]["id"].as_str().unwrap().to_owned();
    let (status, _) = app
        .call(
            "POST",
            &format!("/v1/groups/plant/calculated/{first}/copy"),
            None,
        )
        .await;
    assert_eq!(status, 409, "a copy counts against the limit too");
    // Deleting frees a slot.
    let (status, _) = app
        .call(
            "DELETE",
            &format!("/v1/groups/plant/calculated/{first}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = create(&app, "c3", "[PW-1/U1] * 2").await;
    assert_eq!(status, 201);

    let trial = spawn(Plan::Trial).await;
    trial
        .publish(
            "gw-a",
            &batch(vec![record("PW-1", trial.at(0), json!({"U1": 1.0}))]),
        )
        .await;
    let (status, body) = create(&trial, "c", "[PW-1/U1] * 2").await;
    assert_eq!((status, body["code"].clone()), (403, json!("forbidden")));
}

#[tokio::test]
async fn calculated_channels_can_be_edited_copied_and_deleted() {
    let app = spawn(Plan::Standard).await;
    app.publish(
        "gw-a",
        &batch(vec![record(
            "PW-1",
            app.at(0),
            json!({"U1": 10.0, "I1": 2.0}),
        )]),
    )
    .await;
    let (_, original) = create(&app, "P", "[PW-1/U1] * [PW-1/I1]").await;
    let id = original["id"].as_str().unwrap();
    let path = format!("/v1/groups/plant/calculated/{id}");

    let (status, edited) = app
        .call(
            "PUT",
            &path,
            Some(json!({"expression": "[PW-1/U1] + [PW-1/I1]"})),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["version"], 2);
    assert_eq!(edited["formula"], 2);
    assert_eq!(edited["name"], "P");
    app.publish(
        "gw-a",
        &batch(vec![record(
            "PW-1",
            app.at(60),
            json!({"U1": 10.0, "I1": 5.0}),
        )]),
    )
    .await;
    backfilled(&app, id).await;
    assert_eq!(
        app.points(&format!("calc:{id}")).await,
        vec![(app.at(0), json!(12.0)), (app.at(60), json!(15.0))],
        "only the new formula's values"
    );
    let (_, renamed) = app.call("PUT", &path, Some(json!({"name": "P sum"}))).await;
    assert_eq!(
        (renamed["version"].clone(), renamed["formula"].clone()),
        (json!(3), json!(2))
    );
    assert_eq!(
        app.points(&format!("calc:{id}")).await.len(),
        2,
        "a rename keeps the values"
    );

    let (status, copy) = app.call("POST", &format!("{path}/copy"), None).await;
    assert_eq!(status, 201);
    assert_eq!(copy["name"], "P sum copy");
    assert_ne!(copy["id"], original["id"]);
    assert_eq!(copy["expression"], "[PW-1/U1] + [PW-1/I1]");
    let (status, body) = app
        .call("PUT", &path, Some(json!({"name": "P sum copy"})))
        .await;
    assert_eq!((status, body["code"].clone()), (409, json!("name_taken")));

    let (status, _) = app.call("DELETE", &path, None).await;
    assert_eq!(status, 200);
    let (status, _) = app.call("GET", &path, None).await;
    assert_eq!(status, 404);
    let (status, _) = app.call("DELETE", &path, None).await;
    assert_eq!(status, 404, "deleting twice finds nothing the second time");
}

#[tokio::test]
async fn history_is_backfilled_in_bounded_steps_and_again_after_an_edit() {
    let app = spawn(Plan::Standard).await;
    // 1,200 records: three steps of the recompute queue (500 records each).
    let records: Vec<Value> = (0..1200)
        .map(|i| {
            record(
                "PW-1",
                app.at(i),
                json!({"U1": 200.0 + (i % 50) as f64, "I1": (i % 7) as f64}),
            )
        })
        .collect();
    for chunk in records.chunks(200) {
        app.publish("gw-a", &batch(chunk.to_vec()))
            .await
            .result
            .expect("ingest succeeds");
    }
    let (status, channel) = create(&app, "P", "[PW-1/U1] * [PW-1/I1]").await;
    assert_eq!(status, 201, "{channel}");
    let id = channel["id"].as_str().unwrap();
    let done = backfilled(&app, id).await;
    assert_eq!(done["backfill"]["computed"], 1200);
    assert_eq!(done["backfill"]["through"], app.at(1199));
    assert_eq!(
        done["latest"],
        json!({"t": app.at(1199), "value": (200.0 + 49.0) * 2.0})
    );
    let expected = |f: fn(f64, f64) -> f64| -> Vec<(i64, Value)> {
        (0..1200)
            .map(|i| (app.at(i), json!(f(200.0 + (i % 50) as f64, (i % 7) as f64))))
            .collect()
    };
    assert_eq!(
        app.points(&format!("calc:{id}")).await,
        expected(|u, i| u * i)
    );

    let (status, _) = app
        .call(
            "PUT",
            &format!("/v1/groups/plant/calculated/{id}"),
            Some(json!({"expression": "[PW-1/U1] - [PW-1/I1]"})),
        )
        .await;
    assert_eq!(status, 200);
    let done = backfilled(&app, id).await;
    assert_eq!(done["backfill"]["computed"], 1200);
    assert_eq!(
        app.points(&format!("calc:{id}")).await,
        expected(|u, i| u - i)
    );
}

#[tokio::test]
async fn a_redelivered_or_duplicate_backfill_step_neither_rewinds_progress_nor_forks() {
    let app = spawn(Plan::Standard).await;
    let records: Vec<Value> = (0..700)
        .map(|i| record("PW-1", app.at(i), json!({"U1": i as f64, "I1": 2.0})))
        .collect();
    for chunk in records.chunks(350) {
        app.publish("gw-a", &batch(chunk.to_vec()))
            .await
            .result
            .expect("ingest succeeds");
    }
    let (_, channel) = create(&app, "P", "[PW-1/U1] * [PW-1/I1]").await;
    let id = channel["id"].as_str().unwrap();
    backfilled(&app, id).await;
    let (account, group) = (
        AccountId::parse("acme").unwrap(),
        GroupId::parse("plant").unwrap(),
    );
    let stored = |cloud: &devcloud::LocalCloud| {
        let (store, account, group) = (cloud.store.clone(), account.clone(), group.clone());
        let id = CalcId::parse(id).unwrap();
        async move {
            store
                .calculated_channel(&account, &group, &id)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let finished = stored(&app.cloud).await;
    assert_eq!(finished.backfill.through, Some(Millis(app.at(699))));

    // A queue nobody consumes, to see what the steps below would queue.
    let config = devcloud::sdk_config(&app.cloud.moto.endpoint).await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let url = devcloud::worker::create_queue(&sqs, "observed-steps")
        .await
        .unwrap();
    let observed = SqsJobQueue::new(sqs.clone(), url.clone());
    let first_page = |chain| RecomputeJob::start(&finished, Millis(i64::MIN), chain);
    for job in [
        first_page(finished.backfill.chain),
        first_page(finished.backfill.chain ^ 1),
    ] {
        // The same chain's first step redelivered, and a second chain over the same page.
        let step = fieldcloud::usecases::recompute::step(
            &job,
            &app.cloud.store,
            &app.cloud.records,
            &observed,
            500,
        )
        .await
        .unwrap();
        assert_eq!(
            step.computed, 0,
            "the page is stored already: nothing changes"
        );
        assert_eq!(step.next, None, "and the chain does not go on from it");
    }
    let queued = sqs.receive_message().queue_url(&url).send().await.unwrap();
    assert!(
        queued.messages.unwrap_or_default().is_empty(),
        "nothing was queued"
    );
    assert_eq!(
        stored(&app.cloud).await.backfill,
        finished.backfill,
        "progress did not move back"
    );
    assert_eq!(app.points(&format!("calc:{id}")).await.len(), 700);
}

#[tokio::test]
async fn copying_a_channel_with_a_name_of_sixty_bytes_or_more_ends_with_a_name_that_fits() {
    let app = spawn(Plan::Standard).await;
    app.publish(
        "gw-a",
        &batch(vec![record("PW-1", app.at(0), json!({"U1": 10.0}))]),
    )
    .await;
    let long = "x".repeat(64);
    let (status, original) = create(&app, &long, "[PW-1/U1] * 2").await;
    assert_eq!(status, 201, "{original}");
    let path = format!(
        "/v1/groups/plant/calculated/{}/copy",
        original["id"].as_str().unwrap()
    );
    let mut names = vec![long.clone()];
    for _ in 0..3 {
        let request = app.call("POST", &path, None);
        let (status, copy) = tokio::time::timeout(std::time::Duration::from_secs(30), request)
            .await
            .expect("a copy is answered, however long the name");
        assert_eq!(status, 201, "{copy}");
        let name = copy["name"].as_str().unwrap().to_owned();
        assert!(
            name.len() <= 64 && name.starts_with("xxxx") && name.contains(" copy"),
            "{name}"
        );
        assert!(!names.contains(&name), "{name} is new");
        names.push(name);
    }
}
