//! Compacted history on the real tables: an hour and more of records sent over MQTT,
//! compacted into chunks and their records deleted (as their expiry will), reads back
//! through the API exactly as before — raw and downsampled series alike.

use fieldcloud::domain::ids::{AppId, InstrumentSerial};
use fieldcloud::domain::plan::Plan;
use fieldcloud::domain::record::Millis;
use fieldcloud::ports::{ChunkStore, Instruments, RecordStore};
use fieldcloud::usecases::compaction::{compact_hour, Compacted};
use serde_json::json;

use crate::helpers::{batch, record, spawn};

#[tokio::test]
async fn compacted_hours_read_back_through_the_api_as_their_records_did() {
    let app = spawn(Plan::Standard).await;
    // Every 30 s for an hour and a half: two or three UTC hours, a special value, a
    // channel in some records only.
    let records: Vec<_> = (0..180)
        .map(|i| {
            let mut values = json!({ "CH1": 20.0 + (i % 17) as f64 / 100.0, "CH2": -(i as f64) });
            if i % 3 == 0 {
                values["CH3"] = json!(i);
            }
            if i == 77 {
                values["CH1"] = json!("BURNOUT");
            }
            record("LR-1", app.at(i * 30 - 5_400), values)
        })
        .collect();
    for chunk in records.chunks(60) {
        app.publish("gw-a", &batch(chunk.to_vec()))
            .await
            .result
            .expect("ingest succeeds");
    }
    let series = |buckets: usize| {
        let path = format!(
            "/v1/groups/plant/series?channel=gw-a/LR-1/CH1&channel=gw-a/LR-1/CH2&channel=gw-a/LR-1/CH3&from={}&to={}&buckets={buckets}",
            app.at(-5_400),
            app.at(0)
        );
        let app = &app;
        async move {
            let (status, body) = app.get(&path).await;
            assert_eq!(status, 200, "{body}");
            body
        }
    };
    let (raw, downsampled) = (series(5_000).await, series(7).await);
    assert_eq!(raw["series"][0]["downsampled"], false);
    assert_eq!(downsampled["series"][0]["downsampled"], true);

    let instrument = app
        .cloud
        .store
        .instrument(
            &app.account,
            &AppId::parse("gw-a").unwrap(),
            &InstrumentSerial::parse("LR-1").unwrap(),
        )
        .await
        .unwrap()
        .expect("registered by ingest");
    let key = instrument.key();
    let later = Millis(app.at(0) + 3 * Millis::HOUR);
    // Each UTC hour the records fall in, from the start of the first.
    let mut hour = Millis(app.at(-5_400).div_euclid(Millis::HOUR) * Millis::HOUR);
    let mut stored = 0;
    while hour.0 < app.at(0) {
        let compacted = compact_hour(&app.cloud.records, &key, hour, later)
            .await
            .unwrap();
        match compacted {
            Compacted::Stored { records, .. } => stored += records,
            other => panic!("{other:?}"),
        }
        hour = hour.plus(Millis::HOUR);
    }
    assert_eq!(stored, 180, "every record is in a chunk");
    let chunks = app
        .cloud
        .records
        .chunks(&key, Millis(0), later, usize::MAX)
        .await
        .unwrap();
    assert_eq!(
        chunks.iter().map(|c| c.records as usize).sum::<usize>(),
        180
    );
    let deleted = app
        .cloud
        .records
        .delete_before(&key, later, usize::MAX)
        .await
        .unwrap();
    assert_eq!(deleted.deleted, 180);

    assert_eq!(series(5_000).await, raw);
    assert_eq!(series(7).await, downsampled);
}
