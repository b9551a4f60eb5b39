//! File names inside an export's ZIP, from names people give: whatever they typed, the
//! name unpacks as one file in the folder it is unpacked to, on Windows, macOS and Linux.

use super::error::ExportError;
use crate::domain::text::invisible;

/// A base name is cut to this many bytes, so that with `-part123.csv` it stays far
/// within the 255 bytes file systems allow.
pub const MAX_BASE_BYTES: usize = 100;

/// Names Windows keeps for devices, with any extension: `CON.csv` cannot be a file.
const WINDOWS_DEVICES: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// A file's base name (without `.csv`) made safe: path separators, characters Windows
/// refuses (`: * ? " < > |`), control characters and invisible ones that reorder text
/// become `_`; runs of dots become one, and dots and spaces at either end go (a leading
/// dot hides a file, Windows drops trailing ones), so no name is `..` or climbs out of
/// the folder. A `.csv` the person typed is dropped, since the export adds it. A name
/// with nothing left is refused.
pub fn safe_base_name(given: &str) -> Result<String, ExportError> {
    let given_base = strip_csv(given.trim());
    let mut name = String::with_capacity(given_base.len());
    for c in given_base.chars() {
        let unsafe_char = matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
            || c.is_control()
            || invisible(c);
        if c == '.' && name.ends_with('.') {
            continue;
        }
        name.push(if unsafe_char { '_' } else { c });
    }
    let mut name = trim_ends(&name).to_owned();
    if name.len() > MAX_BASE_BYTES {
        let cut = (0..=MAX_BASE_BYTES)
            .rev()
            .find(|&i| name.is_char_boundary(i))
            .expect("0 is a char boundary");
        name.truncate(cut);
        name = trim_ends(&name).to_owned();
    }
    if name.is_empty() {
        return Err(ExportError::BadName(given.to_owned()));
    }
    let stem = name.split('.').next().unwrap_or_default();
    if WINDOWS_DEVICES
        .iter()
        .any(|device| device.eq_ignore_ascii_case(stem.trim_end()))
    {
        name.insert(0, '_');
    }
    Ok(name)
}

fn strip_csv(name: &str) -> &str {
    let cut = name.len().saturating_sub(4);
    match name.get(cut..) {
        Some(extension) if extension.eq_ignore_ascii_case(".csv") => &name[..cut],
        _ => name,
    }
}

fn trim_ends(name: &str) -> &str {
    name.trim_matches(|c: char| c == '.' || c.is_whitespace())
}
