//! # clv-server: `clv serve`
//!
//! The HTTP API the CRM calls and the web dashboard the marketing team
//! looks at, served by one binary: a thin front end over the application
//! layer ([`clv_app`]), like the CLI.
//!
//! - **Storage**: everything under the data directory: uploaded datasets
//!   under `datasets/`, each analysis's results under `analyses/ID/`, and
//!   the metadata and job states in an embedded SQLite database
//!   (`clv.sqlite`). A restart loses nothing: finished results are still
//!   there, and analyses that were running are marked failed with the
//!   reason.
//! - **Jobs**: analyses run on worker threads, off the async runtime, report
//!   their progress, and can be cancelled ([`jobs`]).
//! - **Security**: with a token, every write and every customer-level read
//!   needs `Authorization: Bearer TOKEN` (401 without it, 403 with a wrong
//!   one; compared in constant time). Without a token the server refuses to
//!   bind anything but loopback. Bodies are size-limited, dataset names
//!   validated, errors never carry paths, and no CORS header is sent.
//! - **Interface**: described by the OpenAPI 3.1 document at
//!   `/openapi.json`, generated from the code ([`api::ApiDoc`]).

pub mod api;
mod assets;
pub mod error;
mod explain;
pub mod jobs;
pub mod results;
pub mod store;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use hashbrown::HashMap;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The data directory (created when missing).
    pub data_dir: PathBuf,
    /// The token protected calls need; `None`: no protection (loopback only).
    pub token: Option<String>,
    /// Largest upload, in bytes.
    pub max_upload_bytes: u64,
    /// Analyses run at once.
    pub workers: usize,
}

impl Config {
    /// The defaults: 1 GiB uploads, two analyses at once.
    pub fn new(data_dir: impl Into<PathBuf>, token: Option<String>) -> Config {
        Config {
            data_dir: data_dir.into(),
            token,
            max_upload_bytes: 1 << 30,
            workers: 2,
        }
    }
}

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Without a token only loopback addresses may be bound.
    #[error(
        "refusing to listen on {0} without a token: give --token TOKEN (or set CLV_TOKEN), or bind a loopback address such as 127.0.0.1:8080"
    )]
    NoTokenOffLoopback(SocketAddr),
    /// An empty token.
    #[error("the token is empty: give a token of at least 16 characters")]
    WeakToken,
    /// The data directory or database could not be opened.
    #[error("cannot use the data directory {path}: {message}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// The server's shared state.
pub struct State {
    /// The configuration.
    pub config: Config,
    /// The metadata database.
    pub store: store::Store,
    /// The jobs.
    pub jobs: jobs::Jobs,
    /// Finished analyses loaded in memory.
    pub loaded: Mutex<HashMap<String, Arc<results::Loaded>>>,
    /// Held while a dataset is created, deleted or claimed by a job.
    pub datasets_lock: Mutex<()>,
    /// Analyses marked failed at start-up because the server had stopped
    /// while they ran.
    pub interrupted: usize,
}

impl State {
    /// Opens the data directory, its database and starts the workers.
    pub fn open(config: Config) -> Result<Arc<State>, StartError> {
        let dir = &config.data_dir;
        let err = |m: String| StartError::DataDir {
            path: dir.clone(),
            message: m,
        };
        for sub in ["datasets", "analyses", "tmp"] {
            std::fs::create_dir_all(dir.join(sub)).map_err(|e| err(e.to_string()))?;
        }
        // Leftovers of an upload or a job that did not finish.
        for sub in ["tmp", "analyses"] {
            if let Ok(entries) = std::fs::read_dir(dir.join(sub)) {
                for e in entries.flatten() {
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    if sub == "tmp" || name.starts_with('.') {
                        let p = e.path();
                        let _ = std::fs::remove_dir_all(&p).or_else(|_| std::fs::remove_file(&p));
                    }
                }
            }
        }
        let (store, interrupted) =
            store::Store::open(&dir.join("clv.sqlite")).map_err(|e| err(e.to_string()))?;
        let workers = config.workers.max(1);
        let state = Arc::new(State {
            config,
            store,
            jobs: jobs::Jobs::new(),
            loaded: Mutex::new(HashMap::new()),
            datasets_lock: Mutex::new(()),
            interrupted,
        });
        jobs::start_workers(&state, workers);
        Ok(state)
    }

