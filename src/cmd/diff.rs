//! `runsheet diff`: compare two transcripts; also git's diff driver.

use std::path::{Path, PathBuf};

use super::{not_intact, print_out, record_of};
use crate::cli::{DiffArgs, DiffFormat};
use crate::diff::{self, Format, Mask, Options, Paint};
use crate::error::{Error, Result};

/// Compares the two transcripts `args` names: 0 equivalent, 1 different.
/// As git's driver it exits 0 either way, since git stops at a driver that
/// does not.
pub fn diff(args: &DiffArgs) -> Result<i32> {
    let format = match args.format {
        DiffFormat::Text => Format::Text,
        DiffFormat::Markdown => Format::Markdown,
        DiffFormat::Json => Format::Json,
    };
    if args.stat && format == Format::Json {
        return Err(Error::usage(
            "--stat is for the text and markdown formats; the JSON has the counts in `counts`",
        ));
    }
    let files = Files::from_args(&args.files, args.git)?;
    if args.git {
        match compare_git(&files, args, format) {
            Ok(text) => print_out(text.as_bytes()),
            // Shown where the diff would be, so that `git log -p` goes on.
            Err(e) => print_out(format!("runsheet diff {}: {e}\n", files.new_name).as_bytes()),
        }
        return Ok(0);
    }
    let (text, equivalent) = compare(&files, args, format)?;
    print_out(text.as_bytes());
    Ok(if equivalent { 0 } else { 1 })
}

/// The two files to compare and the names to show them by.
struct Files {
    old: PathBuf,
    new: PathBuf,
    old_name: String,
    new_name: String,
}

impl Files {
    fn from_args(files: &[PathBuf], git: bool) -> Result<Files> {
        if !git {
            let [old, new] = files else {
                return Err(Error::usage(format!(
                    "diff compares two transcripts, OLD and NEW; {} were given",
                    files.len()
                )));
            };
            return Ok(Files {
                old_name: old.display().to_string(),
                new_name: new.display().to_string(),
                old: old.clone(),
                new: new.clone(),
            });
        }
        // path old-file old-hex old-mode new-file new-hex new-mode
        // [new-path similarity] for a rename.
        if files.len() != 7 && files.len() != 9 {
            return Err(Error::usage(format!(
                "diff --git takes the seven arguments git hands a diff driver \
                 (path old-file old-hex old-mode new-file new-hex new-mode); {} were given. \
                 Set it up with `git config diff.runsheet.command 'runsheet diff --git'`",
                files.len()
            )));
        }
        let path = files[0].display().to_string();
        let new_path = files
            .get(7)
            .map_or(path.clone(), |p| p.display().to_string());
        Ok(Files {
            old: files[1].clone(),
            new: files[4].clone(),
            old_name: format!("a/{path}"),
            new_name: format!("b/{new_path}"),
        })
    }
}

fn compare_git(files: &Files, args: &DiffArgs, format: Format) -> Result<String> {
    let null = Path::new("/dev/null");
    let header = format!("runsheet diff {} {}\n", files.old_name, files.new_name);
    if files.old == null || files.new == null {
        let (path, name, what) = if files.old == null {
            (&files.new, &files.new_name, "new")
        } else {
            (&files.old, &files.old_name, "deleted")
        };
        let (record, _, intact) = record_of(path)?;
        let edited = if intact {
            String::new()
        } else {
            format!(
                "warning: {}\n",
                not_intact(Path::new(name), &record.run.source)
            )
        };
        return Ok(format!(
            "{header}{what} transcript {name}: `{}` · {} · {}\n{edited}",
            record.run.source,
            record.run.started,
            record.counts.tally()
        ));
    }
    let (text, _) = compare(files, args, format)?;
    Ok(if format == Format::Text {
        format!("{header}{text}")
    } else {
        text
    })
}

/// The comparison written, and whether the runs are equivalent.
fn compare(files: &Files, args: &DiffArgs, format: Format) -> Result<(String, bool)> {
    // Read side by side: reading is most of the work.
    let (old, new) = std::thread::scope(|s| {
        let old = s.spawn(|| record_of(&files.old));
        let new = record_of(&files.new);
        (
            old.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            new,
        )
    });
    let ((old, old_config, old_intact), (new, new_config, new_intact)) = (old?, new?);
    let patterns = args.ignore.iter().map(|p| (p.as_str(), "--ignore")).chain(
        old_config
            .diff
            .ignore
            .iter()
            .chain(&new_config.diff.ignore)
            .map(|p| (p.as_str(), "[diff] ignore in runsheet.toml")),
    );
    let options = Options {
        mask: Mask::new(patterns)?,
        slower: args.slower,
        slower_by_ms: Options::SLOWER_BY_MS,
        times_in_commands: false,
    };
    let mut comparison = diff::compare(
        (Path::new(&files.old_name), &old),
        (Path::new(&files.new_name), &new),
        &options,
    );
    // A transcript that is not the record its run wrote comes first of what
    // the reader should know, and is said on standard error too (below, with
    // `--stat`), where a script that reads only the exit code still sees it.
    let sides = [
        (&mut comparison.old, old_intact, &files.old_name),
        (&mut comparison.new, new_intact, &files.new_name),
    ];
    let mut edited = Vec::new();
    for (side, intact, name) in sides {
        side.intact = intact;
        if !intact {
            edited.push(not_intact(Path::new(name), &side.run.source));
        }
    }
    if !args.stat {
        for w in &edited {
            eprintln!("warning: {w}");
        }
    }
    comparison.warnings.splice(0..0, edited);
    let paint = Paint {
        on: crate::screen::colour_on_stdout(),
    };
    if args.stat {
        // `--stat` prints only counts and steps; what the reader should know
        // about the pairing still gets said.
        for w in &comparison.warnings {
            eprintln!("warning: {w}");
        }
    }
    let text = diff::render(&comparison, format, args.stat, paint);
    let equivalent = comparison.equivalent();
    // The process ends once the text is printed: freeing two runs' records
    // step by step is time spent on nothing the operator sees.
    std::mem::forget(comparison);
    std::mem::forget((old, new));
    Ok((text, equivalent))
}
