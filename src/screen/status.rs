//! The status line while a block runs (`[12/40] Deploy › Migrate  ⠹ 0:42`):
//! redrawn in place on a terminal, a plain "still running" line now and then
//! elsewhere. It never shares the screen with the block's own writing.

use std::io::{IsTerminal as _, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Verbosity, verbosity};

/// How long a block must have been quiet before the status line shows: a
/// block that prints steadily shows its own progress, and a quick one
/// never makes the line flicker.
const QUIET_BEFORE_SHOWN: Duration = Duration::from_secs(1);

/// How often a "still running" line is printed where nothing is redrawn,
/// unless `RUNSHEET_STILL_RUNNING` gives another number of seconds.
const STILL_RUNNING_EVERY: Duration = Duration::from_secs(30);

/// The status of one block while it runs. Everything the block prints goes
/// through `write`, which takes the line away first.
pub struct StatusLine {
    shared: Arc<Mutex<Shown>>,
    ended: bool,
}

/// How often the status of the block that runs now is looked at.
const TICK: Duration = Duration::from_millis(100);

/// The status the ticker looks at: the block that runs now, if any. The
/// ticker holds this lock while it ticks, so that once a status has ended
/// (taken out of here), nothing of it is drawn any more.
static CURRENT: Mutex<Option<Arc<Mutex<Shown>>>> = Mutex::new(None);

/// The one thread that ticks the status, started with the first block and
/// parked between blocks: a thread started and joined for every block cost
/// more than a short block itself. `None` when it could not be started.
static TICKER: OnceLock<Option<Thread>> = OnceLock::new();

/// The ticker sleeps until woken: no block runs.
static IDLE: AtomicBool = AtomicBool::new(false);

fn ticker() -> Option<&'static Thread> {
    TICKER
        .get_or_init(|| {
            std::thread::Builder::new()
                .name("status".into())
                .spawn(|| {
                    loop {
                        // Said before looking, so that a block started
                        // in between wakes it.
                        IDLE.store(true, Ordering::SeqCst);
                        if current().is_some() {
                            IDLE.store(false, Ordering::SeqCst);
                            std::thread::park_timeout(TICK);
                        } else {
                            std::thread::park();
                        }
                        if let Some(shown) = current().as_ref() {
                            lock(shown).tick();
                        }
                    }
                })
                .ok()
                .map(|handle| handle.thread().clone())
        })
        .as_ref()
}

fn current() -> MutexGuard<'static, Option<Arc<Mutex<Shown>>>> {
    CURRENT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How the status is shown.
enum Way {
    /// Redrawn in place on the terminal standard error is.
    Redrawn(Option<ProgressBar>),
    /// A plain line every so often (standard error is a pipe or a file).
    Plain { every: Duration, next: Duration },
    /// Not at all (`-q`).
    Off,
}

struct Shown {
    way: Way,
    label: String,
    started: Instant,
    last_output: Instant,
    /// The block's output so far ends a line (or there is none): a line of
    /// our own may go below it without cutting into what it writes.
    at_line_start: bool,
}

impl StatusLine {
    /// Starts the status of a block described by `label`
    /// (`[12/40] Deploy › Migrate`).
    pub fn start(label: String) -> StatusLine {
        let way = if verbosity() == Verbosity::Quiet {
            Way::Off
        } else if std::io::stderr().is_terminal() {
            Way::Redrawn(None)
        } else {
            let every = still_running_every();
            Way::Plain { every, next: every }
        };
        let off = matches!(way, Way::Off);
        let now = Instant::now();
        let shared = Arc::new(Mutex::new(Shown {
            way,
            label,
            started: now,
            last_output: now,
            at_line_start: true,
        }));
        if !off && let Some(thread) = ticker() {
            *current() = Some(shared.clone());
            // Blocks that follow each other closely find it ticking: no wake-up.
            if IDLE.swap(false, Ordering::SeqCst) {
                thread.unpark();
            }
        }
        StatusLine {
            shared,
            ended: false,
        }
    }

