//! A stream of bits, most significant first, and the prefix code a chunk writes its
//! numbers in: a small number takes few bits, any `u64` fits.

use crate::domain::codec::CodecError;

/// Payload bits of each class of the prefix code. Class `k` is written as `k` one-bits,
/// a zero-bit and then the payload: `0` takes one bit, below 16 six, below 128 ten, and
/// so on up to any `u64` in 71. Seven one-bits with no zero are the escape.
const CLASS_BITS: [u32; 7] = [0, 4, 7, 10, 16, 32, 64];
/// A code of [`CLASS_BITS`]`.len()` one-bits: no number, an escape to something else.
pub(super) const ESCAPE_CLASS: u32 = CLASS_BITS.len() as u32;

#[derive(Default)]
pub(super) struct BitWriter {
    bytes: Vec<u8>,
    current: u8,
    used: u32,
}

impl BitWriter {
    /// The low `count` bits of `value` (`count` at most 64).
    pub(super) fn bits(&mut self, value: u64, count: u32) {
        let mut left = count;
        while left > 0 {
            let room = 8 - self.used;
            let take = room.min(left);
            let piece = (value >> (left - take)) & ((1u64 << take) - 1);
            self.current |= (piece as u8) << (room - take);
            self.used += take;
            left -= take;
            if self.used == 8 {
                self.bytes.push(self.current);
                self.current = 0;
                self.used = 0;
            }
        }
    }

    pub(super) fn bit(&mut self, bit: bool) {
        self.bits(u64::from(bit), 1);
    }

    /// `value` in the smallest class of the prefix code that holds it.
    pub(super) fn number(&mut self, value: u64) {
        let class = CLASS_BITS
            .iter()
            .position(|bits| *bits == 64 || value < 1u64 << bits)
            .expect("the last class holds any u64") as u32;
        self.class(class);
        self.bits(value, CLASS_BITS[class as usize]);
    }

    /// The escape: read back as `None` by [`BitReader::number_or_escape`].
    pub(super) fn escape(&mut self) {
        self.class(ESCAPE_CLASS);
    }

    fn class(&mut self, class: u32) {
        // Ones are written one at a time: `class` is at most 7.
        for _ in 0..class {
            self.bit(true);
        }
        if class < ESCAPE_CLASS {
            self.bit(false);
        }
    }

    /// The bytes, the last one padded with zero-bits.
    pub(super) fn finish(mut self) -> Vec<u8> {
        if self.used > 0 {
            self.bytes.push(self.current);
        }
        self.bytes
    }
}

pub(super) struct BitReader<'a> {
    bytes: &'a [u8],
    /// The next bit to read, counted from the first byte's most significant bit.
    position: usize,
}

impl<'a> BitReader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        BitReader { bytes, position: 0 }
    }

    pub(super) fn bits(&mut self, count: u32) -> Result<u64, CodecError> {
        let mut value = 0u64;
        let mut left = count;
        while left > 0 {
            let byte = *self
                .bytes
                .get(self.position / 8)
                .ok_or(CodecError("truncated"))?;
            let offset = (self.position % 8) as u32;
            let room = 8 - offset;
            let take = room.min(left);
            let piece = (u64::from(byte) >> (room - take)) & ((1u64 << take) - 1);
            value = value << take | piece;
            self.position += take as usize;
            left -= take;
        }
        Ok(value)
    }

    pub(super) fn bit(&mut self) -> Result<bool, CodecError> {
        Ok(self.bits(1)? == 1)
    }

    pub(super) fn number(&mut self) -> Result<u64, CodecError> {
        self.number_or_escape()?
            .ok_or(CodecError("an escape where a number belongs"))
    }

    /// A number of the prefix code, or `None` for the escape.
    pub(super) fn number_or_escape(&mut self) -> Result<Option<u64>, CodecError> {
        let mut class = 0;
        while class < ESCAPE_CLASS && self.bit()? {
            class += 1;
        }
        match CLASS_BITS.get(class as usize) {
            Some(bits) => self.bits(*bits).map(Some),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn small_numbers_take_few_bits() {
        for (value, bits) in [
            (0, 1),
            (15, 6),
            (16, 10),
            (127, 10),
            (1_000, 14),
            (u64::MAX, 71),
        ] {
            let mut writer = BitWriter::default();
            writer.number(value);
            assert_eq!(
                writer.bytes.len() * 8 + writer.used as usize,
                bits,
                "{value}"
            );
        }
    }

    proptest! {
        #[test]
        fn what_is_written_reads_back(
            items in prop::collection::vec((any::<u64>(), 0u32..=64, 0u8..3), 0..200),
        ) {
            let mut writer = BitWriter::default();
            for (value, count, how) in &items {
                match how {
                    0 => writer.bits(*value, *count),
                    1 => writer.number(*value),
                    _ => writer.escape(),
                }
            }
            let bytes = writer.finish();
            let mut reader = BitReader::new(&bytes);
            for (value, count, how) in &items {
                match how {
                    0 => {
                        let mask = if *count == 64 { u64::MAX } else { (1u64 << count) - 1 };
                        prop_assert_eq!(reader.bits(*count).unwrap(), value & mask);
                    }
                    1 => prop_assert_eq!(reader.number_or_escape().unwrap(), Some(*value)),
                    _ => prop_assert_eq!(reader.number_or_escape().unwrap(), None),
                }
            }
        }
    }
}
