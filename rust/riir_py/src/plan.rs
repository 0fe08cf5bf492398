//! `_core.Planner`: one scheduling pass over a DAG run's task instance states per call.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyMapping, PyString, PyTuple};
use riir_core::plan::incremental::RunPlanState;
use riir_core::plan::{Plan, Planner, TaskSpec, TiKey, TiState};
use riir_core::state::{TaskInstanceState, TriggerRule, WeightRule};
use riir_core::{CoreError, TaskIdx};

use crate::errors::IntoPyResult;

/// Keys a task mapping may have.
const TASK_KEYS: &[&str] = &[
    "task_id",
    "trigger_rule",
    "is_setup",
    "is_teardown",
    "on_failure_fail_dagrun",
    "priority_weight",
    "weight_rule",
    "mapped_group",
    "mapped_groups",
    "is_mapped",
    "mapped_dependencies",
    "depends_on_past",
    "max_active_tis_per_dag",
    "max_active_tis_per_dagrun",
];

/// Decides, once per loop turn, which task instances of a DAG run start, are skipped, become upstream_failed
/// or removed, and the run's state (Airflow 3.3's scheduling pass).
#[pyclass(name = "Planner", module = "riir_airflow._core", frozen)]
pub struct PyPlanner {
    inner: Planner,
    /// Task ids as Python strings, made once so that each plan() call only increments reference counts.
    names: Vec<Py<PyString>>,
    /// Task id -> index with a cheap hash: looking ids up is a large part of a plan() call.
    index: HashMap<String, TaskIdx, BuildHasherDefault<FxHasher>>,
}

/// The multiply-rotate hash of rustc's FxHasher: fast for short keys; DoS resistance is not needed for task ids
/// the DAG itself defines.
#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

fn get<'py, T: FromPyObjectOwned<'py>>(spec: &Bound<'py, PyMapping>, key: &str, default: T) -> PyResult<T> {
    match spec.get_item(key) {
        Ok(value) if !value.is_none() => value.extract().map_err(Into::into),
        Ok(_) => Ok(default),
        Err(e) if e.is_instance_of::<pyo3::exceptions::PyKeyError>(spec.py()) => Ok(default),
        Err(e) => Err(e),
    }
}

fn task_spec(dag_id: &str, spec: &Bound<'_, PyAny>) -> PyResult<TaskSpec> {
    let spec = spec.cast::<PyMapping>().map_err(|_| PyTypeError::new_err("each task must be a mapping"))?;
    let task_id: String =
        spec.get_item("task_id").map_err(|_| PyTypeError::new_err("each task mapping needs a 'task_id'"))?.extract()?;
    for key in spec.keys()?.iter() {
        let key: String = key.extract()?;
        if !TASK_KEYS.contains(&key.as_str()) {
            return Err(PyTypeError::new_err(format!(
                "unknown key '{key}' for task '{task_id}'; allowed keys: {}",
                TASK_KEYS.join(", ")
            )));
        }
    }
    let rule: String = get(spec, "trigger_rule", "all_success".to_owned())?;
    let trigger_rule = rule
        .parse::<TriggerRule>()
        .map_err(|_| PyValueError::new_err(TriggerRule::invalid_message(dag_id, &task_id, &rule)))?;
    let weight_rule: String = get(spec, "weight_rule", "downstream".to_owned())?;
    let weight_rule = WeightRule::parse(&weight_rule).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let mut mapped_groups: Vec<String> = get(spec, "mapped_groups", Vec::new())?;
    if let Some(group) = get::<Option<String>>(spec, "mapped_group", None)? {
        if mapped_groups.is_empty() {
            mapped_groups.push(group);
        } else if mapped_groups[0] != group {
            return Err(PyValueError::new_err(format!(
                "task '{task_id}': mapped_group '{group}' is not the first (innermost) of mapped_groups"
            )));
        }
    }
    let limited = get::<Option<i64>>(spec, "max_active_tis_per_dag", None)?.is_some()
        || get::<Option<i64>>(spec, "max_active_tis_per_dagrun", None)?.is_some();
    Ok(TaskSpec {
        trigger_rule,
        is_setup: get(spec, "is_setup", false)?,
        is_teardown: get(spec, "is_teardown", false)?,
        on_failure_fail_dagrun: get(spec, "on_failure_fail_dagrun", false)?,
        priority_weight: get(spec, "priority_weight", 1)?,
        weight_rule,
        mapped_groups,
        is_mapped: get(spec, "is_mapped", false)?,
        mapped_dependencies: get(spec, "mapped_dependencies", Vec::new())?,
        depends_on_past: get(spec, "depends_on_past", false)?,
        has_ti_concurrency_limit: limited,
        task_id,
    })
}

