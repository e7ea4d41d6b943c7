//! One function per subcommand: flags to settings, the application layer's
//! use case, and the result written where the flags say.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use clv_app::Progress;
use clv_app::fit::FitOutput;
use clv_app::settings::ValidateFormat;

use crate::args::{
    ActionsArgs, EconomicsArgs, EngagementArgs, FitArgs, OutputArgs, PredictArgs, ProfileArgs,
    ReferralsArgs, SegmentArgs, ServeArgs, SimulateArgs, SinkArgs, SummarizeArgs, ValidateArgs,
};
use crate::output::write_to;

/// Refuses, before any data is read, outputs that cannot be written or that
/// name an input (see [`clv_app::output::check_outputs`]).
fn check_outputs(outputs: &[Option<&Path>], inputs: &[Option<&Path>]) -> Result<()> {
    let inputs: Vec<&Path> = inputs.iter().flatten().copied().collect();
    clv_app::output::check_outputs(outputs.iter().flatten().copied(), inputs.iter().copied())?;
    Ok(())
}

/// Warns when `--format` and the output's extension disagree (the flag wins).
fn warn_format_conflict(
    progress: &dyn Progress,
    output: Option<&Path>,
    format: Option<&str>,
    known: &[&str],
) {
    let ext = crate::args::extension(output);
    if let (Some(ext), Some(format)) = (ext, format)
        && known.contains(&ext.as_str())
        && ext != format
    {
        progress.say(format!(
            "note: writing {format} to {} as --format asks (the extension says {ext})",
            output.map(|p| p.display().to_string()).unwrap_or_default()
        ));
    }
}

fn data_inputs(d: &crate::args::DataArgs) -> Vec<Option<&Path>> {
    let mut v = vec![d.transactions.as_deref()];
    v.extend(d.register.iter().map(|(_, p)| Some(p.as_path())));
    v
}

/// Writes a table to `--output` (or stdout) in the format the flags ask for.
fn write_table(table: clv_data::Table, out: &OutputArgs, progress: &dyn Progress) -> Result<()> {
    let format = out.table_format();
    let rows = table.num_rows();
    progress.stage(&format!("wrote {rows} rows"), || {
        clv_data::write_table(&table, out.output.as_deref(), format)
    })?;
    Ok(())
}

/// The connection of `--sink`, parsed before any data is read (a bad URL
/// fails at once); `None` without `--sink`.
fn sink_connect(sink: &SinkArgs) -> Result<Option<(clv_data::PgConnect, String)>> {
    match (&sink.sink, &sink.sink_table) {
        (Some(url), Some(table)) => Ok(Some((clv_data::PgConnect::parse(url)?, table.clone()))),
        _ => Ok(None),
    }
}

/// Writes `table` to the `--sink` table (replacing it atomically, the run
/// recorded in `clv_runs`), and to `--output` too when it is given;
/// without `--sink`, to `--output` or stdout.
fn write_result(
    table: clv_data::Table,
    out: &OutputArgs,
    sink: Option<(clv_data::PgConnect, String)>,
    run: clv_data::RunRecord,
    progress: &dyn Progress,
) -> Result<()> {
    let Some((conn, name)) = sink else {
        return write_table(table, out, progress);
    };
    let report = progress.stage(
        &format!(
            "wrote {} rows to table {name} of {}",
            table.num_rows(),
            conn.shown()
        ),
        || clv_data::write_table_postgres(&conn, &name, &table, &run),
    )?;
    progress.say(format!(
        "{name}: {} rows (run {} in clv_runs)",
        report.rows, report.run_id
    ));
    if out.output.is_some() {
        write_table(table, out, progress)?;
    }
    Ok(())
}

/// Writes text to `path` (or stdout).
fn write_text(path: Option<&std::path::Path>, text: &str) -> Result<()> {
    write_to(path, |w: &mut dyn Write| Ok(w.write_all(text.as_bytes())?))?;
    Ok(())
}

