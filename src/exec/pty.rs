//! A pseudo-terminal for an interactive session's output, so programs see a
//! terminal: colours, progress bars, line-buffered output that streams live.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};

use rustix::fs::{Mode, OFlags, open};
use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{tcgetwinsize, tcsetwinsize};

/// The two ends of a pseudo-terminal: runsheet reads the master, the session writes the slave.
pub struct Pty {
    pub master: File,
    pub slave: OwnedFd,
}

/// Opens a pseudo-terminal sized like the terminal runsheet itself writes to.
pub fn open_pty() -> io::Result<Pty> {
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
    grantpt(&master)?;
    unlockpt(&master)?;
    let name = ptsname(&master, Vec::new())?;
    let slave = open(
        name.as_c_str(),
        OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    if let Ok(size) =
        tcgetwinsize(io::stderr().as_fd()).or_else(|_| tcgetwinsize(io::stdout().as_fd()))
    {
        let _ = tcsetwinsize(&master, size);
    }
    Ok(Pty {
        master: File::from(master),
        slave,
    })
}
