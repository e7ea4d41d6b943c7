//! The user guide's examples run as tests, so they cannot drift from what
//! `clv` prints.
//!
//! Every ```` ```console ```` block of `README.md` and `docs/*.md` is a
//! [trycmd] case: `$ clv ...` lines are commands (`> ` continues one), the
//! lines after them are the expected output (stdout and stderr together),
//! `? 2` expects that exit code, `...` on its own line skips lines and `[..]`
//! skips part of a line (timings, say). The commands of one page run in
//! order, in one sandbox directory holding a copy of the repository's
//! `data/` and `docs/examples/`, so a page reads like a session started at the repository root
//! (`clv fit data/cdnow_sample.csv ... --output model.json`, then `clv
//! predict ... --model-file model.json`) and writes nothing into the
//! repository. Blocks marked `text`, `sh` or `rust` are not run.
//!
//! To regenerate every example after the output changed, one command:
//!
//! ```sh
//! TRYCMD=overwrite cargo test -p clv-cli --test docs
//! ```
//!
//! and review the diff of `README.md` and `docs/`.

use std::path::{Path, PathBuf};

/// The repository root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// The pages whose examples run: `README.md` and every `docs/*.md`.
fn pages() -> Vec<PathBuf> {
    let root = root();
    let mut pages = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// The directories of the repository the examples read, copied into each
/// page's working directory: the bundled data and the guide's small example
/// files (bad input, say).
const INPUTS: &[&str] = &["data", "docs/examples"];

/// The programs a page may run besides `clv`: those that show a file.
const TOOLS: &[&str] = &["head"];

/// Finds a program on `PATH`.
fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The commands of a page's ```` ```console ```` blocks (with their line
/// numbers), as trycmd reads them: `$ ` starts one, `> ` continues it.
fn commands(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut in_console = false;
    let mut in_other = false;
    for (i, line) in text.lines().enumerate() {
        // trycmd reads only fences at the start of a line (not indented).
        let trimmed = line;
        if trimmed.starts_with("```") {
            if in_console || in_other {
                in_console = false;
                in_other = false;
            } else {
                let info = trimmed.trim_start_matches('`').trim();
                let lang = info.split([',', ' ']).next().unwrap_or("");
                if lang == "console" || lang == "trycmd" {
                    in_console = true;
                } else {
                    in_other = true;
                }
            }
            continue;
        }
        if !in_console {
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            out.push((i + 1, cmd.to_string()));
        } else if let Some(more) = line.strip_prefix("> ")
            && let Some(last) = out.last_mut()
        {
            last.1.push(' ');
            last.1.push_str(more);
        }
    }
    out
}

/// Lays out what trycmd needs beside each page: `PAGE.in/` (the working
/// directory: a copy of `data/` and `docs/examples/`) and `PAGE.out/` (which turns on the
/// sandbox, so the commands write into a temporary copy of `PAGE.in/`). The
/// page itself is a symbolic link to the real one, so `TRYCMD=overwrite`
/// rewrites the real page.
fn stage() -> PathBuf {
    let root = root();
    let stage = Path::new(env!("CARGO_TARGET_TMPDIR")).join("docs-examples");
    let _ = std::fs::remove_dir_all(&stage);
    for page in pages() {
        let rel = page.strip_prefix(&root).unwrap();
        let link = stage.join(rel);
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(&page, &link).unwrap();
        for dir in INPUTS {
            let copy = link.with_extension("in").join(dir);
            std::fs::create_dir_all(&copy).unwrap();
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let from = entry.unwrap().path();
                if from.is_file() {
                    std::fs::copy(&from, copy.join(from.file_name().unwrap())).unwrap();
                }
            }
        }
        let out = link.with_extension("out");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join(".keep"), "").unwrap();
    }
    stage
}

#[test]
fn doc_examples_print_what_clv_prints() {
    let stage = stage();
    let cases = trycmd::TestCases::new();
    cases
        .register_bin("clv", Path::new(env!("CARGO_BIN_EXE_clv")))
        .default_bin_name("clv")
        .env("NO_COLOR", "1")
        .case(stage.join("README.md"))
        .case(stage.join("docs/*.md"));
    for tool in TOOLS {
        let path = which(tool).unwrap_or_else(|| panic!("{tool} is not on PATH"));
        cases.register_bin(*tool, path);
    }
    eprintln!(
        "If an example's output changed on purpose, regenerate every example with\n  \
         TRYCMD=overwrite cargo test -p clv-cli --test docs\nand review the diff."
    );
    cases.run();
    if std::env::var_os("TRYCMD").is_some_and(|m| m == "overwrite") {
        for page in pages() {
            let text = std::fs::read_to_string(&page).unwrap();
            let text_masked = masked(&text);
            if text_masked != text {
                std::fs::write(&page, text_masked).unwrap();
            }
        }
    }
}

/// trycmd skips, without failing, a command whose program it does not know;
/// every command of the guide must be one that runs.
#[test]
fn doc_examples_run_only_clv_and_the_registered_tools() {
    let mut found = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for (line, cmd) in commands(&text) {
            let program = cmd.split_whitespace().next().unwrap_or("");
            assert!(
                program == "clv" || TOOLS.contains(&program),
                "{}:{line}: `{cmd}` runs {program:?}, which the docs test does not run \
                 (use a ```text block, or add the program to TOOLS in tests/docs.rs)",
                page.display()
            );
            found += 1;
        }
    }
    assert!(
        found > 20,
        "only {found} example commands found in the guide"
    );
}

