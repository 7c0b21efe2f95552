//! The session's pipes out of bash, read on the calling thread: what blocks
//! print (with the driver's status frames in it) and the shell state snapshots.

use std::io;
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};
use rustix::io::{Errno, read};

/// Bytes taken from a pipe in one read.
const CHUNK: usize = 256 * 1024;
/// What a pipe out of bash holds before bash waits: fewer wake-ups when a
/// block prints a lot. A larger size than the system allows is not an error.
const PIPE_SIZE: usize = 1024 * 1024;

/// Where `needle` first occurs in `haystack`.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

/// A searcher for one frame tag, built once.
pub struct Tag {
    finder: memchr::memmem::Finder<'static>,
}

impl Tag {
    pub fn new(tag: &[u8]) -> Tag {
        Tag {
            finder: memchr::memmem::Finder::new(tag).into_owned(),
        }
    }

    pub fn bytes(&self) -> &[u8] {
        self.finder.needle()
    }

    /// Where the tag first occurs in `haystack`.
    pub fn find(&self, haystack: &[u8]) -> Option<usize> {
        self.finder.find(haystack)
    }

    /// How many bytes at the end of `haystack` could be the start of the tag
    /// (and must wait for what comes next).
    pub fn held(&self, haystack: &[u8]) -> usize {
        let tag = self.bytes();
        let longest = (tag.len() - 1).min(haystack.len());
        // Only a tail that starts with the tag's first byte can be one.
        let from = haystack.len() - longest;
        haystack[from..]
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == tag[0])
            .map(|(i, _)| from + i)
            .find(|&at| tag.starts_with(&haystack[at..]))
            .map_or(0, |at| haystack.len() - at)
    }
}

/// What waiting on the pipes found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    /// Something came.
    Data,
    /// Nothing came in time.
    Idle,
    /// The output pipe closed: the shell and everything it started are gone.
    Closed,
}

/// The two pipes, non-blocking, and what was read from them.
pub struct Pipes {
    output: OwnedFd,
    state: OwnedFd,
    output_open: bool,
    state_open: bool,
    /// The last look at the snapshot pipe found something.
    state_busy: bool,
    /// Output read and not yet handed on.
    pub pending: Vec<u8>,
    /// The snapshot being written after the block that runs now.
    pub snapshot: Vec<u8>,
    buf: Vec<u8>,
    /// How long after a block was sent the output pipe is looked at again
    /// and again before waiting on it (zero: never).
    spin: Duration,
    /// When the last block was sent.
    sent: Instant,
}

impl Pipes {
    /// Reads `output` (a pipe or a terminal) and `state` (a pipe); `spin`
    /// is how long to keep looking before waiting (see `wait`).
    pub fn new(output: OwnedFd, state: OwnedFd, spin: Duration) -> io::Result<Pipes> {
        for fd in [&output, &state] {
            let flags = fcntl_getfl(fd)?;
            fcntl_setfl(fd, flags | OFlags::NONBLOCK)?;
            let _ = rustix::pipe::fcntl_setpipe_size(fd, PIPE_SIZE);
        }
        Ok(Pipes {
            output,
            state,
            output_open: true,
            state_open: true,
            state_busy: false,
            pending: Vec::new(),
            snapshot: Vec::new(),
            buf: vec![0; CHUNK],
            spin,
            sent: Instant::now(),
        })
    }

    /// A block was just sent: its output and status are near.
    pub fn sent(&mut self) {
        self.sent = Instant::now();
    }

    /// Waits at most `wait` for output, then takes what came.
    ///
    /// The snapshot pipe is not waited on: the shell writes a snapshot line
    /// by line, and waking for each line would cost more than the rest of a
    /// block. It holds a whole snapshot but for a huge one; when output is
    /// quiet, what it holds is taken, and while that finds more (the shell
    /// waits to write the rest), the next wait is short.
    ///
    /// Within `spin` of a block sent, the pipe is looked at again and again
    /// first, without sleeping: a short block's output and status come
    /// within a fraction of a millisecond, and being woken for them costs
    /// more than the looking on a machine whose idle processors sleep (a
    /// virtual machine's most of all). After that the pipe is waited on as
    /// before, so the looking costs at most `spin` of processor time a
    /// block, however the block prints.
    pub fn wait(&mut self, wait: Duration) -> Waited {
        if !self.output_open {
            return Waited::Closed;
        }
        let until = self.sent + self.spin;
        while Instant::now() < until {
            if self.read_output() > 0 || !self.output_open {
                return self.came();
            }
            std::hint::spin_loop();
        }
        let wait = if self.state_busy {
            wait.min(Duration::from_millis(1))
        } else {
            wait
        };
        let mut fds = [PollFd::new(&self.output, PollFlags::IN)];
        let timeout = Timespec::try_from(wait).unwrap_or(Timespec {
            tv_sec: 0,
            tv_nsec: 100_000_000,
        });
        let ready = matches!(poll(&mut fds, Some(&timeout)), Ok(n) if n > 0);
        if !ready {
            let before = self.snapshot.len();
            self.drain_state();
            self.state_busy = self.snapshot.len() > before;
            return Waited::Idle;
        }
        self.read_output();
        self.came()
    }

