//! `clv`: customer lifetime value from a transaction log.
//!
//! Data goes to stdout (or `--output`), messages and progress to stderr.
//! Exit codes: 0 success, 2 bad input or usage, 1 internal failure.

mod args;
mod charts;
mod commands;
mod error;
mod model_file;
mod output;
mod progress;

use clap::Parser;

fn main() {
    let cli = args::Cli::parse();
    let progress = progress::Progress::new(cli.quiet);
    let result = match &cli.command {
        args::Command::Summarize(a) => commands::summarize::run(a, &progress),
        args::Command::Fit(a) => commands::fit::run(a, &progress),
        args::Command::Predict(a) => commands::predict::run(a, &progress),
        args::Command::Simulate(a) => commands::simulate::run(a, &progress),
        args::Command::Economics(a) => commands::economics::run(a, &progress),
        args::Command::Validate(a) => commands::validate::run(a, &progress),
    };
    if let Err(e) = result {
        eprintln!("error: {}", error::message(&e));
        std::process::exit(error::exit_code(&e));
    }
}
