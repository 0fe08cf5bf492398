//! `_core.Cron`, `_core.Timetable` and `_core.plan_backfill`: schedules computed by `riir_core`.
//!
//! Times cross the boundary as epoch microseconds (UTC instants) and IANA zone names; naive wall-clock times
//! (croniter's view) are epoch microseconds of that wall clock read as UTC. Calls take and return batches so
//! that Python never loops per fire time.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use riir_core::backfill::{self, ReprocessBehavior};
use riir_core::cron::{self, CronExpr};
use riir_core::timetable::{Delta, RelDelta, Restriction, RunImmediately, Timetable};
use riir_core::zone::Zone;
use riir_core::CoreError;

/// Schedule errors are Airflow's `AirflowTimetableInvalid` (what Airflow raises from `Timetable.validate`).
fn tt_err(py: Python<'_>, err: CoreError) -> PyErr {
    let message = err.to_string();
    match py.import("riir_airflow.exceptions").and_then(|m| m.getattr("AirflowTimetableInvalid")) {
        Ok(class) => match class.call1((message.clone(),)) {
            Ok(instance) => PyErr::from_value(instance),
            Err(e) => e,
        },
        Err(_) => PyValueError::new_err(message),
    }
}

trait TtResult<T> {
    fn tt(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> TtResult<T> for Result<T, CoreError> {
    fn tt(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| tt_err(py, e))
    }
}

/// A cron expression with croniter's semantics.
#[pyclass(name = "Cron", module = "riir_airflow._core", frozen)]
pub struct PyCron {
    inner: CronExpr,
}

#[pymethods]
impl PyCron {
    #[new]
    fn new(py: Python<'_>, expression: &str) -> PyResult<Self> {
        Ok(PyCron { inner: CronExpr::parse(expression).tt(py)? })
    }

    #[getter]
    fn expression(&self) -> &str {
        self.inner.expression()
    }

    #[getter]
    fn covers_every_hour(&self) -> bool {
        self.inner.covers_every_hour()
    }

    #[getter]
    fn field_count(&self) -> usize {
        self.inner.field_count()
    }

    /// croniter's `get_next` for each naive start (wall clock as UTC microseconds); None where croniter fails.
    fn next_naive(&self, starts: Vec<i64>) -> PyResult<Vec<Option<i64>>> {
        self.naive_batch(starts, true)
    }

    /// croniter's `get_prev` for each naive start; None where croniter fails.
    fn prev_naive(&self, starts: Vec<i64>) -> PyResult<Vec<Option<i64>>> {
        self.naive_batch(starts, false)
    }

    /// `n` consecutive fire times after the instant `current` in `timezone` (Airflow's `_get_next` repeated).
    fn next_in_zone(&self, py: Python<'_>, timezone: &str, current: i64, n: usize) -> PyResult<Vec<i64>> {
        let tz = Zone::parse(timezone).tt(py)?;
        py.detach(|| self.inner.next_n_in_zone(&tz, current, n)).tt(py)
    }

    /// `n` consecutive fire times before the instant `current` in `timezone`, newest first.
    fn prev_in_zone(&self, py: Python<'_>, timezone: &str, current: i64, n: usize) -> PyResult<Vec<i64>> {
        let tz = Zone::parse(timezone).tt(py)?;
        let mut out = Vec::with_capacity(n);
        let mut cur = current;
        for _ in 0..n {
            cur = self.inner.prev_in_zone(&tz, cur).tt(py)?;
            out.push(cur);
        }
        Ok(out)
    }

    /// Airflow's `_align_to_next` / `_align_to_prev` for the instant `current`.
    fn align(&self, py: Python<'_>, timezone: &str, current: i64, forward: bool) -> PyResult<i64> {
        let tz = Zone::parse(timezone).tt(py)?;
        if forward { self.inner.align_to_next(&tz, current) } else { self.inner.align_to_prev(&tz, current) }.tt(py)
    }
}

impl PyCron {
    fn naive_batch(&self, starts: Vec<i64>, forward: bool) -> PyResult<Vec<Option<i64>>> {
        starts
            .into_iter()
            .map(|us| {
                let start = cron::naive_from_us(us).map_err(|e| PyValueError::new_err(e.to_string()))?;
                let found = if forward { self.inner.next_naive(start) } else { self.inner.prev_naive(start) };
                Ok(found.ok().map(cron::naive_to_us))
            })
            .collect()
    }
}

/// Delta as it crosses the boundary: `("fixed", [microseconds])` or `("relative", [years, months, days, hours,
/// minutes, seconds, microseconds, leapdays, year, month, day, hour, minute, second, microsecond, weekday,
/// weekday_n])` with None for absent absolute fields.
type DeltaSpec = (String, Vec<Option<i64>>);

fn delta_from(py: Python<'_>, spec: DeltaSpec) -> PyResult<Delta> {
    let bad = |reason: String| tt_err(py, CoreError::Invalid { what: "delta".into(), reason });
    let v = &spec.1;
    let get = |i: usize| v.get(i).copied().flatten();
    let num = |i: usize| get(i).unwrap_or(0);
    let small = |i: usize| get(i).map(|x| x as u32);
    match spec.0.as_str() {
        "fixed" => Ok(Delta::Fixed(num(0))),
        "relative" if v.len() == 17 => Ok(Delta::Calendar(RelDelta {
            years: num(0) as i32,
            months: num(1) as i32,
            days: num(2),
            hours: num(3),
            minutes: num(4),
            seconds: num(5),
            microseconds: num(6),
            leapdays: num(7),
            year: get(8).map(|x| x as i32),
            month: small(9),
            day: small(10),
            hour: small(11),
            minute: small(12),
            second: small(13),
            microsecond: small(14),
            weekday: get(15).map(|w| (w as u32, num(16) as i32)),
        })),
        other => Err(bad(format!("unknown delta form {other} with {} values", v.len()))),
    }
}

/// A timetable whose `next_dagrun_info` is computed in Rust.
#[pyclass(name = "Timetable", module = "riir_airflow._core", frozen)]
pub struct PyTimetable {
    inner: Timetable,
}

type RunInfoTuple = (i64, i64, i64);

#[pymethods]
impl PyTimetable {
    /// Cron data intervals (`CronDataIntervalTimetable`).
    #[staticmethod]
    fn cron_data_interval(py: Python<'_>, expression: &str, timezone: &str) -> PyResult<Self> {
        let inner = Timetable::cron_data_interval(expression, timezone).tt(py)?;
        Ok(PyTimetable { inner })
    }

