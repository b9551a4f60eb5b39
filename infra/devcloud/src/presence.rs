//! IoT Core's lifecycle events and the presence function, locally.
//!
//! rumqttd publishes no `$aws/events/presence/…`, so the local cloud puts a TCP relay in
//! front of it, where IoT Core's broker sees its clients: the relay reads each
//! connection's MQTT CONNECT for the client ID, relays every byte both ways, and when
//! the connection opens and closes builds the event IoT Core would publish. The presence
//! rule's `WHERE` (this stack's clients only) is applied, and the `presence` handler is
//! invoked in process with Lambda's two retries, as [`crate::rule`] does for `ingest`.
//! EventBridge's schedule is a loop that invokes the same handler every minute.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fieldcloud::adapters::dynamodb::{DynamoRecords, DynamoStore};
use fieldcloud::adapters::sqs::SqsNotifyQueue;
use fieldcloud::domain::app_status::PresenceEvent;
use fieldcloud::domain::record::Millis;
pub use presence::Report;
use presence::{Invocation, Presence};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::ApiClock;

/// The presence function with its own clients.
pub type PresenceFunction = Presence<DynamoStore, DynamoRecords, SqsNotifyQueue>;

/// Lambda retries a failed asynchronous invocation twice.
const RETRIES: u32 = 2;
const RETRY_DELAY: Duration = Duration::from_secs(1);
/// EventBridge's `rate(1 minute)`.
const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// A CONNECT larger than this is no client's: the relay stops reading for the ID.
const MAX_CONNECT_BYTES: usize = 64 * 1024;
/// How long a new connection has to send its CONNECT.
const CONNECT_WITHIN: Duration = Duration::from_secs(10);

/// Invokes the function with `invocation`, retrying as Lambda does; the report, or the
/// error it still failed with.
pub async fn invoke(
    function: &PresenceFunction,
    invocation: &Invocation,
) -> Result<Report, String> {
    let mut attempt = 0;
    loop {
        match function.handle(invocation).await {
            Ok(report) => return Ok(report),
            Err(failure) if attempt < RETRIES => {
                attempt += 1;
                tracing::warn!(error = %failure.0, attempt, "presence failed; retrying as Lambda would");
                tokio::time::sleep(RETRY_DELAY).await;
            }
            Err(failure) => {
                tracing::error!(error = %failure.0, "presence failed after retries");
                return Err(failure.0.to_string());
            }
        }
    }
}

/// The scheduled invocation at `at`, as EventBridge sends it.
pub fn scheduled(at: Millis) -> Invocation {
    Invocation::Schedule {
        detail_type: "Scheduled Event".into(),
        time: at,
    }
}

/// Runs the schedule until the process ends: a sweep every minute at the API's time.
pub async fn run_schedule(function: Arc<PresenceFunction>, clock: ApiClock) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    every.tick().await;
    loop {
        every.tick().await;
        let _ = invoke(&function, &scheduled(clock.now())).await;
    }
}

