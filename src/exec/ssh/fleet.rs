//! The fleet: every host of the run, and a block run on many of them at once
//! (up to `--forks`, in batches under `serial=`), as Ansible's linear strategy
//! does: the block ends when it has ended on all of them.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime};

use super::FleetOptions;
use super::host::{Event, Host, safe_name};
use super::master::SshCommand;
use super::targets::{Pattern, Selection};
use crate::error::{Error, Result};
use crate::exec::capture::Capture;
use crate::exec::{Block, BlockEnd, HostEnd, LostCwd, Reach, Sink, TakenBack, Targets};

/// Unix socket paths longer than this do not fit (108 bytes on Linux, less elsewhere).
const SOCKET_PATH_MAX: usize = 100;

/// The hosts of a run.
pub struct Fleet {
    options: FleetOptions,
    /// The run's private directory: `hosts/<name>/` for each host.
    dir: PathBuf,
    nonce: String,
    hosts: Vec<Host>,
    /// Where control sockets go whose path in `dir` would be too long.
    spare: Option<tempfile::TempDir>,
    /// Each host's variables as its snapshots last had them.
    variables: RefCell<HashMap<PathBuf, (Stamp, Vars)>>,
    /// `hosts/` is there: an earlier part of the run made it, or a host of
    /// this one. Until then there are no host variables to look for.
    hosts_dir: bool,
    /// An earlier part of the run saved hosts' shell states, to take back.
    restoring: bool,
}

/// Length and time of change of a host's `base` and `state` snapshots.
type Stamp = [Option<(u64, Option<SystemTime>)>; 2];
type Vars = Vec<(String, String)>;
/// How connecting to a host ended: the directory its shell was in, when
/// that is gone, or why it was not reached.
type Connected = std::result::Result<Option<LostCwd>, String>;

/// What a worker reports about the host it runs a block on.
enum Report {
    Event(usize, Event),
    Done(usize, HostEnd),
}

impl Fleet {
    /// The fleet of a run keeping its state in `dir`. Control masters an
    /// earlier part of the run left (runsheet was killed) are ended first.
    pub fn new(options: FleetOptions, dir: PathBuf) -> Fleet {
        let hosts = std::fs::read_dir(dir.join("hosts"));
        let hosts_dir = hosts.is_ok();
        for host in hosts.into_iter().flatten().flatten() {
            let socket = host.path().join("ctl");
            if socket.exists() {
                super::master::exit_stale(&socket);
            }
        }
        let nonce = format!("{:016x}", rand_u64());
        Fleet {
            options,
            dir,
            nonce,
            hosts: Vec::new(),
            spare: None,
            variables: RefCell::default(),
            hosts_dir,
            restoring: hosts_dir,
        }
    }

    /// The hosts a block with `on` runs on (indices into `hosts`), in
    /// inventory order; `None` when it runs on this machine.
    fn select(&mut self, on: Option<&str>) -> Result<Option<Vec<usize>>> {
        let pattern = match on {
            Some(text) => Some(Pattern::parse(text).map_err(Error::usage)?),
            None => self.options.hosts.clone(),
        };
        let Some(pattern) = pattern else {
            return Ok(None);
        };
        let inventory = &self.options.inventory;
        let mut names = match pattern.select(inventory).map_err(Error::usage)? {
            Selection::Local => return Ok(None),
            Selection::Hosts(names) => names,
        };
        if let Some(limit) = &self.options.limit
            && let Selection::Hosts(allowed) = limit.select(inventory).map_err(Error::usage)?
        {
            names.retain(|n| allowed.contains(n));
        }
        Ok(Some(
            names.iter().map(|n| self.host(n)).collect::<Result<_>>()?,
        ))
    }

    /// The index of host `name`, known from now on.
    fn host(&mut self, name: &str) -> Result<usize> {
        if let Some(i) = self.hosts.iter().position(|h| h.name == name) {
            return Ok(i);
        }
        let spec = self
            .options
            .inventory
            .host(name)
            .cloned()
            .unwrap_or_else(|| super::HostSpec {
                name: name.to_string(),
                ..Default::default()
            });
        let dir = self.dir.join("hosts").join(safe_name(name));
        let mut socket = dir.join("ctl");
        if socket.as_os_str().len() > SOCKET_PATH_MAX {
            // Short: the spare directory's path is short, the name need not be.
            socket = self.spare()?.join(&crate::source::sha256(name)[..12]);
        }
        crate::fsutil::private_dir(&self.dir.join("hosts"))?;
        self.hosts_dir = true;
        let ssh = SshCommand::new(&spec, &self.options);
        self.hosts.push(Host::new(name, ssh, dir, socket));
        Ok(self.hosts.len() - 1)
    }

