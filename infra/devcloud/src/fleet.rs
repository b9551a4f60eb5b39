//! A simulated fleet: apps with instruments that publish plausible signals over MQTT the
//! way real gateways do — including what real gateways do to a cloud: offline spells with
//! a bounded buffer replayed on reconnect, duplicate deliveries and special values.

use std::collections::VecDeque;
use std::f64::consts::TAU;
use std::net::SocketAddr;
use std::time::Duration;

use fieldcloud::domain::iot_thing::IotThing;
use fieldcloud::domain::protocol::records_topic;
use fieldcloud::domain::record::Millis;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rumqttc::{AsyncClient, MqttOptions, QoS};
use serde_json::{json, Map, Value as Json};

/// Apps keep this many records while offline, dropping the oldest (SPEC.md 10).
pub const OFFLINE_BUFFER: usize = 500;
/// Records per message when a backlog is replayed.
const REPLAY_BATCH: usize = 25;
const DUPLICATE_PROBABILITY: f64 = 0.05;
const SPECIAL_VALUE_PROBABILITY: f64 = 0.002;
const GO_OFFLINE_PROBABILITY: f64 = 1.0 / 90.0;

/// What a channel measures, and so how its signal looks.
#[derive(Debug, Clone, Copy)]
pub enum Signal {
    /// °C: a slow daily-like swing, 0.1 resolution.
    Temperature { base: f64 },
    /// V: mains around a nominal value, 0.01 resolution.
    Voltage { nominal: f64 },
    /// A: a load that cycles, 0.001 resolution.
    Current { mean: f64 },
}

impl Signal {
    fn sample(self, t: Millis, phase: f64, rng: &mut StdRng) -> f64 {
        let minutes = t.0 as f64 / 60_000.0;
        // Rounded as the instrument's display would, to steps of 1/scale.
        let (value, scale) = match self {
            Signal::Temperature { base } => (
                base + 4.0 * (TAU * minutes / 30.0 + phase).sin() + rng.random_range(-0.2..0.2),
                10.0,
            ),
            Signal::Voltage { nominal } => (
                nominal * (1.0 + 0.01 * (TAU * minutes / 7.0 + phase).sin())
                    + rng.random_range(-0.3..0.3),
                100.0,
            ),
            Signal::Current { mean } => (
                mean * (1.0 + 0.4 * (TAU * minutes / 3.0 + phase).sin().max(0.0))
                    + rng.random_range(-0.05..0.05),
                1000.0,
            ),
        };
        (value * scale).round() / scale
    }
}

#[derive(Debug, Clone)]
pub struct SimulatedInstrument {
    pub serial: String,
    pub channels: Vec<(String, Signal)>,
}

#[derive(Debug, Clone)]
pub struct SimulatedApp {
    pub thing: IotThing,
    pub instruments: Vec<SimulatedInstrument>,
}

fn channels(prefix: &str, count: usize, signal: impl Fn(usize) -> Signal) -> Vec<(String, Signal)> {
    (1..=count)
        .map(|i| (format!("{prefix}{i}"), signal(i)))
        .collect()
}

/// The demo fleet: a 100-channel data logger, a power meter with a battery tester, and
/// two small loggers — 10 to 100 channels per instrument.
pub fn demo_fleet(things: &[IotThing]) -> Vec<SimulatedApp> {
    let logger = SimulatedInstrument {
        serial: "LR8450-0001".into(),
        channels: [
            channels("CH1-", 40, |i| Signal::Temperature {
                base: 20.0 + i as f64,
            }),
            channels("CH2-", 30, |_| Signal::Voltage { nominal: 24.0 }),
            channels("CH3-", 30, |i| Signal::Current {
                mean: 2.0 + i as f64 / 10.0,
            }),
        ]
        .concat(),
    };
    let power = SimulatedInstrument {
        serial: "PW3390-0001".into(),
        channels: [
            channels("U", 3, |_| Signal::Voltage { nominal: 230.0 }),
            channels("I", 3, |_| Signal::Current { mean: 16.0 }),
            channels("P", 4, |_| Signal::Current { mean: 3.6 }),
        ]
        .concat(),
    };
    let battery = SimulatedInstrument {
        serial: "BT3554-0001".into(),
        channels: [
            channels("V", 6, |_| Signal::Voltage { nominal: 12.6 }),
            channels("R", 6, |_| Signal::Current { mean: 0.004 }),
        ]
        .concat(),
    };
    let small = |serial: &str, signal: Signal, count| SimulatedInstrument {
        serial: serial.into(),
        channels: channels("CH", count, |_| signal),
    };
    let kits = [
        vec![logger],
        vec![power, battery],
        vec![
            small("LR8101-0001", Signal::Temperature { base: 60.0 }, 10),
            small("LR8102-0001", Signal::Voltage { nominal: 5.0 }, 20),
        ],
    ];
    things
        .iter()
        .zip(kits)
        .map(|(thing, instruments)| SimulatedApp {
            thing: thing.clone(),
            instruments,
        })
        .collect()
}

