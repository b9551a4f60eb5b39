//! Where use cases get randomness: a source the caller brings, as they bring the time.
//! The functions bring the operating system's generator ([`ThreadRandom`]); a test can
//! bring a fixed sequence.

/// A source of random bytes, which must be unpredictable: session IDs, codes and secrets
/// are drawn from it.
pub trait Random {
    /// Fills `bytes` with random bytes.
    fn fill(&mut self, bytes: &mut [u8]);

    /// `N` random bytes.
    fn bytes<const N: usize>(&mut self) -> [u8; N]
    where
        Self: Sized,
    {
        let mut bytes = [0; N];
        self.fill(&mut bytes);
        bytes
    }

    fn u128(&mut self) -> u128
    where
        Self: Sized,
    {
        u128::from_le_bytes(self.bytes())
    }

    fn u64(&mut self) -> u64
    where
        Self: Sized,
    {
        u64::from_le_bytes(self.bytes())
    }

    fn u32(&mut self) -> u32
    where
        Self: Sized,
    {
        u32::from_le_bytes(self.bytes())
    }

    /// A number below `n` (which must be above 0), each as likely: draws that would make
    /// the small numbers likelier are drawn again.
    fn below(&mut self, n: u32) -> u32
    where
        Self: Sized,
    {
        assert!(n > 0, "a number below 0");
        let fair = u32::MAX - u32::MAX % n;
        loop {
            let drawn = self.u32();
            if drawn < fair {
                return drawn % n;
            }
        }
    }
}

/// The thread's generator of the `rand` crate: a CSPRNG seeded from the operating system.
#[cfg(feature = "aws")]
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadRandom;

#[cfg(feature = "aws")]
impl Random for ThreadRandom {
    fn fill(&mut self, bytes: &mut [u8]) {
        rand::RngCore::fill_bytes(&mut rand::rng(), bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts up from a start, byte by byte.
    struct Counting(u8);

    impl Random for Counting {
        fn fill(&mut self, bytes: &mut [u8]) {
            for byte in bytes {
                *byte = self.0;
                self.0 = self.0.wrapping_add(1);
            }
        }
    }

    #[test]
    fn numbers_below_a_bound_stay_below_it() {
        let mut random = Counting(0);
        for n in [1, 2, 7, 1_000_000] {
            for _ in 0..100 {
                assert!(random.below(n) < n);
            }
        }
    }

    #[test]
    fn draws_that_would_favour_small_numbers_are_drawn_again() {
        // 0xFFFF_FFFF is past the last whole multiple of 10: it is drawn again.
        struct Sequence(Vec<u32>);
        impl Random for Sequence {
            fn fill(&mut self, bytes: &mut [u8]) {
                bytes.copy_from_slice(&self.0.remove(0).to_le_bytes());
            }
        }
        let mut random = Sequence(vec![u32::MAX, 13]);
        assert_eq!(random.below(10), 3);
    }
}