/// A line with its timings written with `[..]`, the trycmd wildcard:
/// `[  0.04s]` as `[..]`, `(0.01s)` as `([..])`.
fn mask_timings(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find(['[', '(']) {
        let open = rest.as_bytes()[at] as char;
        let close = if open == '[' { ']' } else { ')' };
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        if let Some(end) = rest.find(close) {
            let inner = &rest[..end];
            let is_timing = inner
                .strip_suffix('s')
                .is_some_and(|n| n.trim().contains('.') && n.trim().parse::<f64>().is_ok());
            if is_timing {
                out.push_str(if open == '[' { ".." } else { "[..]" });
                rest = &rest[end..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The page with the timings of its ```` ```console ```` blocks masked.
fn masked(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_console = false;
    let mut in_other = false;
    for line in text.split_inclusive('\n') {
        let trimmed = line;
        if trimmed.starts_with("```") {
            if in_console || in_other {
                (in_console, in_other) = (false, false);
            } else if trimmed
                .trim_start_matches('`')
                .trim()
                .starts_with("console")
            {
                in_console = true;
            } else {
                in_other = true;
            }
            out.push_str(line);
        } else if in_console {
            out.push_str(&mask_timings(line));
        } else {
            out.push_str(line);
        }
    }
    out
}

/// Timings differ on every run: a checked example shows them as `[..]`
/// (`TRYCMD=overwrite` masks them after rewriting the pages).
#[test]
fn doc_examples_elide_timings() {
    if std::env::var_os("TRYCMD").is_some() {
        return; // the pages are being rewritten (and masked) by the run above
    }
    assert_eq!(
        mask_timings("[  0.04s] read data/x.csv (0.01s), 2.5 s"),
        "[..] read data/x.csv ([..]), 2.5 s"
    );
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let want = masked(&text);
        for (i, (have, want)) in text.lines().zip(want.lines()).enumerate() {
            assert_eq!(
                have,
                want,
                "{}:{}: a timing in a checked example changes on every run; write it as [..]",
                page.display(),
                i + 1
            );
        }
    }
}

/// Relative links between the pages (and to files of the repository) point
/// at something that exists.
#[test]
fn doc_links_point_at_files_that_exist() {
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let dir = page.parent().unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let Some(end) = rest.find(')') else { break };
            let target = &rest[..end];
            rest = &rest[end..];
            if target.contains("://") || target.starts_with('#') || target.starts_with("mailto:") {
                continue;
            }
            let file = target.split('#').next().unwrap();
            assert!(
                dir.join(file).exists(),
                "{}: the link ({target}) points at nothing",
                page.display()
            );
        }
    }
}

/// `data/subscribers.csv` (the sBG examples' input) is the published survivor
/// table's years 0-7, one row per subscriber, as `data/README.md` says.
#[test]
fn bundled_subscribers_are_the_published_survivor_table() {
    let root = root();
    let table = std::fs::read_to_string(root.join("data/retention_fader_hardie_2007.csv")).unwrap();
    let subscribers = std::fs::read_to_string(root.join("data/subscribers.csv")).unwrap();
    let mut lines = subscribers.lines();
    assert_eq!(lines.next(), Some("customer_id,duration,churned,cohort"));
    // (cohort, duration, churned) -> subscribers
    let mut counts = std::collections::BTreeMap::<(String, u32, bool), u32>::new();
    let mut ids = std::collections::BTreeSet::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        assert!(ids.insert(f[0].to_string()), "customer {} twice", f[0]);
        let key = (f[3].to_string(), f[1].parse().unwrap(), f[2] == "true");
        *counts.entry(key).or_default() += 1;
    }
    let rows: Vec<Vec<u32>> = table
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    for (col, cohort) in [(1, "regular"), (2, "high_end")] {
        for year in 1..=7 {
            let lost = rows[year - 1][col] - rows[year][col];
            let got = counts
                .get(&(cohort.to_string(), year as u32, true))
                .copied()
                .unwrap_or(0);
            assert_eq!(got, lost, "{cohort}: churned in year {year}");
        }
        let alive = counts
            .get(&(cohort.to_string(), 7, false))
            .copied()
            .unwrap_or(0);
        assert_eq!(
            alive, rows[7][col],
            "{cohort}: still subscribed after year 7"
        );
    }
    assert_eq!(ids.len(), 2000);
}

/// `data/donations.csv` is the published donations table (11,104 donors, six
/// opportunities) in the summary format `clv fit --summary` reads.
#[test]
fn bundled_donations_are_the_published_table_in_summary_format() {
    let text = std::fs::read_to_string(root().join("data/donations.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("frequency,recency,T,weight"));
    let mut donors = 0;
    let mut rows = 0;
    for line in lines {
        let f: Vec<u32> = line.split(',').map(|v| v.parse().unwrap()).collect();
        assert_eq!(f[2], 6, "six opportunities: {line}");
        assert!(
            f[0] <= f[1] && f[1] <= 6,
            "frequency <= recency <= 6: {line}"
        );
        donors += f[3];
        rows += 1;
    }
    assert_eq!((rows, donors), (22, 11_104));
}
