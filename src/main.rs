//! The `runsheet` binary: hands the arguments to the library, returns its exit code.

fn main() {
    std::process::exit(runsheet::app::main(std::env::args_os()));
}
