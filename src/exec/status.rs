//! The status the session driver sends after each block: its exit code,
//! whether the shell state was saved, and what became of the shell's
//! working directory.

/// A shell's working directory that a block took away: the shell is still
/// in it, and the next block would run there. Each holds the directory as
/// the shell names it (`$PWD`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LostCwd {
    /// Nothing is at that path any more: removed, or moved away.
    Gone(String),
    /// The path names another directory now (removed and made again, or a
    /// link that leads elsewhere): the shell is still in the old one.
    Replaced(String),
}

impl LostCwd {
    /// What runsheet runs after a block with `cwd=` (whose `pushd` set
    /// `__rs_pushed`, see `push`), to go back to where the shell was. When
    /// that directory is gone, `popd` cannot go back: its entry is dropped,
    /// and `$PWD` names it still, as it would had the block removed the
    /// shell's own directory, so that the driver reports it gone and the
    /// snapshot keeps it for a resume. The shell itself stays in the `cwd=`
    /// directory.
    pub const BACK: &'static str = "[[ -z ${__rs_pushed-} ]] || { __rs_pushed=; \
        builtin popd >/dev/null 2>&1 || { \
        [[ -z ${DIRSTACK[1]-} || -d ${DIRSTACK[1]} ]] || PWD=${DIRSTACK[1]}; \
        builtin popd -n >/dev/null 2>&1; }; }\n";

    /// The line a block with `cwd=` starts with, for `dir` (quoted): into
    /// it for this block only, like a CI step's working-directory.
    pub fn push(dir: &str) -> String {
        format!(
            "builtin pushd -- {} >/dev/null && __rs_pushed=1 || builtin return 1\n",
            shell_words::quote(dir)
        )
    }

    /// What the driver's status says of the directory (`m<path>` gone,
    /// `o<path>` replaced, empty when all is well).
    pub fn parse(field: &[u8]) -> Option<LostCwd> {
        let (&kind, path) = field.split_first()?;
        let path = String::from_utf8_lossy(path).into_owned();
        match kind {
            b'm' => Some(LostCwd::Gone(path)),
            b'o' => Some(LostCwd::Replaced(path)),
            _ => None,
        }
    }

    /// What happened to it, in a sentence that names it.
    pub fn describe(&self) -> String {
        match self {
            LostCwd::Gone(dir) => format!(
                "the shell's working directory, {dir}, no longer exists (the block removed or moved it)"
            ),
            LostCwd::Replaced(dir) => format!(
                "the shell's working directory, {dir}, is no longer the directory the shell is in \
                 (the block removed and made it again, moved it, or switched a link on the way)"
            ),
        }
    }
}

/// What the driver sends after a block: `<exit>:<saved>:<jobs>:<cwd>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub exit: i32,
    /// The state after the block was saved.
    pub saved: bool,
    /// The shell has started a background job.
    pub jobs: bool,
    pub lost_cwd: Option<LostCwd>,
}

impl Status {
    /// The fields of a status, between its tag and its end mark; what is
    /// missing or unreadable counts as a failure with nothing saved.
    pub fn parse(fields: &[u8]) -> Status {
        let mut fields = fields.splitn(4, |&b| b == b':');
        let mut next = || fields.next().unwrap_or_default();
        let exit = std::str::from_utf8(next())
            .ok()
            .and_then(|f| f.parse().ok())
            .unwrap_or(1);
        let saved = next() == b"1";
        let jobs = next() == b"1";
        let lost_cwd = LostCwd::parse(next());
        Status {
            exit,
            saved,
            jobs,
            lost_cwd,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_read_whatever_the_directory_is_called() {
        let status = Status::parse(b"0:1:1:m/srv/a:b\xff");
        assert_eq!(
            status,
            Status {
                exit: 0,
                saved: true,
                jobs: true,
                lost_cwd: Some(LostCwd::Gone("/srv/a:b\u{fffd}".into())),
            }
        );
        assert_eq!(
            Status::parse(b"2:0::o/x").lost_cwd,
            Some(LostCwd::Replaced("/x".into()))
        );
        for short in [&b""[..], b"7", b"7:1", b"7:1:0", b"7:1:0:", b"x:y:z:q/"] {
            let status = Status::parse(short);
            assert_eq!(status.lost_cwd, None, "{short:?}");
            assert!(status.exit == 7 || status.exit == 1, "{short:?}");
        }
    }
}
