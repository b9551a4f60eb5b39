//! Uploads in parts, for files too large for one PUT: the cloud starts the upload, signs
//! each part's PUT for its exact length (so the parts together are exactly the size
//! handed out), and completes it from the parts' ETags the client collected.

use schemars::JsonSchema;
use serde::Deserialize;

/// Every part but the last is this long (S3 wants at least 5 MiB but for the last).
pub const PART_BYTES: u64 = 8 * 1024 * 1024;
/// The largest file: what the `files` function reads through for its SHA-256 well
/// within its 15 minutes (1,280 of our parts; S3 would take 10,000).
pub const MAX_UPLOAD_BYTES: u64 = 10 * 1024 * 1024 * 1024;
/// The largest completion body: every part of the largest file with its ETag (about 60
/// bytes a part), with room to spare.
pub const MAX_COMPLETION_BYTES: usize = 128 * 1024;
/// The most part URLs one request signs.
pub const MAX_PARTS_PER_REQUEST: usize = 100;
/// How long an upload in parts may take, start to completion.
pub const MULTIPART_VALID_MILLIS: i64 = 24 * 60 * 60 * 1000;

/// How many parts a file of `size` bytes goes in.
pub fn part_count(size: u64) -> u32 {
    u32::try_from(size.div_ceil(PART_BYTES)).unwrap_or(u32::MAX)
}

/// The length of part `number` (from 1) of a file of `size` bytes; none past its last.
pub fn part_bytes(size: u64, number: u32) -> Option<u64> {
    if number == 0 || number > part_count(size) {
        return None;
    }
    let start = u64::from(number - 1) * PART_BYTES;
    Some((size - start).min(PART_BYTES))
}

/// The parts a client asks URLs for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartsAsked {
    pub parts: Vec<u32>,
}

impl PartsAsked {
    pub fn check(&self, size: u64) -> Result<(), String> {
        if self.parts.is_empty() || self.parts.len() > MAX_PARTS_PER_REQUEST {
            return Err(format!(
                "`parts`: from 1 to {MAX_PARTS_PER_REQUEST} part numbers at a time"
            ));
        }
        let count = part_count(size);
        match self.parts.iter().find(|&&n| part_bytes(size, n).is_none()) {
            Some(n) => Err(format!(
                "`parts`: part {n} is not one of this upload's parts 1 to {count}"
            )),
            None => Ok(()),
        }
    }
}

/// A part as S3 acknowledged it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompletedPart {
    pub number: u32,
    /// The `ETag` header S3 answered the part's PUT with.
    pub etag: String,
}

/// Every part of an upload, to complete it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Completion {
    pub parts: Vec<CompletedPart>,
}

impl Completion {
    /// Each part once, in order, with an ETag as S3 gives them.
    pub fn check(&self, size: u64) -> Result<(), String> {
        let count = part_count(size);
        if self.parts.len() != count as usize {
            return Err(format!(
                "`parts`: this upload has {count} parts, {} were given",
                self.parts.len()
            ));
        }
        for (expected, part) in (1..).zip(&self.parts) {
            if part.number != expected {
                return Err(format!(
                    "`parts`: part {expected} expected in place {expected}, got part {}",
                    part.number
                ));
            }
            let etag = &part.etag;
            if etag.is_empty() || etag.len() > 128 || !etag.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(format!(
                    "`parts`: part {expected}'s `etag` is not one S3 gives"
                ));
            }
        }
        Ok(())
    }
}
