//! riir_core: the pure-Rust engine behind riir-airflow.
//!
//! It holds the logic that must be fast and deterministic and that needs no Python: the DAG graph,
//! and (as the project grows) trigger rules, run planning, cron and timetables, backfill ranges and layout.
#![forbid(unsafe_code)]

pub mod backfill;
pub mod cron;
pub mod error;
pub mod graph;
pub mod layout;
pub mod manifest;
pub mod plan;
pub mod state;
pub mod timetable;
pub mod trigger_rule;
pub mod zone;

pub use error::{CoreError, CoreResult};
pub use graph::{Graph, TaskIdx};
