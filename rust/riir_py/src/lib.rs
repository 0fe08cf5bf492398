//! `riir_airflow._core`: the thin pyo3 layer over `riir_core`.
//!
//! Each exposed area lives in its own file; errors become the Airflow exception classes defined once in
//! `riir_airflow.exceptions` (see `errors.rs`).

use pyo3::prelude::*;

mod errors;
mod graph;
mod json;
mod layout;
mod manifest;
mod plan;
mod schedule;
mod task_document;

/// The Python module `riir_airflow._core`.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Checked by riir_airflow/__init__.py so a stale build is caught at import time.
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    graph::register(m)?;
    json::register(m)?;
    manifest::register(m)?;
    layout::register(m)?;
    plan::register(m)?;
    schedule::register(m)?;
    task_document::register(m)?;
    Ok(())
}