    /// Cron triggers (`CronTriggerTimetable`, one or several expressions). `run_immediately` is
    /// `("bool", 0|1)` or `("delta", microseconds)` or `("auto", 0)` for None.
    #[staticmethod]
    fn cron_trigger(
        py: Python<'_>,
        expressions: Vec<String>,
        timezone: &str,
        interval: DeltaSpec,
        run_immediately: (String, i64),
    ) -> PyResult<Self> {
        let run_immediately = match run_immediately.0.as_str() {
            "bool" => RunImmediately::Flag(run_immediately.1 != 0),
            "delta" => RunImmediately::Within(run_immediately.1),
            _ => RunImmediately::Auto,
        };
        let inner =
            Timetable::cron_trigger(&expressions, timezone, delta_from(py, interval)?, run_immediately).tt(py)?;
        Ok(PyTimetable { inner })
    }

    /// Delta data intervals (`DeltaDataIntervalTimetable`).
    #[staticmethod]
    fn delta_data_interval(py: Python<'_>, delta: DeltaSpec) -> PyResult<Self> {
        Ok(PyTimetable { inner: Timetable::DeltaDataInterval { delta: delta_from(py, delta)? } })
    }

    /// Delta triggers (`DeltaTriggerTimetable`).
    #[staticmethod]
    fn delta_trigger(py: Python<'_>, delta: DeltaSpec, interval: DeltaSpec) -> PyResult<Self> {
        let inner = Timetable::DeltaTrigger { delta: delta_from(py, delta)?, interval: delta_from(py, interval)? };
        Ok(PyTimetable { inner })
    }

    /// Up to `n` consecutive `next_dagrun_info` results as `(run_after, start, end)`, each step fed the data
    /// interval of the one before; stops early when the timetable returns None or fails (then with the error's
    /// message, the runs before it kept).
    #[pyo3(signature = (last, earliest, latest, catchup, now, n = 1))]
    #[allow(clippy::too_many_arguments)]
    fn next_dagrun_infos(
        &self,
        py: Python<'_>,
        last: Option<(i64, i64)>,
        earliest: Option<i64>,
        latest: Option<i64>,
        catchup: bool,
        now: i64,
        n: usize,
    ) -> (Vec<RunInfoTuple>, Option<String>) {
        let restriction = Restriction { earliest, latest, catchup };
        let (infos, error) = py.detach(|| self.inner.iterate(last, &restriction, now, n));
        (infos.into_iter().map(|i| (i.run_after, i.start, i.end)).collect(), error.map(|e| e.to_string()))
    }

    /// The runs a backfill over `[from_date, to_date]` would create, as `(run_after, start, end)`, oldest first
    /// (newest first when `run_backwards`); only intervals that ended before `now`.
    #[pyo3(signature = (from_date, to_date, now, run_backwards, limit = 1_000_000))]
    fn backfill_infos(
        &self,
        py: Python<'_>,
        from_date: i64,
        to_date: i64,
        now: i64,
        run_backwards: bool,
        limit: usize,
    ) -> PyResult<Vec<RunInfoTuple>> {
        let infos =
            py.detach(|| backfill::dagrun_infos(&self.inner, from_date, to_date, now, run_backwards, limit)).tt(py)?;
        Ok(infos.into_iter().map(|i| (i.run_after, i.start, i.end)).collect())
    }

    /// `infer_manual_data_interval(run_after=...)` as `(start, end)`.
    fn infer_manual_data_interval(&self, py: Python<'_>, run_after: i64) -> PyResult<(i64, i64)> {
        self.inner.infer_manual_data_interval(run_after).tt(py)
    }
}

/// Plans a backfill: the logical dates to create, in creation order, with what happens to each.
///
/// `logical_dates` come in the timetable's order (reversed here when `run_backwards`); `existing` pairs a logical
/// date with the state of the latest run already there. Returns `(logical_date, action)` pairs in creation order
/// (the sort ordinal is the position + 1); action is `create`, `clear`, `in flight` or `already exists`.
#[pyfunction]
#[pyo3(signature = (logical_dates, existing, reprocess_behavior, run_backwards))]
fn plan_backfill(
    py: Python<'_>,
    logical_dates: Vec<i64>,
    existing: Vec<(i64, String)>,
    reprocess_behavior: &str,
    run_backwards: bool,
) -> PyResult<Vec<(i64, String)>> {
    let behavior = ReprocessBehavior::parse(reprocess_behavior).tt(py)?;
    let plan = backfill::plan(&logical_dates, &existing, behavior, run_backwards);
    Ok(plan.into_iter().map(|p| (p.logical_date, p.action.as_str().to_owned())).collect())
}

/// Registers the schedule classes and functions on `_core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyCron>()?;
    m.add_class::<PyTimetable>()?;
    m.add_function(wrap_pyfunction!(plan_backfill, m)?)?;
    Ok(())
}