/// `clv summarize`.
pub fn summarize(args: &SummarizeArgs, progress: &dyn Progress) -> Result<()> {
    check_outputs(&[args.out.output.as_deref()], &data_inputs(&args.data))?;
    let summary = clv_app::load::summarize(&args.data.settings()?, progress)?;
    write_table(summary.to_table(), &args.out, progress)
}

/// `clv fit`.
pub fn fit(args: &FitArgs, progress: &dyn Progress) -> Result<()> {
    let mut inputs = data_inputs(&args.data);
    inputs.extend([
        args.tables.summary.as_deref(),
        args.tables.subscriptions.as_deref(),
    ]);
    check_outputs(&[args.output.as_deref()], &inputs)?;
    let out = clv_app::fit::fit(&args.settings()?, progress)?;
    write_text(args.output.as_deref(), &out.to_json()?)?;
    if let FitOutput::Model(file) = &out {
        clv_app::fitting::describe(file, progress);
        clv_app::fitting::report_verdict(file, progress);
    }
    Ok(())
}

/// `clv predict`.
pub fn predict(args: &PredictArgs, progress: &dyn Progress) -> Result<()> {
    let mut inputs = data_inputs(&args.data);
    inputs.extend([
        args.tables.summary.as_deref(),
        args.tables.subscriptions.as_deref(),
        args.model_file.as_deref(),
    ]);
    check_outputs(&[args.out.output.as_deref()], &inputs)?;
    let sink = sink_connect(&args.sink)?;
    let settings = args.settings()?;
    let prediction = clv_app::predict::predict(&settings, progress)?;
    let run = clv_data::RunRecord {
        command: "predict".into(),
        model: match (&args.model_file, args.model.model) {
            (Some(path), _) => Some(format!("model file {}", path.display())),
            (None, Some(m)) => Some(m.0.name().to_string()),
            (None, None) => Some("bg-nbd".into()),
        },
        parameters: serde_json::json!({
            "source": source_name(&settings.data),
            "horizon": args.horizon.to_string(),
            "discount_rate": args.discount_rate,
            "margin": args.margin,
            "spend": args.model.spend.map(|s| s.0.name()),
            "intervals": args.intervals,
        })
        .to_string(),
    };
    write_result(prediction.into_table(), &args.out, sink, run, progress)
}

/// Where the transactions came from, as the data report names it (no password).
fn source_name(data: &clv_app::settings::DataSettings) -> Option<String> {
    data.source()
        .ok()
        .map(|(_, path)| path.display().to_string())
}

/// `clv simulate`.
pub fn simulate(args: &SimulateArgs, progress: &dyn Progress) -> Result<()> {
    let settings = args.settings();
    let mut done = None;
    write_to(args.output.as_deref(), |w: &mut dyn Write| {
        done = Some(clv_app::simulate::simulate(&settings, w, progress)?);
        Ok(())
    })?;
    if let Some(s) = done {
        progress.say(format!(
            "wrote {} purchases of {} customers{}",
            s.purchases,
            s.customers,
            args.output
                .as_ref()
                .map(|p| format!(" to {}", p.display()))
                .unwrap_or_default()
        ));
    }
    Ok(())
}

/// `clv economics`.
pub fn economics(args: &EconomicsArgs, progress: &dyn Progress) -> Result<()> {
    let mut inputs = data_inputs(&args.data);
    inputs.extend([
        args.customers.as_deref(),
        args.spend.as_deref(),
        args.model_file.as_deref(),
    ]);
    check_outputs(
        &[
            args.output.as_deref(),
            args.heatmap.as_deref(),
            args.per_customer.as_deref(),
            args.channel_chart.as_deref(),
            args.payback_chart.as_deref(),
        ],
        &inputs,
    )?;
    warn_format_conflict(
        progress,
        args.output.as_deref(),
        args.format.map(|f| match f {
            crate::args::EconomicsFormat::Table => "table",
            crate::args::EconomicsFormat::Json => "json",
            crate::args::EconomicsFormat::Csv => "csv",
        }),
        &["json", "csv"],
    );
    // The report, heatmap, charts and per-customer table appear together or
    // not at all.
    let mut outputs = clv_app::output::OutputSet::new();
    let text = clv_app::economics::economics_staged(&args.settings()?, progress, &mut outputs)?;
    match args.output.as_deref() {
        Some(path) => {
            outputs.stage(path, |w| Ok(w.write_all(text.as_bytes())?))?;
            outputs.commit()?;
            Ok(())
        }
        None => {
            outputs.commit()?;
            write_text(None, &text)
        }
    }
}

