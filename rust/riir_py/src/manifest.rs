//! Directory manifests for directory assets: `_core.snapshot_directory`, `_core.stored_manifest_diff`,
//! `_core.read_stored_manifest` and `_core.check_datum_glob`. Each is one coarse call that runs without the GIL.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyValueError};
use pyo3::prelude::*;
use riir_core::manifest::{self, ManifestError};

fn to_py(err: ManifestError) -> PyErr {
    let message = err.to_string();
    match err {
        ManifestError::BadGlob { .. } | ManifestError::BadId { .. } => PyValueError::new_err(message),
        ManifestError::Io { not_found: true, .. } => PyFileNotFoundError::new_err(message),
        ManifestError::Io { .. } => PyOSError::new_err(message),
    }
}

/// Scans `root`, stores its manifest under `objects` and refreshes the memo at `memo_path`.
/// Returns (manifest id, files listed, files read and hashed).
#[pyfunction]
fn snapshot_directory(
    py: Python<'_>,
    root: PathBuf,
    datum_glob: String,
    memo_path: PathBuf,
    objects: PathBuf,
) -> PyResult<(String, usize, usize)> {
    let info = py.detach(move || manifest::snapshot(&root, &datum_glob, &memo_path, &objects)).map_err(to_py)?;
    Ok((info.manifest_id, info.files, info.hashed))
}

/// (added, modified, removed) from stored manifest `old_id` (None: nothing seen yet) to `new_id`.
#[pyfunction]
#[pyo3(signature = (objects, old_id, new_id))]
fn stored_manifest_diff(
    py: Python<'_>,
    objects: PathBuf,
    old_id: Option<String>,
    new_id: String,
) -> PyResult<(Vec<String>, Vec<String>, Vec<String>)> {
    let diff = py.detach(move || manifest::diff_stored(&objects, old_id.as_deref(), &new_id)).map_err(to_py)?;
    Ok((diff.added, diff.modified, diff.removed))
}

/// A stored manifest as {relpath: (hash, size)}.
#[pyfunction]
fn read_stored_manifest(
    py: Python<'_>,
    objects: PathBuf,
    manifest_id: String,
) -> PyResult<BTreeMap<String, (String, u64)>> {
    py.detach(move || manifest::read_manifest(&objects, &manifest_id)).map_err(to_py)
}

/// Raises ValueError when `datum_glob` is not a valid glob (checked when a DAG file defines a directory asset).
#[pyfunction]
fn check_datum_glob(datum_glob: &str) -> PyResult<()> {
    manifest::datum_matcher(datum_glob).map(|_| ()).map_err(to_py)
}

/// Registers the functions on `riir_airflow._core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(snapshot_directory, m)?)?;
    m.add_function(wrap_pyfunction!(stored_manifest_diff, m)?)?;
    m.add_function(wrap_pyfunction!(read_stored_manifest, m)?)?;
    m.add_function(wrap_pyfunction!(check_datum_glob, m)?)?;
    Ok(())
}
