//! Maps `riir_core` errors onto the Airflow exception classes of `riir_airflow.exceptions`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use riir_core::CoreError;

/// Name of the Airflow exception class that stands for a core error.
fn airflow_class(err: &CoreError) -> &'static str {
    match err {
        CoreError::DuplicateTaskId { .. } => "DuplicateTaskIdFound",
        CoreError::UnknownTask { .. } => "TaskNotFound",
        CoreError::Cycle { .. } => "AirflowDagCycleException",
        CoreError::Invalid { .. } => "AirflowException",
    }
}

/// Builds the Python exception for a core error.
pub fn to_py(py: Python<'_>, err: CoreError) -> PyErr {
    let message = err.to_string();
    let class = py.import("riir_airflow.exceptions").and_then(|module| module.getattr(airflow_class(&err)));
    match class {
        Ok(class) => match class.call1((message.clone(),)) {
            Ok(instance) => PyErr::from_value(instance),
            Err(e) => e,
        },
        // Only when the Python package is broken; still say what went wrong.
        Err(_) => PyValueError::new_err(message),
    }
}

/// Extension to turn a `CoreResult` into a `PyResult`.
pub trait IntoPyResult<T> {
    /// Converts the error side into the matching Python exception.
    fn py(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, CoreError> {
    fn py(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py(py, e))
    }
}
