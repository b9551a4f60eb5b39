//! S3's event notifications as the files queue carries them: `{"Records": [...]}` with
//! each object's key URL-encoded (a space as `+`), or the `s3:TestEvent` S3 sends once
//! when the notification is set up.

use serde::Deserialize;

/// An object S3 reports created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectCreated {
    pub bucket: String,
    /// Decoded.
    pub key: String,
    pub size: u64,
}

#[derive(Deserialize)]
struct Notification {
    #[serde(rename = "Records", default)]
    records: Vec<Record>,
    #[serde(rename = "Event")]
    event: Option<String>,
}

#[derive(Deserialize)]
struct Record {
    #[serde(rename = "eventName")]
    event_name: String,
    s3: S3,
}

#[derive(Deserialize)]
struct S3 {
    bucket: BucketName,
    object: Object,
}

#[derive(Deserialize)]
struct BucketName {
    name: String,
}

#[derive(Deserialize)]
struct Object {
    key: String,
    #[serde(default)]
    size: u64,
}

/// The objects created that a message reports (none for S3's test event or for other
/// events); an error names what is not an S3 notification.
pub fn parse_s3_event(body: &str) -> Result<Vec<ObjectCreated>, String> {
    let notification: Notification =
        serde_json::from_str(body).map_err(|e| format!("not an S3 event notification: {e}"))?;
    if notification.event.as_deref() == Some("s3:TestEvent") {
        return Ok(Vec::new());
    }
    notification
        .records
        .into_iter()
        .filter(|record| record.event_name.starts_with("ObjectCreated:"))
        .map(|record| {
            Ok(ObjectCreated {
                bucket: record.s3.bucket.name,
                key: url_decode(&record.s3.object.key)?,
                size: record.s3.object.size,
            })
        })
        .collect()
}

/// S3's form encoding of keys: `+` for a space, `%XX` for other bytes.
fn url_decode(text: &str) -> Result<String, String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.bytes();
    while let Some(byte) = rest.next() {
        match byte {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex = [rest.next(), rest.next()];
                let [Some(high), Some(low)] = hex else {
                    return Err(format!("key {text:?}: `%` without two hex digits"));
                };
                let digits = std::str::from_utf8(&[high, low])
                    .ok()
                    .and_then(|d| u8::from_str_radix(d, 16).ok())
                    .ok_or_else(|| format!("key {text:?}: `%` without two hex digits"))?;
                bytes.push(digits);
            }
            other => bytes.push(other),
        }
    }
    String::from_utf8(bytes).map_err(|_| format!("key {text:?} is not UTF-8 once decoded"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_objects_are_read_with_their_keys_decoded() {
        let body = r#"{"Records":[
            {"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"files/acme/plant/a%2Bb+c%C3%A9","size":12,"eTag":"x"}}},
            {"eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"b"},"object":{"key":"files/acme/plant/gone"}}}
        ]}"#;
        assert_eq!(
            parse_s3_event(body).unwrap(),
            [ObjectCreated {
                bucket: "b".into(),
                key: "files/acme/plant/a+b cé".into(),
                size: 12
            }]
        );
    }

    #[test]
    fn the_test_event_reports_nothing_and_other_bodies_are_refused() {
        let test = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-12-02T00:00:00Z","Bucket":"b","RequestId":"r","HostId":"h"}"#;
        assert_eq!(parse_s3_event(test).unwrap(), []);
        assert!(parse_s3_event("[]")
            .unwrap_err()
            .contains("not an S3 event"));
        let bad = r#"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"a%2","size":1}}}]}"#;
        assert!(parse_s3_event(bad).unwrap_err().contains("two hex digits"));
        let not_utf8 = r#"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"%FF","size":1}}}]}"#;
        assert!(parse_s3_event(not_utf8).unwrap_err().contains("UTF-8"));
    }
}
