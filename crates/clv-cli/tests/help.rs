//! Every flag a command's `--help` lists is one that command accepts: each
//! is used in a run of that command below, which must succeed. A flag added
//! to a command without a run here, or a flag shown where it does not work
//! (as `--calibration-end` once was in `clv economics --help`), fails.

mod common;

use std::collections::BTreeSet;

use common::*;

/// The long flags (`--name`) a command's `--help` lists, without `--help`
/// and `--version`.
fn listed_flags(cmd: &str) -> BTreeSet<String> {
    let help = clv_ok(&[cmd, "--help"]);
    help.lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let line = line
                .strip_prefix("-q, ")
                .or_else(|| line.strip_prefix("-o, "))
                .or_else(|| line.strip_prefix("-h, "))
                .unwrap_or(line);
            let flag = line.strip_prefix("--")?;
            let name: String = flag
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            (!name.is_empty() && name != "help" && name != "version").then(|| format!("--{name}"))
        })
        .collect()
}

/// The flags that need a PostgreSQL server: `tests/postgres.rs` runs each of
/// them against a throw-away server (`--sink` and `--sink-table` on
/// `predict` and `segment`, the others on the data commands).
const POSTGRES_FLAGS: [&str; 5] = [
    "--source",
    "--source-table",
    "--pushdown",
    "--sink",
    "--sink-table",
];