/// A task instance state from Python: None or one of Airflow's state strings.
fn parse_state(state: &Bound<'_, PyAny>) -> PyResult<Option<TaskInstanceState>> {
    if state.is_none() {
        return Ok(None);
    }
    let text = state.cast::<PyString>()?;
    Ok(Some(text.to_str()?.parse::<TaskInstanceState>().map_err(|e| PyValueError::new_err(e.to_string()))?))
}

/// An error from either side of the expansion callback.
enum PlanError {
    Core(CoreError),
    Py(PyErr),
}

impl From<CoreError> for PlanError {
    fn from(e: CoreError) -> Self {
        PlanError::Core(e)
    }
}

impl PyPlanner {
    /// Index of a task id, as Airflow's error when it is unknown.
    fn task(&self, py: Python<'_>, task_id: &str) -> PyResult<TaskIdx> {
        match self.index.get(task_id) {
            Some(&task) => Ok(task),
            None => Err(crate::errors::to_py(py, CoreError::UnknownTask { task_id: task_id.to_owned() })),
        }
    }

    /// One (task_id, map_index, state or None) tuple.
    fn ti_state(&self, py: Python<'_>, item: &Bound<'_, PyAny>) -> PyResult<TiState> {
        let entry = item
            .cast::<PyTuple>()
            .ok()
            .filter(|t| t.len() == 3)
            .ok_or_else(|| PyTypeError::new_err("each state must be a (task_id, map_index, state) tuple"))?;
        let task_id = entry.get_borrowed_item(0)?;
        let task = self.task(py, task_id.cast::<PyString>()?.to_str()?)?;
        let map_index: i64 = entry.get_borrowed_item(1)?.extract()?;
        let state = parse_state(&*entry.get_borrowed_item(2)?)?;
        Ok(TiState { task, map_index, state })
    }

    fn key<'py>(&self, py: Python<'py>, (task, mi): TiKey) -> PyResult<Bound<'py, PyTuple>> {
        let name = self.names[task].bind(py).clone().into_any();
        PyTuple::new(py, [name, mi.into_pyobject(py).expect("int conversion cannot fail").into_any()])
    }

    fn keys<'py>(&self, py: Python<'py>, keys: &[TiKey]) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, keys.iter().map(|&key| self.key(py, key)).collect::<PyResult<Vec<_>>>()?)
    }
}

#[pymethods]
impl PyPlanner {
    #[new]
    #[pyo3(signature = (tasks, edges = Vec::new(), mapped_group_dependencies = None, dag_id = ""))]
    fn new(
        py: Python<'_>,
        tasks: Vec<Bound<'_, PyAny>>,
        edges: Vec<(String, String)>,
        mapped_group_dependencies: Option<HashMap<String, Vec<String>>>,
        dag_id: &str,
    ) -> PyResult<Self> {
        let specs = tasks.iter().map(|t| task_spec(dag_id, t)).collect::<PyResult<Vec<_>>>()?;
        let groups: Vec<(String, Vec<String>)> = mapped_group_dependencies.unwrap_or_default().into_iter().collect();
        let inner = Planner::new(&specs, &edges, &groups).py(py)?;
        let names = specs.iter().map(|s| PyString::new(py, &s.task_id).unbind()).collect();
        let index = specs.iter().enumerate().map(|(i, s)| (s.task_id.clone(), i)).collect();
        Ok(PyPlanner { inner, names, index })
    }

