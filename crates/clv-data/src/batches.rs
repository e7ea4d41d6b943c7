//! Purchase rows already in memory as Arrow record batches: a data frame
//! handed over through the Arrow C stream interface (pandas, polars,
//! pyarrow in the Python module), or batches a program built itself.
//!
//! The three mapped columns are found by name (exactly, else the one that
//! matches ignoring ASCII case, as for files) and converted by the same
//! code as the DataFusion reader's batches, so every type a Parquet file
//! may hold is accepted here too. A bad value is reported with its 1-based
//! row among all the batches' rows (`orders: row 3: column "amount": ...`).

use datafusion::arrow::record_batch::RecordBatch;

use crate::error::{DataError, Location, Result};
use crate::read::{date_hint_for, problem_error};
use crate::rows::{PartBuilder, partitions};
use crate::source::{ReadContext, Rows, Source};

/// A transaction log held as Arrow record batches (see the module
/// documentation).
#[derive(Debug, Clone)]
pub struct BatchSource {
    name: String,
    batches: Vec<RecordBatch>,
}

impl BatchSource {
    /// The batches under `name` (used in messages and the data report, as a
    /// file's name is). The batches must share one schema.
    pub fn new(name: impl Into<String>, batches: Vec<RecordBatch>) -> Self {
        BatchSource {
            name: name.into(),
            batches,
        }
    }

    /// The number of rows in all batches.
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

impl Source for BatchSource {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn read<'s>(&'s self, ctx: &ReadContext<'_>) -> Result<Rows<'s>> {
        let read = ctx.options();
        let columns = read.columns();
        let name = self.name.clone();
        let names: Vec<String> = match self.batches.first() {
            Some(b) => b
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect(),
            None => Vec::new(),
        };
        let idx = if self.batches.is_empty() {
            [0usize; 3]
        } else {
            crate::engine::find_columns(&names, &columns, &name)?
        };
        let cols = columns.map(|c| c.to_string());
        let mut b = PartBuilder::new(&[], partitions(ctx.threads()));
        let mut row0 = 0u64;
        for batch in &self.batches {
            let projected = batch
                .project(&idx)
                .map_err(|e| DataError::engine(format!("{name}: selecting the columns"), e))?;
            if let Err(p) = crate::engine::convert_batch(
                &projected,
                &mut b,
                &ctx.validator,
                row0,
                &name,
                &cols,
            )? {
                let at = Location::Row {
                    file: name.clone(),
                    row: p.pos + 1,
                };
                return Err(problem_error(
                    &p,
                    at,
                    &columns,
                    &date_hint_for(&ctx.validator.dates),
                ));
            }
            row0 += batch.num_rows() as u64;
        }
        let part = b.finish();
        Rows::from_parts(
            read,
            &ctx.validator.dates,
            name.clone(),
            "Arrow reader",
            vec![part],
            |pos| {
                Ok(Location::Row {
                    file: name.clone(),
                    row: pos + 1,
                })
            },
        )
    }
}
