//! Running blocks: the shell session, its state snapshots, the processes blocks start.

pub mod capture;
pub mod editor;
pub mod pty;
pub mod session;
pub mod snapshot;
pub mod tree;

pub use session::{BlockEnd, Session, SessionOptions};