/// One successful run per group of flags, on the small fixtures. `@` in an
/// argument is replaced by a scratch directory.
fn runs() -> Vec<(&'static str, Vec<String>)> {
    let sample = sample();
    let econ = fixture("econ_transactions.csv");
    let econ_cost = fixture("econ_transactions_cost.csv");
    let customers = fixture("econ_customers.csv");
    let spend = fixture("econ_spend.csv");
    let donations = fixture("donations_summary.csv");
    let subscriptions = fixture("subscriptions_fh2007.csv");
    // The CDNOW sample with `;` between fields and `,` before the cents.
    let comma = fixture("cdnow_decimal_comma.csv");
    let cdnow_customers = fixture("cdnow_customers.csv");
    let events = fixture("cdnow_events.csv");
    let segment_map = fixture("segment_map.csv");
    let v = |args: &[&str]| -> Vec<String> { args.iter().map(|s| s.to_string()).collect() };
    let reading = |file: &str, date_format: &str| -> Vec<String> {
        v(&[
            file,
            "--customer-col",
            "customer_id",
            "--date-col",
            "date",
            "--amount-col",
            "amount",
            "--date-format",
            date_format,
            "--zero-amounts",
            "drop",
            "--skip-invalid",
            "--delimiter",
            ",",
            "--quiet",
        ])
    };
    let with = |mut a: Vec<String>, b: &[&str]| {
        a.extend(b.iter().map(|s| s.to_string()));
        a
    };
    // Every flag the influence commands share, with a model fitted here;
    // and the same with a model file (written by the fit run above).
    let influence = |model: &[&str]| -> Vec<String> {
        let mut a = with(
            reading(&sample, "%Y%m%d"),
            &[
                "--time-unit",
                "week",
                "--convention",
                "exact",
                "--observation-end",
                "1998-06-30",
                "--spend",
                "gamma-gamma",
                "--penalty",
                "0.001",
                "--horizon",
                "6 months",
                "--discount-rate",
                "0.05",
                "--margin",
                "0.3",
                "--customers",
                &cdnow_customers,
                "--spend-file",
                &spend,
                "--events",
                &events,
                "--half-life",
                "60",
                "--referral-incremental-share",
                "0.4",
                "--clv-cut",
                "5",
                "--crv-cut",
                "1",
                "--churn-high-below",
                "0.2",
                "--churn-low-from",
                "0.8",
            ],
        );
        a.extend(model.iter().map(|s| s.to_string()));
        a
    };
    let from_file = v(&[
        &comma,
        "--model-file",
        "@/model.json",
        "--allow-unidentified",
        "--customers",
        &cdnow_customers,
        "--events",
        &events,
        "--referral-cac-saved",
        "20",
        "-q",
    ]);
    // `--query` and `--register` on every command that reads transactions:
    // the sample's customers listed in a second file.
    let query = |cmd: &'static str, extra: &[&str]| -> (&'static str, Vec<String>) {
        let mut a = v(&[
            &sample,
            "--query",
            "SELECT * FROM cdnow_sample WHERE customer_id IN \
             (SELECT CAST(customer_id AS VARCHAR) FROM listed)",
            "--register",
            &format!("listed={cdnow_customers}"),
            "--query-memory-limit",
            "256M",
            "-q",
        ]);
        a.extend(extra.iter().map(|s| s.to_string()));
        (cmd, a)
    };
    let queries = vec![
        query("summarize", &[]),
        query("fit", &["--model", "bg-nbd"]),
        query("predict", &["--model", "bg-nbd", "--horizon", "52 weeks"]),
        query("economics", &[]),
        query("validate", &["--calibration-end", "1997-09-30"]),
        query("segment", &["--model", "bg-nbd"]),
        query(
            "actions",
            &["--model", "bg-nbd", "--out-dir", "@/sql-actions"],
        ),
        query(
            "referrals",
            &["--model", "bg-nbd", "--customers", &cdnow_customers],
        ),
        query("engagement", &["--model", "bg-nbd", "--events", &events]),
        query(
            "profile",
            &["--model", "bg-nbd", "--customers", &cdnow_customers],
        ),
    ];
    let mut all = vec![
        (
            "summarize",
            with(
                reading(&sample, "%Y%m%d"),
                &[
                    "--time-unit",
                    "day",
                    "--convention",
                    "period",
                    "--calibration-end",
                    "1997-09-30",
                    "--observation-end",
                    "1998-06-30",
                    "--output",
                    "@/summary.json",
                    "--format",
                    "json",
                ],
            ),
        ),
        (
            "fit",
            with(
                reading(&sample, "%Y%m%d"),
                &[
                    "--time-unit",
                    "week",
                    "--convention",
                    "exact",
                    "--calibration-end",
                    "1997-09-30",
                    "--observation-end",
                    "1998-06-30",
                    "--model",
                    "bg-nbd",
                    "--spend",
                    "gamma-gamma",
                    "--output",
                    "@/model.json",
                ],
            ),
        ),
        (
            "fit",
            v(&[
                "--summary",
                &donations,
                "--model",
                "bg-bb",
                "--time-unit",
                "year",
                "--penalty",
                "0.01",
                "-q",
            ]),
        ),
        (
            "fit",
            v(&["--subscriptions", &subscriptions, "--model", "sbg", "-q"]),
        ),
        (
            "predict",
            with(
                reading(&sample, "%Y%m%d"),
                &[
                    "--time-unit",
                    "week",
                    "--convention",
                    "exact",
                    "--calibration-end",
                    "1997-09-30",
                    "--observation-end",
                    "1998-06-30",
                    "--model",
                    "bg-nbd",
                    "--spend",
                    "gamma-gamma",
                    // A penalty pulls Gamma-Gamma's q towards 1, where the
                    // expected spend of a customer without repeat purchases
                    // is infinite: 0 keeps this run about the flags.
                    "--penalty",
                    "0",
                    "--horizon",
                    "12 months",
                    "--discount-rate",
                    "0.05",
                    "--margin",
                    "0.3",
                    "--intervals",
                    "0.9",
                    "--draws",
                    "20",
                    "--seed",
                    "3",
                    "--output",
                    "@/predictions.csv",
                    "--format",
                    "csv",
                ],
            ),
        ),
        (
            "predict",
            v(&[
                &sample,
                "--model",
                "bg-nbd",
                "--horizon",
                "1 year",
                "--intervals",
                "0.9",
                "--bootstrap",
                "3",
                "-q",
            ]),
        ),
        (
            "predict",
            v(&[
                "--summary",
                &donations,
                "--model",
                "bg-bb",
                "--time-unit",
                "year",
                "--horizon",
                "2 years",
                "-q",
            ]),
        ),
        // Reads the model file written by the first `fit` run above.
        (
            "predict",
            v(&[
                &sample,
                "--model-file",
                "@/model.json",
                "--horizon",
                "26 weeks",
                "-q",
            ]),
        ),
        (
            "simulate",
            v(&[
                "--customers",
                "200",
                "--start",
                "2024-01-01",
                "--days",
                "365",
                "--params",
                "r=0.243,alpha=4.414,a=0.793,b=2.426",
                "--spend",
                "p=6.25,q=3.74,v=15.44",
                "--seed",
                "7",
                "--time-unit",
                "week",
                "--acquisition-days",
                "90",
                "--channels",
                "search:0.6:40,referral:0.4:10",
                "--customers-output",
                "@/sim_customers.csv",
                "--spend-output",
                "@/sim_spend.csv",
                "--referrals",
                "preferential",
                "--events-output",
                "@/sim_events.csv",
                "--attributes",
                "--output",
                "@/sim.csv",
                "-q",
            ]),
        ),
        (
            "economics",
            with(
                reading(&econ, "%Y-%m-%d"),
                &[
                    "--time-unit",
                    "week",
                    "--convention",
                    "exact",
                    "--observation-end",
                    "2024-12-31",
                    "--customers",
                    &customers,
                    "--spend",
                    &spend,
                    "--margin",
                    "0.4",
                    "--cost-to-serve",
                    "1",
                    "--cost-period",
                    "month",
                    "--horizon",
                    "24 months",
                    "--discount-rate",
                    "0.1",
                    "--format",
                    "json",
                    "--output",
                    "@/economics.json",
                    "--heatmap",
                    "@/cohorts.svg",
                    "--per-customer",
                    "@/value.csv",
                    "--segment",
                    "plan",
                    "--min-months",
                    "3",
                    "--resamples",
                    "50",
                    "--seed",
                    "2",
                    "--channel-chart",
                    "@/channels.svg",
                    "--payback-chart",
                    "@/payback.svg",
                ],
            ),
        ),
        ("economics", v(&[&econ_cost, "--cost-col", "cost", "-q"])),
        (
            "economics",
            v(&[&sample, "--model-file", "@/model.json", "-q"]),
        ),
        (
            "economics",
            v(&[
                &comma,
                "--decimal-comma",
                "--model-file",
                "@/model.json",
                "--allow-unidentified",
                "-q",
            ]),
        ),
        ("summarize", v(&[&comma, "--decimal-comma", "-q"])),
        (
            "fit",
            v(&[&comma, "--decimal-comma", "--model", "bg-nbd", "-q"]),
        ),
        (
            "predict",
            v(&[
                &comma,
                "--decimal-comma",
                "--model",
                "bg-nbd",
                "--horizon",
                "1 year",
                "--allow-unidentified",
                "-q",
            ]),
        ),
        (
            "segment",
            with(
                influence(&["--model", "bg-nbd"]),
                &[
                    "--segment-map",
                    &segment_map,
                    "--window",
                    "7",
                    "--window",
                    "90",
                    "--output",
                    "@/segments.json",
                    "--format",
                    "json",
                ],
            ),
        ),
        (
            "segment",
            with(
                from_file.clone(),
                &["--decimal-comma", "-o", "@/segments.csv"],
            ),
        ),
        (
            "actions",
            with(
                influence(&["--model", "pareto-nbd"]),
                &[
                    "--out-dir",
                    "@",
                    "--win-back-below",
                    "0.4",
                    "--win-back-min-value",
                    "20",
                    "--remind-days",
                    "21",
                    "--remind-min-probability",
                    "0.3",
                    "--reward-top-share",
                    "0.1",
                    "--ask-referral-top-share",
                    "0.3",
                    "--ask-referral-max-referrals",
                    "1",
                    "--max-per-list",
                    "100",
                ],
            ),
        ),
        (
            "actions",
            with(from_file.clone(), &["--decimal-comma", "--out-dir", "@"]),
        ),
        (
            "referrals",
            with(
                influence(&["--model", "bg-nbd"]),
                &[
                    "--top",
                    "3",
                    "--format",
                    "json",
                    "--output",
                    "@/referrals.json",
                ],
            ),
        ),
        ("referrals", with(from_file.clone(), &["--decimal-comma"])),
        (
            "engagement",
            with(
                influence(&["--model", "mbg-nbd"]),
                &[
                    "--engaged-min-score",
                    "0.1",
                    "--format",
                    "table",
                    "--output",
                    "@/engagement.txt",
                ],
            ),
        ),
        ("engagement", with(from_file.clone(), &["--decimal-comma"])),
        (
            "profile",
            with(
                influence(&["--model", "bg-nbd"]),
                &[
                    "--min-support",
                    "50",
                    "--format",
                    "json",
                    "--output",
                    "@/profile.json",
                ],
            ),
        ),
        ("profile", with(from_file.clone(), &["--decimal-comma"])),
        (
            "validate",
            v(&[
                &comma,
                "--decimal-comma",
                "--calibration-end",
                "1997-09-30",
                "--model",
                "bg-nbd",
                "-q",
            ]),
        ),
        (
            "validate",
            with(
                reading(&sample, "%Y%m%d"),
                &[
                    "--time-unit",
                    "week",
                    "--convention",
                    "exact",
                    "--calibration-end",
                    "1997-09-30",
                    "--observation-end",
                    "1998-06-30",
                    "--model",
                    "bg-nbd",
                    "--penalty",
                    "0.01",
                    "--format",
                    "json",
                    "--output",
                    "@/validation.json",
                    "--charts",
                    "@/charts",
                ],
            ),
        ),
    ];
    all.extend(queries);
    all
}

