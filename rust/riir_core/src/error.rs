//! Errors raised by the core. Each variant maps onto one Airflow exception class in the Python binding.

use std::fmt;

/// Everything that can go wrong inside `riir_core`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoreError {
    /// A task id was added twice (Airflow: `DuplicateTaskIdFound`).
    DuplicateTaskId { task_id: String },
    /// An edge or lookup named a task the graph does not have (Airflow: `TaskNotFound`).
    UnknownTask { task_id: String },
    /// The graph has a cycle; `task_id` is one task on it (Airflow: `AirflowDagCycleException`).
    Cycle { task_id: String },
    /// A value could not be understood, e.g. a bad cron expression (Airflow: `AirflowException` or a subclass).
    Invalid { what: String, reason: String },
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoreError::DuplicateTaskId { task_id } => {
                write!(f, "Task id '{task_id}' has already been added to the DAG")
            }
            CoreError::UnknownTask { task_id } => write!(f, "Task {task_id} not found"),
            CoreError::Cycle { task_id } => write!(f, "Cycle detected. Faulty task: {task_id}"),
            CoreError::Invalid { what, reason } => write!(f, "Invalid {what}: {reason}"),
        }
    }
}

impl std::error::Error for CoreError {}

/// Result alias used across the core.
pub type CoreResult<T> = Result<T, CoreError>;