/// Runs one app until the task is dropped: a record per instrument every `interval`.
pub async fn run_app(app: SimulatedApp, broker: SocketAddr, interval: Duration, seed: u64) {
    let mut options = MqttOptions::new(app.thing.as_str(), broker.ip().to_string(), broker.port());
    options.set_max_packet_size(256 * 1024, 256 * 1024);
    let (client, mut connection) = AsyncClient::new(options, 64);
    tokio::spawn(async move {
        loop {
            if connection.poll().await.is_err() {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    });
    let mut rng = StdRng::seed_from_u64(seed);
    let phases: Vec<f64> = (0..200).map(|_| rng.random_range(0.0..TAU)).collect();
    let topic = records_topic(&app.thing);
    let mut backlog: VecDeque<Json> = VecDeque::new();
    let mut offline_ticks = 0u32;
    let mut ticker = tokio::time::interval(interval);
    loop {
        ticker.tick().await;
        let t = crate::wall_clock();
        let records: Vec<Json> = app
            .instruments
            .iter()
            .map(|instrument| record(instrument, t, &phases, &mut rng))
            .collect();
        if offline_ticks > 0 {
            offline_ticks -= 1;
            for record in records {
                if backlog.len() == OFFLINE_BUFFER {
                    backlog.pop_front();
                }
                backlog.push_back(record);
            }
            if offline_ticks == 0 {
                tracing::info!(app = %app.thing, records = backlog.len(), "back online: replaying backlog");
                let replay: Vec<Json> = backlog.drain(..).collect();
                for chunk in replay.chunks(REPLAY_BATCH) {
                    publish(&client, &topic, chunk).await;
                }
                // Gateways often resend the last batch they were unsure of.
                if let Some(last) = replay.chunks(REPLAY_BATCH).last() {
                    publish(&client, &topic, last).await;
                }
            }
            continue;
        }
        publish(&client, &topic, &records).await;
        if rng.random_bool(DUPLICATE_PROBABILITY) {
            publish(&client, &topic, &records).await;
        }
        if rng.random_bool(GO_OFFLINE_PROBABILITY) {
            offline_ticks = rng.random_range(6..24);
            tracing::info!(app = %app.thing, ticks = offline_ticks, "going offline");
        }
    }
}

fn record(instrument: &SimulatedInstrument, t: Millis, phases: &[f64], rng: &mut StdRng) -> Json {
    let mut values = Map::new();
    for (i, (name, signal)) in instrument.channels.iter().enumerate() {
        let value = if rng.random_bool(SPECIAL_VALUE_PROBABILITY) {
            json!(["+OVER", "-OVER", "BURNOUT", "ERROR"][rng.random_range(0..4)])
        } else {
            json!(signal.sample(t, phases[i % phases.len()], rng))
        };
        values.insert(name.clone(), value);
    }
    json!({ "instrument": instrument.serial, "t": t, "values": values })
}

async fn publish(client: &AsyncClient, topic: &str, records: &[Json]) {
    let payload = json!({ "records": records }).to_string();
    if let Err(error) = client
        .publish(topic, QoS::AtLeastOnce, false, payload)
        .await
    {
        tracing::warn!(%error, "publish failed");
    }
}