/// `clv validate`.
pub fn validate(args: &ValidateArgs, progress: &dyn Progress) -> Result<()> {
    check_outputs(&[args.output.as_deref()], &data_inputs(&args.data))?;
    let format = args.report_format();
    let v = clv_app::validate::validate(&args.settings()?, progress)?;
    let text = match format {
        ValidateFormat::Table => clv_app::validate::table(&v),
        ValidateFormat::Json => {
            let mut s = serde_json::to_string_pretty(&clv_app::validate::json(&v)?)?;
            s.push('\n');
            s
        }
    };
    write_text(args.output.as_deref(), &text)
}

/// `clv segment`.
pub fn segment(args: &SegmentArgs, progress: &dyn Progress) -> Result<()> {
    let mut inputs = args.input.inputs();
    inputs.push(args.segment_map.as_deref());
    check_outputs(&[args.out.output.as_deref()], &inputs)?;
    let mut settings = args.input.settings()?;
    settings.segment_map = args.segment_map.clone();
    settings.windows_days = args.windows.clone();
    let sink = sink_connect(&args.sink)?;
    let scored = clv_app::influence::score(&settings, progress)?;
    progress.say(clv_app::influence::segment_summary(&scored));
    let run = clv_data::RunRecord {
        command: "segment".into(),
        model: Some(scored.model.to_string()),
        parameters: serde_json::json!({
            "source": source_name(&settings.data),
            "horizon": args.input.horizon.to_string(),
            "discount_rate": args.input.discount_rate,
            "margin": args.input.margin,
        })
        .to_string(),
    };
    write_result(
        clv_app::influence::segment_table(&scored),
        &args.out,
        sink,
        run,
        progress,
    )
}

/// `clv actions`: the lists as CSV files in `--out-dir`, and/or as the
/// tables `<sink-table>_<list>` of `--sink` (all replaced in one
/// transaction).
pub fn actions(args: &ActionsArgs, progress: &dyn Progress) -> Result<()> {
    if let Some(out_dir) = &args.out_dir {
        let names = clv_core::actions::ActionList::ALL.map(|l| out_dir.join(l.file_name()));
        let outputs: Vec<Option<&Path>> = names.iter().map(|p| Some(p.as_path())).collect();
        if out_dir.is_dir() {
            check_outputs(&outputs, &args.input.inputs())?;
        } else {
            // Created once the lists are ready; its parent must exist.
            clv_app::actions::check_out_dir(out_dir)?;
        }
    }
    let sink = sink_connect(&args.sink)?;
    let settings = args.input.settings()?;
    let lists = clv_app::actions::actions(&settings, &args.settings(), progress)?;
    if let Some((conn, base)) = sink {
        let tables: Vec<(String, clv_data::Table)> = lists
            .lists
            .iter()
            .map(|(list, rows)| {
                (
                    format!("{base}_{}", list.name()),
                    clv_app::actions::list_table(&lists, rows),
                )
            })
            .collect();
        let named: Vec<(&str, &clv_data::Table)> =
            tables.iter().map(|(n, t)| (n.as_str(), t)).collect();
        let run = clv_data::RunRecord {
            command: "actions".into(),
            model: Some(lists.scored.model.to_string()),
            parameters: serde_json::json!({
                "source": source_name(&settings.data),
                "horizon": args.input.horizon.to_string(),
                "discount_rate": args.input.discount_rate,
                "margin": args.input.margin,
            })
            .to_string(),
        };
        let reports = progress.stage(
            &format!("wrote {} tables to {}", named.len(), conn.shown()),
            || clv_data::write_tables_postgres(&conn, &named, &run),
        )?;
        for r in reports {
            progress.say(format!(
                "{}: {} customers (run {} in clv_runs)",
                r.table, r.rows, r.run_id
            ));
        }
    }
    if let Some(out_dir) = &args.out_dir {
        let counts = clv_app::actions::write_lists(out_dir, &lists)?;
        for (file, rows) in counts {
            progress.say(format!("{file}: {rows} customers",));
        }
    }
    Ok(())
}

