//! The retry schedule (`--webhook-retry-schedule`): how long an endpoint waits after each failed
//! attempt at the same event before trying again, and when it gives up. Pure parsing, no I/O.

use std::str::FromStr;
use std::time::Duration;

/// The default: retries over about two days, then the endpoint is marked `failing`.
pub const DEFAULT_SCHEDULE: &str = "10s,1m,5m,30m,2h,6h,12h,24h";

/// The longest single wait accepted: longer ones are more likely a typo than a plan.
const MAX_DELAY: Duration = Duration::from_secs(30 * 86_400);

/// Waits after the 1st, 2nd, … failed attempt at one event. After the last one the next failure
/// marks the endpoint `failing`, so an event is tried at most `len + 1` times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

impl RetrySchedule {
    /// The wait after `failed` consecutive failed attempts (1 after the first), or `None` when
    /// the schedule is exhausted.
    pub fn delay_after(&self, failed: u32) -> Option<Duration> {
        let index = usize::try_from(failed).ok()?.checked_sub(1)?;
        self.0.get(index).copied()
    }
}

impl Default for RetrySchedule {
    fn default() -> Self {
        // The constant is checked by a test; an empty schedule is the fallback that can't fail.
        DEFAULT_SCHEDULE
            .parse()
            .unwrap_or(RetrySchedule(Vec::new()))
    }
}

impl FromStr for RetrySchedule {
    type Err = String;

    /// Parses `10s,1m,5m`: comma-separated whole numbers, each with a unit `ms`, `s`, `m`, `h`
    /// or `d`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let delays = s
            .split(',')
            .map(|part| parse_delay(part.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RetrySchedule(delays))
    }
}

/// A delay such as `100ms`, `10s`, `5m`, `2h` or `1d` (at most 30 days).
pub fn parse_delay(part: &str) -> Result<Duration, String> {
    let digits = part
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(part.len());
    let (number, unit) = part.split_at(digits);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("\"{part}\" is not a delay such as 100ms, 10s, 5m, 2h or 1d"))?;
    let unit_ms: u64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => {
            return Err(format!(
                "\"{part}\" has no unit: write ms, s, m, h or d after the number"
            ));
        }
    };
    n.checked_mul(unit_ms)
        .map(Duration::from_millis)
        .filter(|d| *d <= MAX_DELAY)
        .ok_or_else(|| format!("\"{part}\" is longer than 30 days"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_parses_and_gives_up_after_eight_retries() {
        let schedule = RetrySchedule::default();
        assert_eq!(schedule.0.len(), 8);
        assert_eq!(schedule.delay_after(1), Some(Duration::from_secs(10)));
        assert_eq!(schedule.delay_after(8), Some(Duration::from_secs(86_400)));
        assert_eq!(schedule.delay_after(9), None);
        assert_eq!(schedule.delay_after(0), None);
    }

    #[test]
    fn every_unit_is_accepted() {
        let schedule: RetrySchedule = "100ms, 2s,3m,4h,1d,0s".parse().unwrap();
        assert_eq!(
            schedule.0,
            vec![
                Duration::from_millis(100),
                Duration::from_secs(2),
                Duration::from_secs(180),
                Duration::from_secs(4 * 3600),
                Duration::from_secs(86_400),
                Duration::ZERO,
            ]
        );
    }

    #[test]
    fn malformed_schedules_are_refused_with_the_offending_part() {
        for (bad, reason) in [
            ("", "an empty schedule"),
            ("10", "no unit"),
            ("10s,,1m", "an empty part"),
            ("1.5s", "a fraction"),
            ("-1s", "a sign"),
            ("10 s", "a space before the unit"),
            ("5w", "an unknown unit"),
            ("31d", "longer than 30 days"),
            ("99999999999999999999ms", "overflows"),
        ] {
            assert!(bad.parse::<RetrySchedule>().is_err(), "{reason}: {bad:?}");
        }
        let err = "10s,7x".parse::<RetrySchedule>().unwrap_err();
        assert!(err.contains("7x"), "{err}");
    }
}