    /// The file of a dataset.
    pub fn dataset_path(&self, name: &str, format: &str) -> PathBuf {
        self.config
            .data_dir
            .join("datasets")
            .join(format!("{name}.{format}"))
    }

    /// The directory of an analysis's results.
    pub fn analysis_dir(&self, id: &str) -> PathBuf {
        self.config.data_dir.join("analyses").join(id)
    }

    /// Replaces the data directory's paths in a message by what the client
    /// knows (dataset names), so that no message shows where files live.
    pub fn scrub(&self, msg: &str) -> String {
        api_words(&scrub_paths(msg, &self.config.data_dir))
    }
}

/// The application layer speaks of the CLI's flags; through the API the
/// same settings are JSON fields (`--margin` is `margin`, `--spend-file` is
/// `spend_file`, ...).
pub fn api_words(msg: &str) -> String {
    const FLAGS: &[(&str, &str)] = &[
        ("--calibration-end", "calibration_end"),
        ("--observation-end", "observation_end"),
        ("--discount-rate", "discount_rate"),
        ("--spend-file", "spend_file"),
        ("--customer-col", "customer_col"),
        ("--date-col", "date_col"),
        ("--amount-col", "amount_col"),
        ("--date-format", "date_format"),
        ("--customers", "customers"),
        ("--horizon", "horizon"),
        ("--margin", "margin"),
        ("--events", "events"),
        ("--model", "model"),
        ("--spend", "spend"),
    ];
    let mut out = msg.to_string();
    for (flag, field) in FLAGS {
        out = out.replace(flag, field);
    }
    out
}

/// Replaces `DIR/datasets/NAME.EXT` by `NAME.EXT` (the dataset as uploaded)
/// and any other path under `dir` by its file name.
pub fn scrub_paths(msg: &str, dir: &Path) -> String {
    let mut out = msg.to_string();
    for sub in ["datasets", "tmp", "analyses"] {
        let prefix = format!("{}/", dir.join(sub).display());
        while let Some(i) = out.find(&prefix) {
            let rest = &out[i + prefix.len()..];
            let end = rest
                .find(|c: char| c.is_whitespace() || c == ':' || c == ',' || c == ')')
                .unwrap_or(rest.len());
            let tail = rest[..end].rsplit('/').next().unwrap_or("").to_string();
            out.replace_range(i..i + prefix.len() + end, &tail);
        }
    }
    let d = dir.display().to_string();
    if !d.is_empty() {
        out = out.replace(&d, "(data directory)");
    }
    out
}

/// Serves until Ctrl-C (or SIGTERM).
pub async fn serve(config: Config, addr: SocketAddr) -> Result<(), StartError> {
    check_bind(&config, addr)?;
    let state = State::open(config)?;
    if state.interrupted > 0 {
        eprintln!(
            "clv serve: {} analyses were running when the server last stopped; they are marked failed",
            state.interrupted
        );
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })?;
    let local = listener.local_addr().unwrap_or(addr);
    eprintln!(
        "clv serve: listening on http://{local} (data in {}, {})",
        state.config.data_dir.display(),
        if state.config.token.is_some() {
            "token required for writes and customer data"
        } else {
            "no token: loopback only"
        }
    );
    let app = api::router(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(|source| StartError::Bind { addr, source })
}

/// Checks the token and the address before anything starts.
pub fn check_bind(config: &Config, addr: SocketAddr) -> Result<(), StartError> {
    match &config.token {
        None if !addr.ip().is_loopback() => Err(StartError::NoTokenOffLoopback(addr)),
        Some(t) if t.trim().is_empty() => Err(StartError::WeakToken),
        _ => Ok(()),
    }
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    futures::future::select(Box::pin(ctrl_c), Box::pin(term)).await;
}
