//! Metadata in an embedded SQLite database (`clv.sqlite` in the data
//! directory): the datasets and the analyses with their job state. Files
//! (datasets, results) live beside it; the database says which exist.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};

/// A stored dataset.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Dataset {
    /// Its name (`[A-Za-z0-9_-]{1,64}`).
    pub name: String,
    /// What it holds: `transactions` (the only kind analyses read today).
    pub kind: String,
    /// `csv` or `parquet`.
    pub format: String,
    /// Size of the file in bytes.
    pub bytes: u64,
    /// Rows read.
    pub rows: u64,
    /// Customers found.
    pub customers: u64,
    /// When it was uploaded (RFC 3339, UTC).
    pub uploaded_at: String,
    /// The data-quality report of the upload.
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
    /// The column names and reading options the upload was checked with
    /// (analyses read the dataset with the same).
    #[schema(value_type = Object)]
    pub columns: serde_json::Value,
}

/// An analysis and its job.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AnalysisRecord {
    /// Its id.
    pub id: String,
    /// The dataset it reads.
    pub dataset: String,
    /// `queued`, `running`, `done`, `failed` or `cancelled`.
    pub state: String,
    /// From 0 to 1.
    pub progress: f64,
    /// What it is doing (or did last).
    pub stage: String,
    /// Why it failed.
    pub error: Option<String>,
    /// The options it was started with.
    #[schema(value_type = Object)]
    pub options: serde_json::Value,
    /// When it was started (RFC 3339, UTC).
    pub created_at: String,
    /// When it ended.
    pub finished_at: Option<String>,
}

/// The database.
pub struct Store {
    conn: Mutex<Connection>,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Store {
    /// Opens (or creates) the database; analyses that were queued or
    /// running when the server stopped are marked failed, with the reason.
    pub fn open(path: &Path) -> rusqlite::Result<(Store, usize)> {
        let conn = Connection::open(path)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS datasets (
                 name TEXT PRIMARY KEY, kind TEXT NOT NULL, format TEXT NOT NULL,
                 bytes INTEGER NOT NULL, rows INTEGER NOT NULL, customers INTEGER NOT NULL,
                 uploaded_at TEXT NOT NULL, report TEXT NOT NULL, columns TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS analyses (
                 id TEXT PRIMARY KEY, dataset TEXT NOT NULL, state TEXT NOT NULL,
                 progress REAL NOT NULL, stage TEXT NOT NULL, error TEXT,
                 options TEXT NOT NULL, created_at TEXT NOT NULL, finished_at TEXT);",
        )?;
        let interrupted = conn.execute(
            "UPDATE analyses SET state = 'failed', finished_at = ?1,
                 error = 'the server stopped before this analysis finished; start it again'
             WHERE state IN ('queued', 'running')",
            params![now()],
        )?;
        Ok((
            Store {
                conn: Mutex::new(conn),
            },
            interrupted,
        ))
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a dataset.
    pub fn insert_dataset(&self, d: &Dataset) -> ApiResult<()> {
        let n = self.conn().execute(
            "INSERT OR IGNORE INTO datasets VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                d.name,
                d.kind,
                d.format,
                d.bytes as i64,
                d.rows as i64,
                d.customers as i64,
                d.uploaded_at,
                d.report.to_string(),
                d.columns.to_string()
            ],
        )?;
        if n == 0 {
            return Err(ApiError::Conflict(format!(
                "a dataset named {} exists; delete it first or choose another name",
                d.name
            )));
        }
        Ok(())
    }

    fn dataset_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Dataset> {
        let report: String = r.get(7)?;
        let columns: String = r.get(8)?;
        Ok(Dataset {
            name: r.get(0)?,
            kind: r.get(1)?,
            format: r.get(2)?,
            bytes: r.get::<_, i64>(3)? as u64,
            rows: r.get::<_, i64>(4)? as u64,
            customers: r.get::<_, i64>(5)? as u64,
            uploaded_at: r.get(6)?,
            report: serde_json::from_str(&report).unwrap_or(serde_json::Value::Null),
            columns: serde_json::from_str(&columns).unwrap_or(serde_json::Value::Null),
        })
    }

    /// Every dataset, by name.
    pub fn datasets(&self) -> ApiResult<Vec<Dataset>> {
        let conn = self.conn();
        let mut st = conn.prepare("SELECT * FROM datasets ORDER BY name")?;
        let rows = st.query_map([], Self::dataset_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One dataset.
    pub fn dataset(&self, name: &str) -> ApiResult<Option<Dataset>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT * FROM datasets WHERE name = ?1",
                params![name],
                Self::dataset_row,
            )
            .optional()?)
    }

    /// Forgets a dataset; false when there was none.
    pub fn delete_dataset(&self, name: &str) -> ApiResult<bool> {
        Ok(self
            .conn()
            .execute("DELETE FROM datasets WHERE name = ?1", params![name])?
            > 0)
    }

    /// Records a new queued analysis.
    pub fn insert_analysis(&self, a: &AnalysisRecord) -> ApiResult<()> {
        self.conn().execute(
            "INSERT INTO analyses VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                a.id,
                a.dataset,
                a.state,
                a.progress,
                a.stage,
                a.error,
                a.options.to_string(),
                a.created_at,
                a.finished_at
            ],
        )?;
        Ok(())
    }

    /// Updates a job's state; `finished` stamps the end time.
    pub fn set_state(
        &self,
        id: &str,
        state: &str,
        progress: f64,
        stage: &str,
        error: Option<&str>,
        finished: bool,
    ) -> ApiResult<()> {
        let fin = finished.then(now);
        self.conn().execute(
            "UPDATE analyses SET state = ?2, progress = ?3, stage = ?4, error = ?5,
                 finished_at = COALESCE(?6, finished_at) WHERE id = ?1",
            params![id, state, progress, stage, error, fin],
        )?;
        Ok(())
    }

    fn analysis_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AnalysisRecord> {
        let options: String = r.get(6)?;
        Ok(AnalysisRecord {
            id: r.get(0)?,
            dataset: r.get(1)?,
            state: r.get(2)?,
            progress: r.get(3)?,
            stage: r.get(4)?,
            error: r.get(5)?,
            options: serde_json::from_str(&options).unwrap_or(serde_json::Value::Null),
            created_at: r.get(7)?,
            finished_at: r.get(8)?,
        })
    }

    /// Every analysis, newest first.
    pub fn analyses(&self) -> ApiResult<Vec<AnalysisRecord>> {
        let conn = self.conn();
        let mut st = conn.prepare("SELECT * FROM analyses ORDER BY created_at DESC, id")?;
        let rows = st.query_map([], Self::analysis_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One analysis.
    pub fn analysis(&self, id: &str) -> ApiResult<Option<AnalysisRecord>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT * FROM analyses WHERE id = ?1",
                params![id],
                Self::analysis_row,
            )
            .optional()?)
    }

    /// Forgets an analysis.
    pub fn delete_analysis(&self, id: &str) -> ApiResult<bool> {
        Ok(self
            .conn()
            .execute("DELETE FROM analyses WHERE id = ?1", params![id])?
            > 0)
    }

    /// The time now, as stored.
    pub fn now() -> String {
        now()
    }
}