    /// Something came from the output pipe (or it closed).
    fn came(&self) -> Waited {
        if self.output_open {
            Waited::Data
        } else {
            Waited::Closed
        }
    }

    /// Takes what the output pipe holds now, without waiting; one read of
    /// at most a chunk, so that it is handed on before the next.
    pub fn read_output(&mut self) -> usize {
        match read(&self.output, &mut self.buf[..]) {
            Ok(0) => {
                self.output_open = false;
                0
            }
            Ok(n) => {
                self.pending.extend_from_slice(&self.buf[..n]);
                n
            }
            Err(Errno::AGAIN | Errno::INTR) => 0,
            // A terminal whose other side closed says EIO.
            Err(_) => {
                self.output_open = false;
                0
            }
        }
    }

    /// Takes all the snapshot pipe holds now.
    pub fn drain_state(&mut self) {
        while self.state_open {
            match read(&self.state, &mut self.buf[..]) {
                Ok(0) => self.state_open = false,
                Ok(n) => self.snapshot.extend_from_slice(&self.buf[..n]),
                Err(Errno::INTR) => {}
                Err(Errno::AGAIN) => break,
                Err(_) => self.state_open = false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::os::fd::OwnedFd;
    use std::time::Duration;

    use super::{Pipes, Tag, Waited};

    fn pipes(spin: Duration) -> (Pipes, std::io::PipeWriter) {
        let (output, writer) = std::io::pipe().unwrap();
        let (state, _) = std::io::pipe().unwrap();
        let pipes = Pipes::new(OwnedFd::from(output), OwnedFd::from(state), spin).unwrap();
        (pipes, writer)
    }

    #[test]
    fn output_that_comes_soon_after_a_block_is_sent_is_looked_for_not_waited_on() {
        // Looking for as long as a second, waiting a millisecond at most: the
        // output written a little later is found by the looking.
        let (mut pipes, mut writer) = pipes(Duration::from_secs(1));
        pipes.sent();
        let late = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            writer.write_all(b"late").unwrap();
            writer
        });
        assert_eq!(pipes.wait(Duration::from_millis(1)), Waited::Data);
        assert_eq!(pipes.pending, b"late");
        drop(late.join());
    }

    #[test]
    fn without_looking_or_once_the_looking_is_over_the_pipe_is_waited_on() {
        let (mut never, _writer) = pipes(Duration::ZERO);
        never.sent();
        assert_eq!(never.wait(Duration::from_millis(1)), Waited::Idle);
        // Looking for 20 ms, and nothing comes: the looking ends, and so do
        // the waits after it.
        let (mut briefly, _writer) = pipes(Duration::from_millis(20));
        briefly.sent();
        assert_eq!(briefly.wait(Duration::from_millis(1)), Waited::Idle);
        assert_eq!(briefly.wait(Duration::from_millis(1)), Waited::Idle);
    }

    #[test]
    fn only_a_tail_that_may_begin_the_tag_is_held() {
        let tag = Tag::new(b"\x1eRS12:");
        assert_eq!(tag.held(b"abc"), 0);
        assert_eq!(tag.held(b"abc\x1e"), 1);
        assert_eq!(tag.held(b"abc\x1eRS1"), 4);
        assert_eq!(tag.held(b"abc\x1eRX"), 0);
        assert_eq!(tag.held(b"\x1e\x1eRS"), 3);
        assert_eq!(tag.held(b""), 0);
        assert_eq!(tag.find(b"x\x1eRS12:0"), Some(1));
    }
}
