//! Opening the operator's editor on a block (`$VISUAL`, `$EDITOR`, else `vi`).

use std::path::Path;

use crate::error::{Error, Result};

/// Runs the editor on `path` and waits for it to close.
pub fn open(path: &Path) -> Result<()> {
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "vi".into());
    let words = shell_words::split(&editor)
        .map_err(|e| Error::usage(format!("cannot understand $EDITOR `{editor}`: {e}")))?;
    let Some((program, args)) = words.split_first() else {
        return Err(Error::usage(
            "$EDITOR is empty; set it to your editor, e.g. EDITOR=nano",
        ));
    };
    let mut args: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
    args.push(path.into());
    duct::cmd(program, args)
        .unchecked()
        .run()
        .map_err(|e| Error::usage(format!("cannot start the editor `{editor}`: {e}")))
        .and_then(|out| {
            if out.status.success() {
                Ok(())
            } else {
                Err(Error::usage(format!(
                    "the editor `{editor}` exited with {}; the block was not changed",
                    out.status
                )))
            }
        })
}
