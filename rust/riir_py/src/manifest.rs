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

/// Stores a manifest given as [(relpath, hash, size)] (an object store's listing) under `objects`; returns its id.
#[pyfunction]
fn store_listed_manifest(py: Python<'_>, objects: PathBuf, files: Vec<(String, String, u64)>) -> PyResult<String> {
    let entries: Vec<manifest::FileEntry> = files
        .into_iter()
        .map(|(relpath, hash, size)| manifest::FileEntry { relpath, size, mtime_ns: 0, hash })
        .collect();
    py.detach(move || manifest::store_manifest(&objects, &entries)).map_err(to_py)
}

/// The relative paths that `datum_glob` selects, in the given order.
#[pyfunction]
fn select_datums(datum_glob: &str, relpaths: Vec<String>) -> PyResult<Vec<String>> {
    manifest::select_datums(datum_glob, &relpaths).map_err(to_py)
}

/// A streaming BLAKE3 hash of content read in chunks (an object store's object), hex like a manifest's hashes.
#[pyclass(name = "ContentHasher", module = "riir_airflow._core")]
#[derive(Default)]
struct PyContentHasher(manifest::ContentHasher);

#[pymethods]
impl PyContentHasher {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// Adds the next chunk (the GIL is released while large chunks are hashed).
    fn update(&mut self, py: Python<'_>, data: &[u8]) {
        if data.len() >= 1 << 16 {
            let hasher = &mut self.0;
            py.detach(|| hasher.update(data));
        } else {
            self.0.update(data);
        }
    }

    fn hexdigest(&self) -> String {
        self.0.hex()
    }
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
    m.add_function(wrap_pyfunction!(store_listed_manifest, m)?)?;
    m.add_function(wrap_pyfunction!(select_datums, m)?)?;
    m.add_class::<PyContentHasher>()?;
    Ok(())
}
