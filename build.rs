//! Build script: the tests that read the shared corpus of real checklists run
//! where `RUNSHEET_CORPUS` names it, and show as ignored, with the reason,
//! where it does not (a fresh clone).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(runsheet_corpus)");
    println!("cargo::rerun-if-env-changed=RUNSHEET_CORPUS");
    if std::env::var_os("RUNSHEET_CORPUS").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=runsheet_corpus");
    }
}
