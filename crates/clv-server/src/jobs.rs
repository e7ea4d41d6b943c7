//! Analyses run as jobs on worker threads, off the async runtime. A job's
//! live state is in memory (progress, stage, messages) and every change of
//! state is written to the database, so a restart finds finished results,
//! and marks as failed what was running.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use utoipa::ToSchema;

use crate::State;

/// What `GET /api/jobs/{id}` answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobStatus {
    /// The analysis id.
    pub id: String,
    /// `queued`, `running`, `done`, `failed` or `cancelled`.
    pub state: String,
    /// From 0 to 1.
    pub progress: f64,
    /// What it is doing (or did last).
    pub stage: String,
    /// Why it failed.
    pub error: Option<String>,
    /// What the analysis reported: the data-quality report, notes, warnings.
    pub messages: Vec<String>,
}

/// A job in memory.
pub struct Job {
    /// Its live status.
    pub status: Mutex<JobStatus>,
    /// Set to ask the job to stop.
    pub cancel: AtomicBool,
}

/// What a worker needs to run an analysis.
pub struct Work {
    /// The analysis id.
    pub id: String,
    /// The datasets it reads (transactions first).
    pub datasets: Vec<String>,
    /// The settings (paths inside the data directory).
    pub settings: clv_app::analysis::AnalysisSettings,
    /// Where the results go once complete.
    pub dir: PathBuf,
    /// The staging directory.
    pub staging: PathBuf,
}

/// The job table and the queue.
pub struct Jobs {
    live: Mutex<HashMap<String, Arc<Job>>>,
    queue: Mutex<Option<mpsc::Sender<Work>>>,
    /// Datasets read by queued or running jobs, with their count.
    in_use: Mutex<HashMap<String, usize>>,
}

impl Jobs {
    /// An empty table.
    pub fn new() -> Jobs {
        Jobs {
            live: Mutex::new(HashMap::new()),
            queue: Mutex::new(None),
            in_use: Mutex::new(HashMap::new()),
        }
    }

    /// The live job of `id`.
    pub fn get(&self, id: &str) -> Option<Arc<Job>> {
        self.live.lock().expect("jobs lock").get(id).cloned()
    }

    /// Whether a queued or running job reads `dataset`.
    pub fn dataset_in_use(&self, dataset: &str) -> bool {
        self.in_use
            .lock()
            .expect("in-use lock")
            .get(dataset)
            .is_some_and(|&n| n > 0)
    }

    fn release(&self, dataset: &str) {
        let mut m = self.in_use.lock().expect("in-use lock");
        if let Some(n) = m.get_mut(dataset) {
            *n -= 1;
            if *n == 0 {
                m.remove(dataset);
            }
        }
    }

    /// Queues a job (the dataset is marked in use until it ends). Call with
    /// the dataset checked under the same lock as deletes (see `State`).
    pub fn submit(&self, work: Work) {
        let job = Arc::new(Job {
            status: Mutex::new(JobStatus {
                id: work.id.clone(),
                state: "queued".into(),
                progress: 0.0,
                stage: "queued".into(),
                error: None,
                messages: Vec::new(),
            }),
            cancel: AtomicBool::new(false),
        });
        self.live
            .lock()
            .expect("jobs lock")
            .insert(work.id.clone(), job);
        {
            let mut m = self.in_use.lock().expect("in-use lock");
            for d in &work.datasets {
                *m.entry(d.clone()).or_insert(0) += 1;
            }
        }
        let tx = self.queue.lock().expect("queue lock").clone();
        if let Some(tx) = tx {
            let _ = tx.send(work);
        }
    }
}

impl Default for Jobs {
    fn default() -> Self {
        Jobs::new()
    }
}

/// Starts `n` worker threads taking jobs from the queue.
pub fn start_workers(state: &Arc<State>, n: usize) {
    let (tx, rx) = mpsc::channel::<Work>();
    *state.jobs.queue.lock().expect("queue lock") = Some(tx);
    let rx = Arc::new(Mutex::new(rx));
    for k in 0..n {
        let rx = rx.clone();
        let state = Arc::downgrade(state);
        std::thread::Builder::new()
            .name(format!("clv-job-{k}"))
            .spawn(move || {
                loop {
                    let work = {
                        let rx = rx.lock().expect("queue lock");
                        rx.recv_timeout(Duration::from_millis(200))
                    };
                    match work {
                        Ok(work) => {
                            let Some(state) = state.upgrade() else { return };
                            run(&state, work);
                        }
                        Err(mpsc::RecvTimeoutError::Timeout) => {
                            if state.strong_count() == 0 {
                                return;
                            }
                        }
                        Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    }
                }
            })
            .expect("a worker thread");
    }
}

