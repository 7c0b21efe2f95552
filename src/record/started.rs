//! When an attempt started: the time it ended less how long it took.

/// `at` less `ms`, RFC 3339; `at` itself when it does not parse.
pub(super) fn started(at: &str, ms: u64) -> String {
    if let Some(same_day) = started_the_same_day(at, ms) {
        return same_day;
    }
    let Ok(end) = at.parse::<jiff::Timestamp>() else {
        return at.to_string();
    };
    let span = jiff::SignedDuration::from_millis(i64::try_from(ms).unwrap_or(i64::MAX));
    end.checked_sub(span).map_or_else(
        |_| at.to_string(),
        |t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

/// `started` without parsing a time, for the usual case: `at` written as
/// runsheet writes it (`2026-05-01T12:00:07Z`) and the step not reaching
/// back past the start of that day, so only the time of day changes.
fn started_the_same_day(at: &str, ms: u64) -> Option<String> {
    let b = at.as_bytes();
    let shape = b.len() == 20
        && b[19] == b'Z'
        && b[10] == b'T'
        && [4, 7].iter().all(|&i| b[i] == b'-')
        && [13, 16].iter().all(|&i| b[i] == b':')
        && [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
            .iter()
            .all(|&i| b[i].is_ascii_digit());
    if !shape {
        return None;
    }
    let two = |i: usize| u64::from((b[i] - b'0') * 10 + (b[i + 1] - b'0'));
    let year = two(0) * 100 + two(2);
    let (month, day, hour, minute, seconds) = (two(5), two(8), two(11), two(14), two(17));
    // A day the month has, and nothing out of range (a leap second, a
    // time that does not parse): else the general way decides.
    let valid = (1..=12).contains(&month)
        && (1..=days_in(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && seconds < 60;
    let end = ((hour * 60 + minute) * 60 + seconds) * 1000;
    // Whole seconds, rounded down as the formatter writes them.
    let start = valid.then(|| end.checked_sub(ms))?? / 1000;
    // Written without the formatter (once a step): two digits each.
    let mut out = String::with_capacity(at.len());
    out.push_str(&at[..11]);
    for (n, after) in [
        (start / 3600, ':'),
        (start / 60 % 60, ':'),
        (start % 60, 'Z'),
    ] {
        out.push(char::from(b'0' + (n / 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
        out.push(after);
    }
    Some(out)
}

/// The days of `month` (1 to 12) in `year`, by the Gregorian calendar.
fn days_in(year: u64, month: u64) -> u64 {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_the_same_day_is_the_one_the_clock_arithmetic_gives() {
        let general = |at: &str, ms: u64| {
            let end = at.parse::<jiff::Timestamp>().unwrap();
            let span = jiff::SignedDuration::from_millis(ms as i64);
            end.checked_sub(span)
                .unwrap()
                .strftime("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        };
        let mut fast = 0;
        for at in [
            "2026-05-01T12:00:07Z",
            "2026-05-01T00:00:00Z",
            "2026-12-28T23:59:59Z",
            "2024-02-28T08:30:41Z",
            // The last days of months, leap years or not.
            "2026-11-30T23:59:59Z",
            "2026-12-31T00:00:01Z",
            "2024-02-29T08:30:41Z",
            "2000-02-29T00:00:00Z",
            "2026-04-30T12:00:00Z",
        ] {
            for ms in [
                0, 1, 999, 1000, 1001, 6999, 7000, 7001, 41_000, 59_999, 60_000, 86_400_000,
                // Back into the minute, the hour and the day before.
                7_001, 67_000, 68_001, 1_841_000, 43_207_000, 43_207_001, 86_399_999,
            ] {
                if started_the_same_day(at, ms).is_some() {
                    fast += 1;
                }
                assert_eq!(started(at, ms), general(at, ms), "{at} - {ms} ms");
            }
        }
        assert!(fast > 40, "the fast way was taken {fast} times");
        // Not written as runsheet writes times, or out of range: as before.
        for at in [
            "2026-05-01T12:00:07+00:00",
            "2026-02-30T12:00:07Z",
            "2026-02-29T12:00:07Z",
            "1900-02-29T12:00:07Z",
            "2026-04-31T12:00:07Z",
            "2026-13-01T12:00:07Z",
            "soon",
            "2026-05-01T12:00:60Z",
        ] {
            assert_eq!(started_the_same_day(at, 5), None, "{at}");
        }
        assert_eq!(started("soon", 5), "soon");
    }
}