    /// One scheduling pass. `states`: every existing task instance as (task_id, map_index, state or None).
    /// `expand(task_id)`, when given, returns the number of map indexes of a task that is ready to expand.
    #[pyo3(signature = (states, expand = None))]
    fn plan<'py>(
        &self,
        py: Python<'py>,
        states: &Bound<'py, PyAny>,
        expand: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let mut tis = Vec::with_capacity(states.len().unwrap_or(0));
        // Borrow the strings instead of copying them: this loop is most of the cost of a call.
        for item in states.try_iter()? {
            tis.push(self.ti_state(py, &item?)?);
        }
        let Plan { to_run, to_skip, to_upstream_failed, to_remove, expanded, run_state } = match expand {
            None => py.detach(|| self.inner.plan(&tis)).py(py)?,
            Some(expand) => {
                let mut call = |task: TaskIdx| -> Result<Option<i64>, PlanError> {
                    let count = expand.call1((self.names[task].bind(py),)).map_err(PlanError::Py)?;
                    count.extract::<Option<i64>>().map_err(PlanError::Py)
                };
                match self.inner.plan_expanding(&tis, Some(&mut call)) {
                    Ok(plan) => plan,
                    Err(PlanError::Core(e)) => return Err(crate::errors::to_py(py, e)),
                    Err(PlanError::Py(e)) => return Err(e),
                }
            }
        };
        let out = PyDict::new(py);
        out.set_item("to_run", self.keys(py, &to_run)?)?;
        out.set_item("to_skip", self.keys(py, &to_skip)?)?;
        out.set_item("to_upstream_failed", self.keys(py, &to_upstream_failed)?)?;
        out.set_item("to_remove", self.keys(py, &to_remove)?)?;
        let expanded = expanded.iter().map(|&(task, count)| (self.names[task].bind(py), count));
        out.set_item("expanded", PyList::new(py, expanded)?)?;
        out.set_item("run_state", run_state.as_str())?;
        Ok(out)
    }

    /// Effective priority weight of a task (its weight rule applied).
    fn priority_weight(&self, py: Python<'_>, task_id: &str) -> PyResult<i64> {
        Ok(self.inner.priority_weight(self.inner.task_idx(task_id).py(py)?))
    }

    /// Task ids whose task instances decide the run's final state.
    fn leaves(&self) -> Vec<String> {
        self.inner.leaves().iter().map(|&t| self.inner.graph().task_id(t).to_owned()).collect()
    }

    /// Task ids in the order they were given.
    fn task_ids(&self) -> Vec<String> {
        self.inner.graph().task_ids().to_vec()
    }

    fn __len__(&self) -> usize {
        self.inner.graph().len()
    }
}

/// The planner state of one DAG run across loop turns: give it the task instances that changed since the last
/// turn (`update`, `remove`), then `plan()` decides again only what those changes can affect. Same result as
/// `Planner.plan()` on a snapshot of every task instance (without the expansion callback).
#[pyclass(name = "RunPlan", module = "riir_airflow._core")]
pub struct PyRunPlan {
    planner: Py<PyPlanner>,
    state: RunPlanState,
}

#[pymethods]
impl PyRunPlan {
    #[new]
    #[pyo3(signature = (planner, slot_free_tasks = Vec::new()))]
    fn new(py: Python<'_>, planner: Py<PyPlanner>, slot_free_tasks: Vec<String>) -> PyResult<Self> {
        let p = planner.get();
        let free = slot_free_tasks.iter().map(|t| p.task(py, t)).collect::<PyResult<Vec<_>>>()?;
        let state = RunPlanState::new(&p.inner, &free);
        Ok(PyRunPlan { planner, state })
    }

    /// Creates task instances or changes their states: (task_id, map_index, state or None) tuples.
    fn update(&mut self, py: Python<'_>, changes: &Bound<'_, PyAny>) -> PyResult<()> {
        let p = self.planner.get();
        for item in changes.try_iter()? {
            let ti = p.ti_state(py, &item?)?;
            self.state.set(&p.inner, ti.task, ti.map_index, ti.state).py(py)?;
        }
        Ok(())
    }

