//! The embedded MQTT broker (rumqttd), standing in for IoT Core's message broker.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use serde_json::json;

/// Larger than IoT Core's 128 KB so that an oversize message reaches `ingest`, whose own
/// check is what the tests exercise; IoT Core would drop it at the broker.
const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

/// Starts a broker listening on `addr` (MQTT 3.1.1) on a thread of its own and waits
/// until it accepts connections. The broker lives as long as the process.
pub async fn start(addr: SocketAddr) -> anyhow::Result<()> {
    // rumqttd reports a failed bind only in its own thread's log, and another server on
    // the port would pass the connection check below: try the address first.
    std::net::TcpListener::bind(addr)
        .with_context(|| format!("the MQTT broker cannot listen on {addr}"))?;
    let config: rumqttd::Config = serde_json::from_value(json!({
        "id": 0,
        "router": {
            "max_connections": 1000,
            "max_outgoing_packet_count": 200,
            "max_segment_size": 104_857_600,
            "max_segment_count": 10,
        },
        "v4": {
            "1": {
                "name": "fieldcloud-v4",
                "listen": addr.to_string(),
                "next_connection_delay_ms": 1,
                "connections": {
                    "connection_timeout_ms": 60_000,
                    "max_payload_size": MAX_PAYLOAD_BYTES,
                    "max_inflight_count": 100,
                    "dynamic_filters": true,
                },
            },
        },
    }))
    .context("building the broker configuration")?;
    std::thread::Builder::new()
        .name("mqtt-broker".into())
        .spawn(move || {
            if let Err(error) = rumqttd::Broker::new(config).start() {
                tracing::error!(%error, "MQTT broker stopped");
            }
        })
        .context("starting the broker thread")?;
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    anyhow::bail!("MQTT broker did not listen on {addr}")
}