/// The relay: accepts apps' connections on `listener` and relays each to the broker at
/// `broker`, telling `function` of each connection's start and end at `clock`'s time.
pub async fn run_relay(
    listener: TcpListener,
    broker: SocketAddr,
    function: Arc<PresenceFunction>,
    clock: ApiClock,
) {
    let relay = Arc::new(Relay {
        broker,
        function,
        clock,
        versions: Mutex::default(),
    });
    loop {
        let client = match listener.accept().await {
            Ok((client, _)) => client,
            Err(error) => {
                // Out of file descriptors, a connection reset before it was taken: the
                // next one may do.
                tracing::warn!(%error, "MQTT relay could not accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let relay = relay.clone();
        tokio::spawn(async move {
            if let Err(error) = relay.relay(client).await {
                tracing::debug!(%error, "MQTT connection relay ended");
            }
        });
    }
}

struct Relay {
    broker: SocketAddr,
    function: Arc<PresenceFunction>,
    clock: ApiClock,
    /// IoT Core's connection numbers: per client ID, larger for each new connection.
    versions: Mutex<HashMap<String, u64>>,
}

impl Relay {
    async fn relay(&self, mut client: TcpStream) -> anyhow::Result<()> {
        // The CONNECT comes first; what was read is relayed whether or not it names a
        // client. A connection that sends none in time is dropped, as brokers do.
        let mut first = Vec::new();
        let client_id = tokio::time::timeout(CONNECT_WITHIN, async {
            loop {
                let mut chunk = [0u8; 4096];
                let read = client.read(&mut chunk).await?;
                if read == 0 {
                    return Ok::<_, std::io::Error>(None);
                }
                first.extend_from_slice(&chunk[..read]);
                match connect_client_id(&first) {
                    Parsed::ClientId(id) => return Ok(Some(id)),
                    Parsed::NotConnect => return Ok(None),
                    Parsed::Incomplete if first.len() > MAX_CONNECT_BYTES => return Ok(None),
                    Parsed::Incomplete => continue,
                }
            }
        })
        .await??;
        if first.is_empty() {
            return Ok(());
        }
        let mut server = TcpStream::connect(self.broker).await?;
        server.write_all(&first).await?;
        let Some(client_id) = client_id else {
            tokio::io::copy_bidirectional(&mut client, &mut server).await?;
            return Ok(());
        };
        let version = {
            let mut versions = self
                .versions
                .lock()
                .expect("no panic while holding the lock");
            let version = versions.entry(client_id.clone()).or_insert(0);
            *version += 1;
            *version
        };
        // Told alongside, as IoT Core does: the client's CONNACK waits for no one.
        self.tell(&client_id, "connected", version);
        let relayed = tokio::io::copy_bidirectional(&mut client, &mut server).await;
        self.tell(&client_id, "disconnected", version);
        relayed.map(drop).map_err(Into::into)
    }

    /// Invokes the function with a lifecycle event of `client_id`, if the presence rule
    /// would: its `WHERE` takes the stack's clients only.
    fn tell(&self, client_id: &str, event_type: &str, version: u64) {
        if !client_id.starts_with(&format!("{}:", self.function.stack.as_str())) {
            return;
        }
        let event = PresenceEvent {
            client_id: client_id.to_owned(),
            timestamp: self.clock.now().0,
            event_type: event_type.to_owned(),
            version_number: version,
            disconnect_reason: None,
        };
        let function = self.function.clone();
        tokio::spawn(async move {
            let _ = invoke(&function, &Invocation::Lifecycle(event)).await;
        });
    }
}

#[derive(Debug, PartialEq)]
enum Parsed {
    ClientId(String),
    NotConnect,
    Incomplete,
}

/// The client ID of the MQTT CONNECT packet `bytes` starts with (MQTT 3.1.1 and 5: the
/// fixed header, the protocol name, level, flags and keep-alive, then — in 5 — the
/// properties, then the client ID).
fn connect_client_id(bytes: &[u8]) -> Parsed {
    let Some((&kind, rest)) = bytes.split_first() else {
        return Parsed::Incomplete;
    };
    if kind != 0x10 {
        return Parsed::NotConnect;
    }
    let Some((length, rest)) = varint(rest) else {
        return Parsed::Incomplete;
    };
    let Some(packet) = rest.get(..length) else {
        return Parsed::Incomplete;
    };
    let parse = || -> Option<String> {
        let (name, rest) = prefixed(packet)?;
        let (&level, rest) = rest.split_first()?;
        let rest = rest.get(3..)?; // flags and keep-alive
        let rest = if level == 5 && name == b"MQTT" {
            let (properties, rest) = varint(rest)?;
            rest.get(properties..)?
        } else {
            rest
        };
        let (id, _) = prefixed(rest)?;
        String::from_utf8(id.to_vec()).ok()
    };
    parse().map_or(Parsed::NotConnect, Parsed::ClientId)
}

/// MQTT's variable-length integer and what follows it.
fn varint(bytes: &[u8]) -> Option<(usize, &[u8])> {
    let mut value = 0usize;
    for (i, &byte) in bytes.iter().enumerate().take(4) {
        value |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, &bytes[i + 1..]));
        }
    }
    None
}

/// A two-byte length and that many bytes, and what follows.
fn prefixed(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let length = usize::from(u16::from_be_bytes([*bytes.first()?, *bytes.get(1)?]));
    let rest = &bytes[2..];
    Some((rest.get(..length)?, &rest[length..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connect(client_id: &str) -> Vec<u8> {
        let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 30];
        body.extend_from_slice(&(client_id.len() as u16).to_be_bytes());
        body.extend_from_slice(client_id.as_bytes());
        let mut packet = vec![0x10, body.len() as u8];
        packet.extend(body);
        packet
    }

    #[test]
    fn the_client_id_is_read_from_a_connect_however_it_arrives() {
        let packet = connect("local:acme:gw-1");
        assert_eq!(
            connect_client_id(&packet),
            Parsed::ClientId("local:acme:gw-1".into())
        );
        for cut in 0..packet.len() {
            assert_eq!(
                connect_client_id(&packet[..cut]),
                Parsed::Incomplete,
                "{cut}"
            );
        }
        assert_eq!(connect_client_id(&[0x30, 0]), Parsed::NotConnect);
    }
}
