//! `_core.scan_directory` and `_core.manifest_diff`: directory manifests for directory assets.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyValueError};
use pyo3::prelude::*;
use riir_core::manifest::{self, ManifestError};

fn to_py(err: ManifestError) -> PyErr {
    let message = err.to_string();
    match err {
        ManifestError::BadGlob { .. } => PyValueError::new_err(message),
        ManifestError::Io { not_found: true, .. } => PyFileNotFoundError::new_err(message),
        ManifestError::Io { .. } => PyOSError::new_err(message),
    }
}

/// One file as Python sees it: (relpath, size, mtime_ns, blake3 hex).
type FileTuple = (String, u64, i64, String);

/// Scans a directory in one call, without the GIL: returns (files sorted by relpath, how many were hashed,
/// the canonical manifest JSON, the manifest id).
#[pyfunction]
#[pyo3(signature = (root, datum_glob = "/**", memo = None))]
fn scan_directory(
    py: Python<'_>,
    root: PathBuf,
    datum_glob: &str,
    memo: Option<HashMap<String, (u64, i64, String)>>,
) -> PyResult<(Vec<FileTuple>, usize, String, String)> {
    let memo = memo.unwrap_or_default();
    let glob = datum_glob.to_owned();
    let (scan, canonical, id) = py
        .detach(move || -> Result<_, ManifestError> {
            let scan = manifest::scan(&root, &glob, &memo)?;
            let canonical = manifest::canonical_json(&scan.files);
            let id = manifest::manifest_id(&canonical);
            Ok((scan, canonical, id))
        })
        .map_err(to_py)?;
    let files = scan.files.into_iter().map(|f| (f.relpath, f.size, f.mtime_ns, f.hash)).collect();
    Ok((files, scan.hashed, canonical, id))
}

/// Raises ValueError when `datum_glob` is not a valid glob (checked when a DAG file defines a directory asset).
#[pyfunction]
fn check_datum_glob(datum_glob: &str) -> PyResult<()> {
    manifest::datum_matcher(datum_glob).map(|_| ()).map_err(to_py)
}

/// (added, modified, removed) from `old` to `new`, both {relpath: hash}.
#[pyfunction]
fn manifest_diff(
    old: BTreeMap<String, String>,
    new: BTreeMap<String, String>,
) -> (Vec<String>, Vec<String>, Vec<String>) {
    let diff = manifest::diff(&old, &new);
    (diff.added, diff.modified, diff.removed)
}

/// Registers the functions on `riir_airflow._core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(scan_directory, m)?)?;
    m.add_function(wrap_pyfunction!(manifest_diff, m)?)?;
    m.add_function(wrap_pyfunction!(check_datum_glob, m)?)?;
    Ok(())
}
