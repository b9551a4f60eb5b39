//! Downloads: a short-lived signed GET, with the file's own name in the answer's
//! `Content-Disposition` so the browser saves it as the user named it, not by its key.

use crate::domain::record::Millis;

/// How long a download URL may start: long enough to click, short enough that a link
/// pasted somewhere stops working soon.
pub const DOWNLOAD_VALID_MILLIS: i64 = 5 * Millis::MINUTE;

/// `attachment` with `name` for every browser: an ASCII fallback (`filename`, with
/// anything else as `_`) and the exact name in UTF-8 (`filename*`, RFC 6266 and 8187).
pub fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() || c == ' ') && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::with_capacity(name.len() * 3);
    for byte in name.bytes() {
        // RFC 8187's attr-char: what may stand unencoded in `filename*`.
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}