/// Receives an analysis's reports.
struct JobProgress {
    job: Arc<Job>,
    data_dir: PathBuf,
}

/// The stages of an analysis and the progress when each is done.
const STAGES: &[(&str, f64)] = &[
    ("read and summarised", 0.15),
    ("fitted", 0.35),
    ("scored", 0.55),
    ("drew", 0.65),
    ("validated", 0.85),
];

impl clv_app::Progress for JobProgress {
    fn message(&self, text: &str) {
        let mut s = self.job.status.lock().expect("status lock");
        if s.messages.len() < 200 {
            s.messages.push(crate::scrub_paths(text, &self.data_dir));
        }
    }
    fn stage_finished(&self, what: &str, took: Duration) {
        let mut s = self.job.status.lock().expect("status lock");
        for (prefix, p) in STAGES {
            if what.starts_with(prefix) && *p > s.progress {
                s.progress = *p;
            }
        }
        let what = crate::scrub_paths(what, &self.data_dir);
        if s.messages.len() < 200 {
            s.messages
                .push(format!("{what} ({:.2} s)", took.as_secs_f64()));
        }
        s.stage = what;
    }
}

fn set(state: &State, job: &Job, st: &str, progress: f64, stage: &str, error: Option<String>) {
    let finished = matches!(st, "done" | "failed" | "cancelled");
    {
        let mut s = job.status.lock().expect("status lock");
        // A cancel already answered stays cancelled.
        if s.state == "cancelled" && st != "cancelled" {
            return;
        }
        s.state = st.into();
        s.progress = progress;
        s.stage = stage.into();
        s.error = error.clone();
    }
    let id = job.status.lock().expect("status lock").id.clone();
    if let Err(e) = state
        .store
        .set_state(&id, st, progress, stage, error.as_deref(), finished)
    {
        eprintln!("clv serve: recording the state of {id}: {e}");
    }
}

/// The message a client sees for an analysis error: the user's errors as
/// they are (with the data directory's paths replaced by dataset names),
/// internal ones as "internal error".
pub fn client_message(state: &State, e: &clv_app::Error) -> String {
    if e.is_user_error() {
        state.scrub(&e.to_string())
    } else {
        eprintln!("clv serve: analysis failed: {e}");
        "internal error while analysing; the server's log has the details".into()
    }
}

fn run(state: &State, work: Work) {
    let Some(job) = state.jobs.get(&work.id) else {
        return;
    };
    if job.cancel.load(Ordering::SeqCst) {
        for d in &work.datasets {
            state.jobs.release(d);
        }
        return;
    }
    set(state, &job, "running", 0.02, "reading the data", None);
    let progress = JobProgress {
        job: job.clone(),
        data_dir: state.config.data_dir.clone(),
    };
    let cancelled = || job.cancel.load(Ordering::SeqCst);
    let _ = std::fs::remove_dir_all(&work.staging);
    let outcome = std::fs::create_dir_all(&work.staging)
        .map_err(|e| clv_app::Error::Failed(format!("creating the results directory: {e}")))
        .and_then(|()| {
            let mut settings = work.settings.clone();
            settings.model_path = work.staging.join("model.json");
            clv_app::analysis::run(&settings, &progress, &cancelled)
        });
    match outcome {
        Ok(analysis) => {
            if cancelled() {
                let _ = std::fs::remove_dir_all(&work.staging);
                set(state, &job, "cancelled", 0.0, "cancelled", None);
            } else {
                set(state, &job, "running", 0.9, "writing the results", None);
                let written =
                    crate::results::write_all(&work.staging, &analysis, &work.settings, &|m| {
                        state.scrub(m)
                    })
                    .and_then(|()| {
                        std::fs::rename(&work.staging, &work.dir).map_err(|e| e.to_string())
                    });
                match written {
                    Ok(()) => set(state, &job, "done", 1.0, "done", None),
                    Err(e) => {
                        eprintln!("clv serve: writing the results of {}: {e}", work.id);
                        let _ = std::fs::remove_dir_all(&work.staging);
                        set(
                            state,
                            &job,
                            "failed",
                            0.0,
                            "failed",
                            Some("internal error while writing the results".into()),
                        );
                    }
                }
            }
        }
        Err(clv_app::Error::Cancelled) => {
            let _ = std::fs::remove_dir_all(&work.staging);
            set(state, &job, "cancelled", 0.0, "cancelled", None);
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&work.staging);
            let msg = client_message(state, &e);
            set(state, &job, "failed", 0.0, "failed", Some(msg));
        }
    }
    for d in &work.datasets {
        state.jobs.release(d);
    }
}
