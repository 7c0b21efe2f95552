//! The `runsheet` binary: hands the arguments to the library, returns its exit code.

fn main() {
    // A stop signal at a prompt: the transcript is saved (the save started
    // as the prompt opened is waited for), so the process may end there and then.
    runsheet::signals::on_stop_at_prompt(|| {
        runsheet::operator::restore_terminal();
        // A hangup took the terminal: the words may go nowhere.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"\nrunsheet: stopped by a signal at a prompt; the transcript is saved.\n",
        );
        std::process::exit(130);
    });
    std::process::exit(runsheet::cmd::main(std::env::args_os()));
}