/// Writes a report to `--output` or stdout.
fn report(
    out: &crate::args::ReportOutput,
    progress: &dyn Progress,
    make: impl FnOnce(clv_app::settings::ReportFormat) -> clv_app::Result<String>,
) -> Result<()> {
    warn_format_conflict(
        progress,
        out.output.as_deref(),
        out.format.map(|f| match f {
            crate::args::ReportFormat::Table => "table",
            crate::args::ReportFormat::Json => "json",
        }),
        &["json"],
    );
    let text = make(out.settings())?;
    write_text(out.output.as_deref(), &text)
}

/// `clv referrals`.
pub fn referrals(args: &ReferralsArgs, progress: &dyn Progress) -> Result<()> {
    check_outputs(&[args.out.output.as_deref()], &args.input.inputs())?;
    if args.input.customers.is_none() {
        return Err(clv_app::error::usage(
            "clv referrals needs --customers FILE with a referred_by column",
        )
        .into());
    }
    let scored = clv_app::influence::score(&args.input.settings()?, progress)?;
    report(&args.out, progress, |f| {
        clv_app::reports::referrals(&scored, f, args.top)
    })
}

/// `clv engagement`.
pub fn engagement(args: &EngagementArgs, progress: &dyn Progress) -> Result<()> {
    check_outputs(&[args.out.output.as_deref()], &args.input.inputs())?;
    if args.input.events.is_none() {
        return Err(clv_app::error::usage("clv engagement needs --events FILE").into());
    }
    let scored = clv_app::influence::score(&args.input.settings()?, progress)?;
    report(&args.out, progress, |f| {
        clv_app::reports::engagement(&scored, f, args.engaged_min_score)
    })
}

/// `clv profile`.
pub fn profile(args: &ProfileArgs, progress: &dyn Progress) -> Result<()> {
    check_outputs(&[args.out.output.as_deref()], &args.input.inputs())?;
    if args.input.customers.is_none() {
        return Err(clv_app::error::usage("clv profile needs --customers FILE").into());
    }
    let scored = clv_app::influence::score(&args.input.settings()?, progress)?;
    report(&args.out, progress, |f| {
        clv_app::reports::profile(&scored, f, args.min_support)
    })
}

/// `clv serve`: the HTTP API and the dashboard, until Ctrl-C.
pub fn serve(args: &ServeArgs) -> Result<()> {
    if args.jobs == 0 {
        return Err(clv_app::error::usage("--jobs must be at least 1").into());
    }
    if args.max_upload_mb == 0 {
        return Err(clv_app::error::usage("--max-upload-mb must be at least 1").into());
    }
    let token = args
        .token
        .clone()
        .or_else(|| std::env::var("CLV_TOKEN").ok().filter(|t| !t.is_empty()));
    let mut config = clv_server::Config::new(&args.data, token);
    config.max_upload_bytes = args.max_upload_mb.saturating_mul(1 << 20);
    config.workers = args.jobs;
    clv_server::check_bind(&config, args.bind).map_err(|e| clv_app::error::usage(e.to_string()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("starting the server's runtime: {e}"))?;
    runtime
        .block_on(clv_server::serve(config, args.bind))
        .map_err(|e| clv_app::error::usage(e.to_string()))?;
    Ok(())
}
