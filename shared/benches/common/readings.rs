//! One logger's readings for the benchmarks, the same for every run.

use fieldcloud::domain::record::{Special, Value};

/// A level per channel (temperatures, voltages, currents), a daily cycle, a slow drift,
/// noise to a hundredth, and now and then a special value.
pub struct Readings {
    noise: u64,
}

impl Default for Readings {
    fn default() -> Self {
        Readings {
            noise: 0x2545_f491_4f6c_dd1d,
        }
    }
}

impl Readings {
    /// The values of the record `minute` minutes after the start, one per channel.
    pub fn row(&mut self, minute: usize, values: &mut [Option<Value>]) {
        let day = (minute % 1440) as f64 / 1440.0 * std::f64::consts::TAU;
        let drift = (minute as f64 / 525_600.0 * std::f64::consts::TAU).sin();
        for (c, value) in values.iter_mut().enumerate() {
            // xorshift: cheap, and the same numbers every run.
            self.noise ^= self.noise << 13;
            self.noise ^= self.noise >> 7;
            self.noise ^= self.noise << 17;
            let noise = (self.noise % 21) as f64 / 100.0 - 0.1;
            let level = 20.0 + 7.5 * c as f64;
            let reading = level + 3.0 * (day + c as f64).sin() + 2.0 * drift + noise;
            *value = Some(match (minute + 7_919 * c) % 20_011 {
                0 => Value::Special(Special::PlusOver),
                1 if c == 31 => Value::Special(Special::Burnout),
                _ => Value::Number((reading * 100.0).round() / 100.0),
            });
        }
    }
}
