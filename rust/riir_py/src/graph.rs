//! `_core.Graph`: the DAG graph, addressed by task id strings.

use pyo3::prelude::*;
use riir_core::{Graph, TaskIdx};

use crate::errors::IntoPyResult;

/// A directed graph of task ids with stable (insertion-ordered) results.
#[pyclass(name = "Graph", module = "riir_airflow._core")]
#[derive(Default)]
pub struct PyGraph {
    inner: Graph,
}

impl PyGraph {
    fn names(&self, idxs: impl IntoIterator<Item = TaskIdx>) -> Vec<String> {
        idxs.into_iter().map(|i| self.inner.task_id(i).to_owned()).collect()
    }
}

#[pymethods]
impl PyGraph {
    #[new]
    #[pyo3(signature = (task_ids = Vec::new(), edges = Vec::new()))]
    fn new(py: Python<'_>, task_ids: Vec<String>, edges: Vec<(String, String)>) -> PyResult<Self> {
        let mut graph = PyGraph::default();
        for id in &task_ids {
            graph.inner.add_task(id).py(py)?;
        }
        for (up, down) in &edges {
            graph.inner.add_edge(up, down).py(py)?;
        }
        Ok(graph)
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn add_task(&mut self, py: Python<'_>, task_id: &str) -> PyResult<()> {
        self.inner.add_task(task_id).py(py).map(|_| ())
    }

    fn add_edge(&mut self, py: Python<'_>, upstream: &str, downstream: &str) -> PyResult<()> {
        self.inner.add_edge(upstream, downstream).py(py)
    }

    fn task_ids(&self) -> Vec<String> {
        self.inner.task_ids().to_vec()
    }

    fn downstream(&self, py: Python<'_>, task_id: &str) -> PyResult<Vec<String>> {
        let idx = self.inner.idx(task_id).py(py)?;
        Ok(self.names(self.inner.downstream_of(idx).iter().copied()))
    }

    fn upstream(&self, py: Python<'_>, task_id: &str) -> PyResult<Vec<String>> {
        let idx = self.inner.idx(task_id).py(py)?;
        Ok(self.names(self.inner.upstream_of(idx).iter().copied()))
    }

    fn find_cycle(&self) -> Option<String> {
        self.inner.find_cycle().map(|i| self.inner.task_id(i).to_owned())
    }

    fn topological_order(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let order = self.inner.topological_order().py(py)?;
        Ok(self.names(order))
    }

    fn upstream_closure(&self, py: Python<'_>, task_id: &str) -> PyResult<Vec<String>> {
        let idx = self.inner.idx(task_id).py(py)?;
        Ok(self.names(self.inner.upstream_closure(idx)))
    }

    fn downstream_closure(&self, py: Python<'_>, task_id: &str) -> PyResult<Vec<String>> {
        let idx = self.inner.idx(task_id).py(py)?;
        Ok(self.names(self.inner.downstream_closure(idx)))
    }

    fn roots(&self) -> Vec<String> {
        self.names(self.inner.roots())
    }

    fn leaves(&self) -> Vec<String> {
        self.names(self.inner.leaves())
    }

    #[pyo3(signature = (task_ids, include_upstream = false, include_downstream = false))]
    fn subset(
        &self,
        py: Python<'_>,
        task_ids: Vec<String>,
        include_upstream: bool,
        include_downstream: bool,
    ) -> PyResult<PyGraph> {
        let keep = task_ids.iter().map(|id| self.inner.idx(id)).collect::<Result<Vec<_>, _>>().py(py)?;
        Ok(PyGraph { inner: self.inner.subset(&keep, include_upstream, include_downstream) })
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyGraph>()
}
