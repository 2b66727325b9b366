//! `minqing sql`: DataFusion over the warehouse tables.

use arrow::record_batch::RecordBatch;
use datafusion::prelude::{ParquetReadOptions, SessionContext};

use super::Warehouse;
use crate::Result;

/// How query results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Csv,
    Json,
}

/// Register every table that has committed parts, under its own name.
pub async fn register_all(ctx: &SessionContext, wh: &Warehouse) -> Result<Vec<String>> {
    let tables = wh.tables()?;
    for t in &tables {
        let dir = wh.table_dir(t);
        let opts = ParquetReadOptions::default().file_extension(".parquet");
        ctx.register_parquet(t.as_str(), dir.to_string_lossy().as_ref(), opts).await?;
    }
    Ok(tables)
}

/// Run one SQL statement and collect the result.
pub async fn query(wh: &Warehouse, sql: &str) -> Result<Vec<RecordBatch>> {
    let ctx = SessionContext::new();
    register_all(&ctx, wh).await?;
    let df = ctx.sql(sql).await?;
    Ok(df.collect().await?)
}

/// Render batches in the chosen format.
pub fn render(batches: &[RecordBatch], format: OutputFormat) -> Result<String> {
    Ok(match format {
        OutputFormat::Table => arrow::util::pretty::pretty_format_batches(batches)?.to_string(),
        OutputFormat::Csv => {
            let mut buf = vec![];
            {
                let mut w = arrow::csv::WriterBuilder::new().with_header(true).build(&mut buf);
                for b in batches {
                    w.write(b)?;
                }
            }
            String::from_utf8_lossy(&buf).into_owned()
        }
        OutputFormat::Json => {
            let mut w = arrow::json::LineDelimitedWriter::new(vec![]);
            for b in batches {
                w.write(b)?;
            }
            w.finish()?;
            String::from_utf8_lossy(&w.into_inner()).into_owned()
        }
    })
}
