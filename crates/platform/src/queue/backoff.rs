//! How long a failed task waits before its next attempt.

use std::time::Duration;

use rand::Rng;

/// The share of the delay added or removed at random, so tasks that failed together (an outage
/// of whatever they call) do not all come back in the same instant.
pub const JITTER: f64 = 0.2;

/// `min(base × 2^attempts, max) ± 20 %`, where `attempts` counts the runs so far (1 after the
/// first failure). With the default base of 1 s and cap of 1 h: ~2 s, 4 s, 8 s, … 1 h.
pub fn retry_delay(attempts: i32, base: Duration, max: Duration) -> Duration {
    // 2^31 s is past any cap; clamping the exponent keeps the float finite.
    let exp = attempts.clamp(0, 31);
    let nominal = (base.as_secs_f64() * 2f64.powi(exp)).min(max.as_secs_f64());
    let factor = 1.0 + rand::thread_rng().gen_range(-JITTER..=JITTER);
    Duration::from_secs_f64(nominal * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);
    const HOUR: Duration = Duration::from_secs(3600);

    fn within(d: Duration, nominal: f64) -> bool {
        let s = d.as_secs_f64();
        s >= nominal * (1.0 - JITTER) - 1e-9 && s <= nominal * (1.0 + JITTER) + 1e-9
    }

    #[test]
    fn doubles_per_attempt_within_jitter() {
        for attempts in 1..=11 {
            let nominal = 2f64.powi(attempts);
            for _ in 0..200 {
                let d = retry_delay(attempts, S, HOUR);
                assert!(within(d, nominal), "attempt {attempts}: {d:?} vs {nominal}");
            }
        }
    }

    #[test]
    fn capped_at_max_even_for_huge_attempt_counts() {
        for attempts in [12, 20, 31, 1000, i32::MAX] {
            let d = retry_delay(attempts, S, HOUR);
            assert!(within(d, 3600.0), "attempt {attempts}: {d:?}");
        }
    }

    #[test]
    fn jitter_spreads_the_delays() {
        let delays: Vec<Duration> = (0..50).map(|_| retry_delay(3, S, HOUR)).collect();
        let min = delays.iter().min().unwrap();
        let max = delays.iter().max().unwrap();
        assert!(*max - *min > Duration::from_millis(100), "{min:?}..{max:?}");
    }
}