    /// Writes `bytes` the block printed with `write` (to standard output),
    /// the status line taken off the screen first so that the two never mix.
    pub fn write(&self, bytes: &[u8], write: impl FnOnce(&[u8])) {
        if bytes.is_empty() {
            return;
        }
        let mut shown = lock(&self.shared);
        shown.hide();
        write(bytes);
        shown.last_output = Instant::now();
        shown.at_line_start = bytes.ends_with(b"\n");
    }

    /// Ends the status: the line is taken off the screen.
    pub fn finish(mut self) {
        self.end();
    }

    fn end(&mut self) {
        if self.ended {
            return;
        }
        self.ended = true;
        {
            let mut current = current();
            if current
                .as_ref()
                .is_some_and(|c| Arc::ptr_eq(c, &self.shared))
            {
                *current = None;
            }
        }
        lock(&self.shared).hide();
    }
}

impl Drop for StatusLine {
    fn drop(&mut self) {
        self.end();
    }
}

impl Shown {
    fn tick(&mut self) {
        let elapsed = self.started.elapsed();
        let may_show = self.at_line_start && self.last_output.elapsed() >= QUIET_BEFORE_SHOWN;
        let label = &self.label;
        match &mut self.way {
            Way::Off => {}
            Way::Redrawn(bar) => {
                if !may_show || !keyboard_is_free() {
                    if let Some(bar) = bar.take() {
                        bar.finish_and_clear();
                    }
                    return;
                }
                let bar = bar.get_or_insert_with(|| new_bar(label));
                bar.set_prefix(clock(elapsed));
                bar.tick();
            }
            Way::Plain { every, next } => {
                if elapsed >= *next && self.at_line_start {
                    // Standard error may be a terminal gone: nothing to say then.
                    let _ = writeln!(
                        std::io::stderr(),
                        "still running: {label} · {}",
                        clock(elapsed)
                    );
                    while *next <= elapsed {
                        *next += *every;
                    }
                }
            }
        }
    }

    fn hide(&mut self) {
        if let Way::Redrawn(bar) = &mut self.way
            && let Some(bar) = bar.take()
        {
            bar.finish_and_clear();
            let _ = std::io::stderr().flush();
        }
    }
}

fn lock(shared: &Mutex<Shown>) -> MutexGuard<'_, Shown> {
    // A panic while drawing leaves nothing half-done that matters here.
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A spinner on standard error with `label` before it, cut to the
/// terminal's width so that it stays one line (one line is all it clears).
fn new_bar(label: &str) -> ProgressBar {
    let width = console::Term::stderr().size().1 as usize;
    let room = width.saturating_sub(12).max(10);
    let label = console::truncate_str(label, room, "…").into_owned();
    let style = ProgressStyle::with_template("{msg}  {spinner} {prefix}")
        .expect("a fixed template that parses")
        .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ");
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(style);
    bar.set_message(label);
    bar
}

/// Whether the terminal is as a shell leaves it (echo on, line by line):
/// a block reading a password (`sudo`, `ssh`) or running a full-screen
/// program has it otherwise, and writes to it directly, where a status
/// line would land in its prompt.
fn keyboard_is_free() -> bool {
    use rustix::termios::{LocalModes, tcgetattr};
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return true;
    }
    tcgetattr(&stdin).is_ok_and(|t| {
        t.local_modes
            .contains(LocalModes::ECHO | LocalModes::ICANON)
    })
}

fn still_running_every() -> Duration {
    std::env::var("RUNSHEET_STILL_RUNNING")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .filter(|&s| s > 0)
        .map(Duration::from_secs)
        .unwrap_or(if verbosity() == Verbosity::Verbose {
            STILL_RUNNING_EVERY / 3
        } else {
            STILL_RUNNING_EVERY
        })
}

/// `0:42`, `12:03`, `1:02:03`.
pub fn clock(elapsed: Duration) -> String {
    let s = elapsed.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::clock;
    use std::time::Duration;

    #[test]
    fn the_clock_reads_minutes_and_seconds() {
        assert_eq!(clock(Duration::from_secs(42)), "0:42");
        assert_eq!(clock(Duration::from_secs(723)), "12:03");
        assert_eq!(clock(Duration::from_secs(3723)), "1:02:03");
    }
}
