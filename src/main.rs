//! The `driftscope` binary: parse arguments, hand over to `cli::run`.

fn main() {
    std::process::exit(driftscope::cli::main());
}
