//! Signals that ask runsheet to stop (SIGINT, SIGTERM, SIGHUP): turned into
//! flags the run loop reads, so it can stop the block and save first.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// What to do when SIGTERM or SIGHUP arrives while runsheet waits at a
/// prompt: set once by the binary, which decides how the process ends.
static AT_PROMPT_HOOK: OnceLock<fn()> = OnceLock::new();

/// Whether runsheet is waiting at a prompt: the transcript is saved then
/// (once `SAVES_PENDING` is none).
static AT_PROMPT: AtomicBool = AtomicBool::new(false);

/// Transcript saves asked for and not yet on disk: the transcript is saved
/// in the background while a prompt is shown, and a stop signal at the
/// prompt waits for it before the process ends.
static SAVES_PENDING: AtomicUsize = AtomicUsize::new(0);

/// How long a stop signal at a prompt waits for a save in hand, at most.
const SAVE_WAIT: Duration = Duration::from_secs(10);

/// A save of the transcript was asked for.
pub fn save_asked() {
    SAVES_PENDING.fetch_add(1, Ordering::SeqCst);
}

/// `n` saves asked for are done (on disk, or failed).
pub fn saves_done(n: usize) {
    SAVES_PENDING.fetch_sub(n, Ordering::SeqCst);
}

/// Says what the process does when a stop signal arrives at a prompt. A
/// prompt blocks in a read that the signal does not end, and the transcript
/// is saved as the prompt opens (waited for), so the binary may end the process.
pub fn on_stop_at_prompt(hook: fn()) {
    let _ = AT_PROMPT_HOOK.set(hook);
}

/// The flags a run reads.
#[derive(Clone, Default)]
pub struct Signals {
    /// Ctrl-C: stop the block in flight.
    pub interrupt: Arc<AtomicBool>,
    /// SIGTERM or SIGHUP: stop the block, save, end the run.
    pub terminate: Arc<AtomicBool>,
}

impl Signals {
    /// Installs handlers for SIGINT, SIGTERM and SIGHUP that set flags instead
    /// of killing runsheet, so it can save before it goes.
    pub fn install() -> Signals {
        let s = Signals::default();
        let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, s.interrupt.clone());
        let _ = signal_hook::flag::register(signal_hook::consts::SIGTERM, s.terminate.clone());
        let _ = signal_hook::flag::register(signal_hook::consts::SIGHUP, s.terminate.clone());
        if let Some(&hook) = AT_PROMPT_HOOK.get() {
            let terminate = s.terminate.clone();
            std::thread::spawn(move || {
                let mut asked: Option<Instant> = None;
                loop {
                    std::thread::sleep(Duration::from_millis(100));
                    if terminate.load(Ordering::SeqCst) && AT_PROMPT.load(Ordering::SeqCst) {
                        let since = *asked.get_or_insert_with(Instant::now);
                        // The save started when the prompt opened goes to disk first.
                        if SAVES_PENDING.load(Ordering::SeqCst) == 0 || since.elapsed() > SAVE_WAIT
                        {
                            hook();
                        }
                    }
                }
            });
        }
        s
    }

    /// Asked to end the run (SIGTERM, SIGHUP).
    pub fn terminating(&self) -> bool {
        self.terminate.load(Ordering::SeqCst)
    }
}

/// Marks the time a prompt is open.
pub struct Prompting;

impl Prompting {
    /// Marks a prompt as open until the returned guard drops.
    pub fn start() -> Prompting {
        AT_PROMPT.store(true, Ordering::SeqCst);
        Prompting
    }
}

impl Drop for Prompting {
    fn drop(&mut self) {
        AT_PROMPT.store(false, Ordering::SeqCst);
    }
}