    /// Deletes task instances: (task_id, map_index) pairs (an expansion replaces map index -1).
    fn remove(&mut self, py: Python<'_>, keys: Vec<(String, i64)>) -> PyResult<()> {
        let p = self.planner.get();
        for (task_id, map_index) in keys {
            self.state.remove(&p.inner, p.task(py, &task_id)?, map_index).py(py)?;
        }
        Ok(())
    }

    /// One scheduling pass, as `Planner.plan()` returns it; `to_run` is a sequence whose tuples are made when read,
    /// and `to_run_without_slot` the part of it that takes no run slot when started.
    fn plan<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let p = self.planner.get();
        let Plan { to_run, to_skip, to_upstream_failed, to_remove, expanded: _, run_state } = self.state.plan(&p.inner);
        let out = PyDict::new(py);
        out.set_item("to_run", TiKeys { planner: self.planner.clone_ref(py), keys: to_run })?;
        out.set_item("to_run_without_slot", p.keys(py, &self.state.ready_without_slot(&p.inner))?)?;
        out.set_item("to_skip", p.keys(py, &to_skip)?)?;
        out.set_item("to_upstream_failed", p.keys(py, &to_upstream_failed)?)?;
        out.set_item("to_remove", p.keys(py, &to_remove)?)?;
        out.set_item("expanded", PyList::empty(py))?;
        out.set_item("run_state", run_state.as_str())?;
        Ok(out)
    }

    /// The state of a task instance; KeyError when it does not exist.
    fn state(&self, py: Python<'_>, task_id: &str, map_index: i64) -> PyResult<Option<&'static str>> {
        let p = self.planner.get();
        match self.state.state(p.task(py, task_id)?, map_index) {
            Some(state) => Ok(state.map(|s| s.as_str())),
            None => Err(pyo3::exceptions::PyKeyError::new_err((task_id.to_owned(), map_index))),
        }
    }

    /// Number of task instances in one of `states` (None: no state), of `task_id` or of the whole run.
    #[pyo3(signature = (states, task_id = None))]
    fn count(&self, py: Python<'_>, states: &Bound<'_, PyAny>, task_id: Option<&str>) -> PyResult<usize> {
        let p = self.planner.get();
        let task = task_id.map(|t| p.task(py, t)).transpose()?;
        let states = states.try_iter()?.map(|s| parse_state(&s?)).collect::<PyResult<Vec<_>>>()?;
        Ok(self.state.count(task, &states))
    }

    fn __len__(&self) -> usize {
        self.state.len()
    }
}

/// Task instance keys of a plan, made into (task_id, map_index) tuples only when read.
#[pyclass(name = "TiKeys", module = "riir_airflow._core", frozen, sequence)]
pub struct TiKeys {
    planner: Py<PyPlanner>,
    keys: Vec<TiKey>,
}

#[pymethods]
impl TiKeys {
    fn __len__(&self) -> usize {
        self.keys.len()
    }

    fn __getitem__<'py>(&self, py: Python<'py>, index: isize) -> PyResult<Bound<'py, PyTuple>> {
        let at = if index < 0 { index + self.keys.len() as isize } else { index };
        let key = usize::try_from(at)
            .ok()
            .and_then(|at| self.keys.get(at))
            .ok_or_else(|| pyo3::exceptions::PyIndexError::new_err("TiKeys index out of range"))?;
        self.planner.get().key(py, *key)
    }

    fn __iter__(slf: Bound<'_, Self>) -> TiKeysIter {
        TiKeysIter { keys: slf.unbind(), next: std::sync::atomic::AtomicUsize::new(0) }
    }
}

/// Iterates a `TiKeys`.
#[pyclass(module = "riir_airflow._core", frozen)]
pub struct TiKeysIter {
    keys: Py<TiKeys>,
    next: std::sync::atomic::AtomicUsize,
}

#[pymethods]
impl TiKeysIter {
    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let keys = self.keys.get();
        let at = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        keys.keys.get(at).map(|&key| keys.planner.get().key(py, key)).transpose()
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPlanner>()?;
    m.add_class::<PyRunPlan>()?;
    m.add_class::<TiKeys>()
}
