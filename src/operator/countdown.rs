//! The countdown of a step done by hand that takes time ("Monitor for 5
//! minutes"): the time left, updated in place, while the operator may finish
//! early or ask for more.

use std::io::BufRead as _;
use std::time::{Duration, Instant};

use console::Term;
use rustix::event::{PollFd, PollFlags, Timespec, poll};

use crate::error::{Error, Result};

/// How often the time left is redrawn.
const TICK: Duration = Duration::from_secs(1);

/// `04:59`, or `1:04:59` past an hour.
fn clock(left: Duration) -> String {
    let s = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

/// What a line typed during the countdown asks for.
enum Typed {
    /// Enter, `f` or `d`: done waiting.
    Finish,
    /// `+`, `+10` (minutes), `+30s`: wait longer.
    Extend(Duration),
    /// Anything else: ignored, with a word on what works.
    Unknown,
}

fn typed(line: &str, wait: Duration) -> Typed {
    let t = line.trim().to_ascii_lowercase();
    if t.is_empty() || t == "f" || t == "d" || t == "finish" || t == "done" {
        return Typed::Finish;
    }
    let Some(more) = t.strip_prefix('+') else {
        return Typed::Unknown;
    };
    let more = more.trim();
    if more.is_empty() {
        return Typed::Extend(wait);
    }
    let text = if more.bytes().all(|b| b.is_ascii_digit()) {
        format!("{more}m")
    } else {
        more.to_string()
    };
    crate::doc::attrs::duration(&text).map_or(Typed::Unknown, Typed::Extend)
}

/// A line typed on standard input within `timeout`, if one was.
fn line_within(timeout: Duration) -> Result<Option<String>> {
    let stdin = std::io::stdin();
    let mut fds = [PollFd::new(&stdin, PollFlags::IN)];
    let timeout = Timespec {
        tv_sec: i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: i64::from(timeout.subsec_nanos()),
    };
    match poll(&mut fds, Some(&timeout)) {
        Ok(0) => return Ok(None),
        Ok(_) => {}
        // A signal: the caller looks at the clock and at the signal flags.
        Err(e) if e == rustix::io::Errno::INTR => return Ok(None),
        // The terminal is gone: as a hangup.
        Err(_) => return Err(Error::Interrupted),
    }
    let mut line = String::new();
    match stdin.lock().read_line(&mut line) {
        Ok(0) => Err(Error::Interrupted),
        Ok(_) => Ok(Some(line)),
        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(None),
        // End of input, or a read error (the terminal hung up): nobody can
        // type any more; stop waiting, as a hangup does.
        Err(_) => Err(Error::Interrupted),
    }
}

/// Counts `wait` down on `term`; returns how long the operator waited.
pub fn count_down(term: &Term, wait: Duration) -> Result<Duration> {
    let start = Instant::now();
    let mut deadline = start + wait;
    let _ = term.write_line(&format!(
        "  This takes {}. Enter (or f) finishes early; +, +10 or +30s waits longer.",
        clock(wait)
    ));
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        let left = deadline - now;
        let _ = term.clear_line();
        let _ = term.write_str(&format!("  ⏳ {} left ", clock(left)));
        match line_within(left.min(TICK))? {
            None => {}
            Some(line) => match typed(&line, wait) {
                Typed::Finish => break,
                Typed::Extend(more) => {
                    deadline += more;
                    let _ = term.write_line(&format!("  waiting {} more", clock(more)));
                }
                Typed::Unknown => {
                    let _ = term.write_line("  Enter finishes early; +, +10 or +30s waits longer");
                }
            },
        }
    }
    let waited = start.elapsed();
    let _ = term.clear_line();
    let _ = term.write_line(&format!("  waited {}", clock(waited)));
    Ok(waited)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_and_typed_lines() {
        assert_eq!(clock(Duration::from_secs(299)), "04:59");
        assert_eq!(clock(Duration::from_millis(59_200)), "01:00");
        assert_eq!(clock(Duration::from_secs(3_725)), "1:02:05");
        assert!(matches!(typed("\n", Duration::ZERO), Typed::Finish));
        assert!(matches!(typed("f\n", Duration::ZERO), Typed::Finish));
        let wait = Duration::from_secs(300);
        assert!(matches!(typed("+", wait), Typed::Extend(d) if d == wait));
        assert!(matches!(typed("+10", wait), Typed::Extend(d) if d.as_secs() == 600));
        assert!(matches!(typed("+30s", wait), Typed::Extend(d) if d.as_secs() == 30));
        assert!(matches!(typed("what", wait), Typed::Unknown));
    }
}