    /// A private directory of this run's under /tmp, for control sockets
    /// whose path in the state directory would be too long.
    fn spare(&mut self) -> Result<PathBuf> {
        if self.spare.is_none() {
            let spare = tempfile::Builder::new()
                .prefix("rs-ssh-")
                .tempdir_in("/tmp")
                .map_err(|source| Error::Write {
                    path: "/tmp".into(),
                    source,
                })?;
            self.spare = Some(spare);
        }
        Ok(self
            .spare
            .as_ref()
            .expect("made above")
            .path()
            .to_path_buf())
    }

    /// The hosts a block with `on` targets now; `None` when it runs on this machine.
    pub fn targets(&mut self, on: Option<&str>) -> Result<Option<Targets>> {
        Ok(self.select(on)?.map(|hosts| {
            let (left, run): (Vec<usize>, Vec<usize>) =
                hosts.iter().partition(|&&i| self.hosts[i].left.is_some());
            let names =
                |list: Vec<usize>| list.iter().map(|&i| self.hosts[i].name.clone()).collect();
            Targets {
                hosts: names(run),
                left: names(left),
            }
        }))
    }

    /// Connects to the hosts a block with `on` runs on (but `skip`) whose
    /// saved shell state was not taken back yet, up to `--forks` at once,
    /// and takes it back (see `Executor::take_back`). A host not reached
    /// is tried again when the block runs.
    pub fn take_back(
        &mut self,
        on: Option<&str>,
        skip: &[String],
        stop: &dyn Fn() -> bool,
    ) -> Result<TakenBack> {
        let mut back = TakenBack::default();
        if !self.restoring {
            return Ok(back);
        }
        let Some(targets) = self.select(on)? else {
            return Ok(back);
        };
        let due: Vec<usize> = targets
            .into_iter()
            .filter(|&i| {
                let h = &self.hosts[i];
                !h.taken_back
                    && !h.connected()
                    && !h.fresh
                    && h.left.is_none()
                    && !skip.contains(&h.name)
                    && h.dir.join("state").is_file()
            })
            .collect();
        if due.is_empty() {
            return Ok(back);
        }
        let mut picked: Vec<(usize, &mut Host)> = self
            .hosts
            .iter_mut()
            .enumerate()
            .filter_map(|(i, h)| due.iter().position(|&x| x == i).map(|pos| (pos, h)))
            .collect();
        picked.sort_by_key(|(pos, _)| *pos);
        let nonce = self.nonce.as_str();
        let halt = AtomicBool::new(false);
        for chunk in picked.chunks_mut(self.options.forks.max(1)) {
            let ends: Vec<(Vec<String>, Connected)> = std::thread::scope(|scope| {
                let halt = &halt;
                let workers: Vec<_> = chunk
                    .iter_mut()
                    .map(|(_, host)| {
                        scope.spawn(move || {
                            let mut said = Vec::new();
                            let name = host.name.clone();
                            let end = host.connect(nonce, halt, &mut |e| {
                                if let Event::Notice(text) = e {
                                    said.push(format!("[{name}] {text}"));
                                }
                            });
                            (said, end)
                        })
                    })
                    .collect();
                while !workers
                    .iter()
                    .all(std::thread::ScopedJoinHandle::is_finished)
                {
                    if stop() {
                        halt.store(true, Ordering::SeqCst);
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                workers
                    .into_iter()
                    .map(|w| {
                        w.join()
                            .unwrap_or_else(|_| (Vec::new(), Err("the worker ended".into())))
                    })
                    .collect()
            });
            for ((_, host), (said, end)) in chunk.iter().zip(ends) {
                back.said.extend(said);
                match end {
                    Ok(Some(lost)) => back.lost.push((host.name.clone(), lost)),
                    Ok(None) => {}
                    Err(message) => back.said.push(format!(
                        "[{}] not reached to take back its shell state ({message}); tried again \
                         when the block runs",
                        host.name
                    )),
                }
            }
        }
        Ok(back)
    }

    /// Whether a block with `on` runs on hosts.
    pub fn is_remote(&mut self, on: Option<&str>) -> Result<bool> {
        Ok(self.select(on)?.is_some())
    }

    /// Runs `block` on its hosts: those done already or left at an earlier
    /// step are reported, not run; the rest in batches (`serial=`), each
    /// batch on up to `--forks` hosts at once. The rollout stops when more
    /// hosts than `max_fail=` allows have failed, or a whole batch did.
    pub fn run(
        &mut self,
        block: &Block,
        stop: &dyn Fn() -> bool,
        sink: &mut dyn Sink,
    ) -> Result<BlockEnd> {
        let started = Instant::now();
        let targets = self.select(block.on)?.unwrap_or_default();
        let mut ends: Vec<Option<HostEnd>> = vec![None; targets.len()];
        let mut runnable: Vec<usize> = Vec::new();
        for (slot, &i) in targets.iter().enumerate() {
            let host = &mut self.hosts[i];
            if block.skip_hosts.contains(&host.name) {
                ends[slot] = Some(not_run(&host.name, Reach::Kept, None));
                continue;
            }
            match &host.left {
                // Run again (a retry): the hosts it failed on come back.
                Some((step, _)) if step == block.id => host.left = None,
                Some((_, why)) => {
                    ends[slot] = Some(not_run(&host.name, Reach::Left, Some(why.clone())));
                    continue;
                }
                None => {}
            }
            if let Some((_, why)) = block.refuse_hosts.iter().find(|(h, _)| *h == host.name) {
                // As a host the block failed on: it leaves the run here.
                ends[slot] = Some(not_run(&host.name, Reach::Refused, Some(why.clone())));
                host.left = Some((
                    block.id.to_string(),
                    format!("left the run at {}: the block was refused there", block.id),
                ));
                continue;
            }
            runnable.push(slot);
        }
        let batch = block
            .serial
            .map_or(runnable.len(), |s| s.of(runnable.len()).max(1))
            .max(1);
        let tolerated = block.max_fail.map(|m| m.of(targets.len()));
        let mut failed = 0;
        let mut stopped: Option<String> = None;
        let mut interrupted = false;
        for chunk in runnable.chunks(batch) {
            if let Some(why) = &stopped {
                for &slot in chunk {
                    let name = &self.hosts[targets[slot]].name;
                    ends[slot] = Some(not_run(name, Reach::Stopped, Some(why.clone())));
                }
                continue;
            }
            let hosts: Vec<usize> = chunk.iter().map(|&slot| targets[slot]).collect();
            let results = self.fan_out(block, &hosts, stop, sink);
            let mut batch_failed = 0;
            for (&slot, end) in chunk.iter().zip(results) {
                let host = &mut self.hosts[targets[slot]];
                if let Reach::Ran(e) = &end.reach
                    && e.interrupted
                {
                    interrupted = true;
                } else if !succeeded(block, &end) {
                    batch_failed += 1;
                    host.left = Some((block.id.to_string(), left_why(block.id, &end)));
                }
                ends[slot] = Some(end);
            }
            failed += batch_failed;
            if interrupted || stop() {
                stopped = Some("runsheet was asked to stop before its batch".into());
            } else if let Some(max) = tolerated
                && failed > max
            {
                stopped = Some(format!(
                    "the rollout stopped: {failed} host{} failed, more than max_fail allows ({max})",
                    if failed == 1 { "" } else { "s" }
                ));
            } else if batch < runnable.len() && batch_failed == chunk.len() {
                stopped =
                    Some("the rollout stopped: every host of the batch before it failed".into());
            }
        }
        let hosts: Vec<HostEnd> = ends.into_iter().flatten().collect();
        let ran: Vec<&BlockEnd> = hosts
            .iter()
            .filter_map(|h| match &h.reach {
                Reach::Ran(e) => Some(e),
                _ => None,
            })
            .collect();
        let all_ok = hosts
            .iter()
            .all(|h| matches!(h.reach, Reach::Kept | Reach::Left) || succeeded(block, h));
        Ok(BlockEnd {
            exit: if all_ok {
                block.expect_exit
            } else {
                let unreached = hosts
                    .iter()
                    .any(|h| matches!(h.reach, Reach::Lost | Reach::Unreachable));
                ran.iter()
                    .map(|e| e.exit)
                    .find(|&x| x != block.expect_exit)
                    // ssh's own failure; a block refused on a host is a plain one.
                    .unwrap_or(if unreached { 255 } else { 1 })
            },
            duration: started.elapsed(),
            session_restarted: false,
            timed_out: ran.iter().any(|e| e.timed_out),
            interrupted: interrupted || ran.iter().any(|e| e.interrupted),
            state_saved: ran.iter().all(|e| e.state_saved),
            hosts,
            // Each host's is in its own end.
            lost_cwd: None,
        })
    }

    /// Runs `block` on `hosts` at once (up to `--forks` at a time), showing
    /// each line they print as it comes, marked with its host.
    fn fan_out(
        &mut self,
        block: &Block,
        hosts: &[usize],
        stop: &dyn Fn() -> bool,
        sink: &mut dyn Sink,
    ) -> Vec<HostEnd> {
        let names: Vec<String> = hosts.iter().map(|&i| self.hosts[i].name.clone()).collect();
        let mut picked: Vec<(usize, &mut Host)> = self
            .hosts
            .iter_mut()
            .enumerate()
            .filter_map(|(i, h)| hosts.iter().position(|&x| x == i).map(|pos| (pos, h)))
            .collect();
        picked.sort_by_key(|(pos, _)| *pos);
        let queue = Mutex::new(picked.into_iter().collect::<VecDeque<_>>());
        let halt = AtomicBool::new(false);
        let workers = self.options.forks.clamp(1, hosts.len().max(1));
        let nonce = self.nonce.as_str();
        let mut shown = Shown::new(&names);
        let mut results: Vec<Option<HostEnd>> = vec![None; hosts.len()];
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::sync_channel::<Report>(64);
            for _ in 0..workers {
                let tx = tx.clone();
                let (queue, halt) = (&queue, &halt);
                scope.spawn(move || {
                    loop {
                        let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                        let Some((pos, host)) = next else { break };
                        let mut events = |e: Event| {
                            let _ = tx.send(Report::Event(pos, e));
                        };
                        let mut end = host.run(block, nonce, halt, &mut events);
                        end.host = host.name.clone();
                        let _ = tx.send(Report::Done(pos, end));
                    }
                });
            }
            drop(tx);
            loop {
                match rx.recv_timeout(Duration::from_millis(50)) {
                    Ok(Report::Event(pos, Event::Output(bytes))) => shown.output(pos, &bytes, sink),
                    Ok(Report::Event(pos, Event::Notice(text))) => shown.notice(pos, &text, sink),
                    Ok(Report::Event(_, Event::Secret(value))) => sink.secret(&value),
                    Ok(Report::Done(pos, mut end)) => {
                        end.output = shown.finish(pos, sink);
                        sink.live(shown.end_line(pos, block, &end).as_bytes());
                        results[pos] = Some(end);
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
                if stop() {
                    halt.store(true, Ordering::SeqCst);
                }
            }
        });
        results
            .into_iter()
            .zip(names)
            .map(|(end, name)| {
                end.unwrap_or_else(|| not_run(&name, Reach::Lost, Some("the worker ended".into())))
            })
            .collect()
    }

    /// Whether any host's state would be restored and is damaged: the first
    /// damaged snapshot file.
    pub fn check_restore(&self) -> std::result::Result<(), PathBuf> {
        let Ok(entries) = std::fs::read_dir(self.dir.join("hosts")) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            crate::exec::snapshot::check(&entry.path()).map_err(|d| d.0)?;
        }
        Ok(())
    }

    /// Every host starts from a fresh shell, whatever was saved.
    pub fn skip_restore(&mut self) {
        self.restoring = false;
        if let Ok(entries) = std::fs::read_dir(self.dir.join("hosts")) {
            for entry in entries.flatten() {
                let _ = std::fs::remove_file(entry.path().join("state"));
            }
        }
    }

    /// The variables the hosts' last snapshots hold (a host's read again
    /// only when its snapshots changed: this is asked after every block).
    pub fn variables(&self) -> Vec<(String, String)> {
        if !self.hosts_dir {
            return Vec::new();
        }
        let Ok(entries) = std::fs::read_dir(self.dir.join("hosts")) else {
            return Vec::new();
        };
        let mut known = self.variables.borrow_mut();
        let mut out = Vec::new();
        for dir in entries.flatten().map(|e| e.path()) {
            let stamp = ["base", "state"].map(|f| {
                std::fs::metadata(dir.join(f))
                    .ok()
                    .map(|m| (m.len(), m.modified().ok()))
            });
            let fresh = match known.get(&dir) {
                Some((seen, _)) => *seen == stamp,
                None => false,
            };
            if !fresh {
                let vars = crate::exec::snapshot::variables(&dir);
                known.insert(dir.clone(), (stamp, vars));
            }
            out.extend(known[&dir].1.iter().cloned());
        }
        out
    }

    /// Ends every host's shell and connection, all at once.
    pub fn finish(&mut self) {
        std::thread::scope(|scope| {
            for host in self.hosts.iter_mut().filter(|h| h.connected()) {
                scope.spawn(move || host.disconnect());
            }
        });
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Whether the block succeeded on a host: it ran, in time, to the exit code
/// it should have, and printed what `expect=` asks for.
pub fn succeeded(block: &Block, end: &HostEnd) -> bool {
    match &end.reach {
        Reach::Ran(e) => {
            !e.timed_out
                && !e.interrupted
                && e.exit == block.expect_exit
                && block
                    .expect
                    .is_none_or(|x| crate::doc::attrs::expectation_met(x, &end.output).is_ok())
        }
        Reach::Kept => true,
        _ => false,
    }
}

/// What a host that leaves the run at `step` is told later.
fn left_why(step: &str, end: &HostEnd) -> String {
    let what = match &end.reach {
        Reach::Lost => "its connection was lost",
        Reach::Unreachable => "it was unreachable",
        Reach::Refused => "the block was refused there",
        _ => "the block failed there",
    };
    format!("left the run at {step}: {what}")
}

fn not_run(host: &str, reach: Reach, note: Option<String>) -> HostEnd {
    HostEnd {
        host: host.to_string(),
        reach,
        started: SystemTime::now(),
        duration: Duration::ZERO,
        output: String::new(),
        note,
        lost_cwd: None,
    }
}

/// The live view of a fan-out: each host's lines marked with its name,
/// and each host's output captured apart for the transcript.
struct Shown {
    names: Vec<String>,
    partial: Vec<Vec<u8>>,
    captures: Vec<Capture>,
}

impl Shown {
    fn new(names: &[String]) -> Shown {
        Shown {
            names: names.to_vec(),
            partial: vec![Vec::new(); names.len()],
            captures: vec![Capture::default(); names.len()],
        }
    }

    fn output(&mut self, pos: usize, bytes: &[u8], sink: &mut dyn Sink) {
        self.captures[pos].push(bytes);
        self.partial[pos].extend_from_slice(bytes);
        if let Some(last) = self.partial[pos].iter().rposition(|&b| b == b'\n') {
            let lines: Vec<u8> = self.partial[pos].drain(..=last).collect();
            let mut out = Vec::with_capacity(lines.len() + 16);
            for line in lines.split_inclusive(|&b| b == b'\n') {
                out.extend_from_slice(format!("[{}] ", self.names[pos]).as_bytes());
                out.extend_from_slice(line);
            }
            sink.live(&out);
        }
    }

    fn notice(&mut self, pos: usize, text: &str, sink: &mut dyn Sink) {
        sink.notice(&format!("[{}] {text}", self.names[pos]));
    }

    /// The host's captured output; a last line without a newline is shown.
    fn finish(&mut self, pos: usize, sink: &mut dyn Sink) -> String {
        if !self.partial[pos].is_empty() {
            let mut line = format!("[{}] ", self.names[pos]).into_bytes();
            line.append(&mut self.partial[pos]);
            line.push(b'\n');
            sink.live(&line);
        }
        std::mem::take(&mut self.captures[pos]).text(sink.secrets())
    }

    /// `[web-2] ✗ exit 1 · 0.21s`.
    fn end_line(&self, pos: usize, block: &Block, end: &HostEnd) -> String {
        let name = &self.names[pos];
        let took = crate::transcript::write::duration(end.duration.as_millis() as u64);
        let mark = if succeeded(block, end) { "✓" } else { "✗" };
        let what = match &end.reach {
            Reach::Ran(e) if e.timed_out => format!("timed out after {took}"),
            Reach::Ran(e) if e.interrupted => format!("interrupted after {took}"),
            Reach::Ran(e) => format!("exit {} · {took}", e.exit),
            Reach::Lost => format!(
                "connection lost after {took}: {}; not retried, the block may have finished there",
                end.note.as_deref().unwrap_or("")
            ),
            Reach::Unreachable => format!("unreachable: {}", end.note.as_deref().unwrap_or("")),
            Reach::Refused => match &end.note {
                Some(why) => format!("not run: {why}"),
                None => "not run".into(),
            },
            Reach::Left | Reach::Stopped | Reach::Kept => "not run".into(),
        };
        format!("[{name}] {mark} {what}\n")
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.write_u32(std::process::id());
    h.finish()
}
