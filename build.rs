//! Records the commit and the date of the build for `runsheet --version`.
//! Outside a git checkout, or without git, it says so instead of failing.

use std::process::Command;

fn main() {
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git").args(args).output().ok()?;
        if !out.status.success() {
            return None;
        }
        let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
        (!text.is_empty()).then_some(text)
    };
    let commit =
        git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "commit unknown".into());
    println!("cargo:rustc-env=RUNSHEET_COMMIT={commit}");
    println!("cargo:rustc-env=RUNSHEET_BUILD_DATE={}", build_date());
    // A new commit or checkout gives a new version line: watch HEAD and
    // the branch it points to (packed refs too).
    let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for path in watched {
        if let Some(p) = git(&["rev-parse", "--git-path", &path]) {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    println!("cargo:rerun-if-changed=build.rs");
    if packed_relocations() {
        // The binary's relocations (about 25,000 pointers in tables, applied
        // at every start) as a bitmap of a few kilobytes instead of a
        // 600 KB table read in full: a command's memory starts about 1 MB
        // lower. The binary stays position-independent.
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// Whether the C toolchain links with packed relative relocations (DT_RELR:
/// binutils 2.38 or later, lld 15) and the C library runs such a program
/// (glibc 2.36 or later): a small C program is linked with them, and run.
/// Only for a native build on Linux with glibc, where rustc links with `cc`.
fn packed_relocations() -> bool {
    let env = |name: &str| std::env::var(name).unwrap_or_default();
    if env("CARGO_CFG_TARGET_OS") != "linux"
        || env("CARGO_CFG_TARGET_ENV") != "gnu"
        || env("TARGET") != env("HOST")
    {
        return false;
    }
    let Ok(out) = std::env::var("OUT_DIR") else {
        return false;
    };
    let dir = std::path::Path::new(&out);
    let (source, program) = (dir.join("relr.c"), dir.join("relr"));
    // A table of pointers: relative relocations for the linker to pack.
    let text =
        "static const char *t[] = {\"a\", \"b\"};\nint main(void) { return t[1][0] != 'b'; }\n";
    if std::fs::write(&source, text).is_err() {
        return false;
    }
    // A linker that does not know the option warns that it ignored it.
    let linked = Command::new("cc")
        .args(["-fPIE", "-pie", "-Wl,-z,pack-relative-relocs", "-o"])
        .arg(&program)
        .arg(&source)
        .output()
        .is_ok_and(|o| o.status.success() && o.stderr.is_empty());
    linked && Command::new(&program).status().is_ok_and(|s| s.success())
}

/// Today's UTC date (or `SOURCE_DATE_EPOCH`'s, for reproducible builds).
fn build_date() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}
