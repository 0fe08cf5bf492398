//! `_core.layout`: the graph view's layered layout, one call per drawing.

use pyo3::prelude::*;
use riir_core::layout::{layout as compute, LayoutGroup, LayoutNode, Rect};

type RectTuple = (f64, f64, f64, f64);
type Edges = Vec<(String, String, Vec<(f64, f64)>)>;

fn tuple(r: &Rect) -> RectTuple {
    (r.x, r.y, r.width, r.height)
}

/// Lays out nodes `(id, width, height, group)` joined by `edges` `(source, target)`, with `groups`
/// `(id, parent)` as nested boxes. Returns `(nodes, groups, edges, width, height)` where nodes and groups are
/// `(id, (x, y, width, height))` and edges `(source, target, [(x, y), ...])`.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn layout(
    py: Python<'_>,
    nodes: Vec<(String, f64, f64, Option<String>)>,
    edges: Vec<(String, String)>,
    groups: Vec<(String, Option<String>)>,
) -> (Vec<(String, RectTuple)>, Vec<(String, RectTuple)>, Edges, f64, f64) {
    let nodes: Vec<LayoutNode> =
        nodes.into_iter().map(|(id, width, height, group)| LayoutNode { id, width, height, group }).collect();
    let groups: Vec<LayoutGroup> = groups.into_iter().map(|(id, parent)| LayoutGroup { id, parent }).collect();
    let out = py.detach(|| compute(&nodes, &edges, &groups));
    (
        out.nodes.iter().map(|(id, r)| (id.clone(), tuple(r))).collect(),
        out.groups.iter().map(|(id, r)| (id.clone(), tuple(r))).collect(),
        out.edges,
        out.width,
        out.height,
    )
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(layout, m)?)
}
