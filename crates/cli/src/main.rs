//! `emopiano`: the command-line program (see the library's documentation).

use std::process::ExitCode;

fn main() -> ExitCode {
    emopiano::main_with(emopiano_trainer::Registry::builtin())
}