#[test]
fn every_flag_a_help_lists_is_accepted_by_that_command() {
    let dir = scratch("help-flags");
    let dir = dir.display().to_string();
    let runs = runs();
    for (cmd, args) in &runs {
        let args: Vec<String> = args.iter().map(|a| a.replace('@', &dir)).collect();
        let args: Vec<&str> = std::iter::once(*cmd)
            .chain(args.iter().map(String::as_str))
            .collect();
        let out = clv(&args);
        assert!(
            out.status.success(),
            "clv {args:?} failed ({:?}):\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for cmd in [
        "summarize",
        "fit",
        "predict",
        "simulate",
        "economics",
        "validate",
        "segment",
        "actions",
        "referrals",
        "engagement",
        "profile",
    ] {
        let used: BTreeSet<String> = runs
            .iter()
            .filter(|(c, _)| c == &cmd)
            .flat_map(|(_, args)| args.iter())
            .filter(|a| a.starts_with("--"))
            .cloned()
            .chain(
                runs.iter()
                    .filter(|(c, _)| c == &cmd)
                    .flat_map(|(_, args)| {
                        args.iter()
                            .filter_map(|a| match a.as_str() {
                                "-q" => Some("--quiet".to_string()),
                                "-o" => Some("--output".to_string()),
                                _ => None,
                            })
                            .collect::<Vec<_>>()
                    }),
            )
            .collect();
        let listed: BTreeSet<String> = listed_flags(cmd)
            .into_iter()
            .filter(|f| !POSTGRES_FLAGS.contains(&f.as_str()))
            .collect();
        let untested: Vec<&String> = listed.difference(&used).collect();
        assert!(
            untested.is_empty(),
            "clv {cmd} --help lists {untested:?}, which no run in tests/help.rs uses: \
             add a run that shows the flag works (or take it out of the help)"
        );
        let unlisted: Vec<&String> = used.difference(&listed).collect();
        assert!(
            unlisted.is_empty(),
            "the runs of clv {cmd} use {unlisted:?}, which its --help does not list"
        );
    }
}

/// The flags hidden from a help because they only explain where to go still
/// do that, with exit code 2.
#[test]
fn hidden_flags_explain_where_they_belong() {
    let econ = fixture("econ_transactions.csv");
    fails_with(
        &["economics", &econ, "--calibration-end", "2024-06-30"],
        "--calibration-end does not apply",
    );
    let subscriptions = fixture("subscriptions_fh2007.csv");
    fails_with(
        &[
            "predict",
            "--subscriptions",
            &subscriptions,
            "--horizon",
            "1 year",
        ],
        "clv fit --model sbg",
    );
    fails_with(
        &[
            "predict",
            &sample(),
            "--model",
            "auto",
            "--horizon",
            "1 year",
        ],
        "only for clv fit",
    );
    let help = clv_ok(&["predict", "--help"]);
    assert!(
        !help.contains("--subscriptions") && !help.contains("- sbg") && !help.contains("- auto")
    );
    assert!(!clv_ok(&["economics", "--help"]).contains("--calibration-end"));
    assert!(!clv_ok(&["summarize", "--help"]).contains("--summary"));
}
