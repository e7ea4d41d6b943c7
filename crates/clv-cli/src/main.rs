//! `clv`: customer lifetime value from a transaction log.
//!
//! A thin front end over the application layer (`clv-app`): it parses the
//! flags into the use cases' settings, calls them, and writes their results.
//! Data goes to stdout (or `--output`), messages and progress to stderr.
//! Exit codes: 0 success, 2 bad input or usage, 1 internal failure.

mod args;
mod commands;
mod error;
mod output;
mod progress;

use clap::Parser;

fn main() {
    let cli = args::Cli::parse();
    let progress = progress::Stderr::new(cli.quiet);
    let result = match &cli.command {
        args::Command::Summarize(a) => commands::summarize(a, &progress),
        args::Command::Fit(a) => commands::fit(a, &progress),
        args::Command::Predict(a) => commands::predict(a, &progress),
        args::Command::Simulate(a) => commands::simulate(a, &progress),
        args::Command::Economics(a) => commands::economics(a, &progress),
        args::Command::Validate(a) => commands::validate(a, &progress),
        args::Command::Segment(a) => commands::segment(a, &progress),
        args::Command::Actions(a) => commands::actions(a, &progress),
        args::Command::Referrals(a) => commands::referrals(a, &progress),
        args::Command::Engagement(a) => commands::engagement(a, &progress),
        args::Command::Profile(a) => commands::profile(a, &progress),
        args::Command::Serve(a) => commands::serve(a),
    };
    if let Err(e) = result {
        if error::is_broken_pipe(&e) {
            // `clv predict ... | head`: the reader has what it wanted.
            std::process::exit(0);
        }
        eprintln!("error: {}", error::message(&e));
        std::process::exit(error::exit_code(&e));
    }
}
