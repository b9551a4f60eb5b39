//! Fuzzes the chunk decoder: any bytes are either refused or read without a panic, and
//! what is read compresses again into a chunk that reads back to the very same records
//! (times, channels, numbers bit for bit, special values).

#![no_main]

use fieldcloud::domain::chunk::{decode_chunk, encode_chunk, ChunkRecord};
use libfuzzer_sys::fuzz_target;

fn same(a: &[ChunkRecord], b: &[ChunkRecord]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.same_bits(b))
}

fuzz_target!(|bytes: &[u8]| {
    if let Ok(records) = decode_chunk(bytes) {
        let again = decode_chunk(&encode_chunk(&records)).expect("a chunk we wrote reads back");
        assert!(same(&records, &again), "{records:?} came back as {again:?}");
    }
});
