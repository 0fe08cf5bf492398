//! Layered (Sugiyama-style) graph layout for the UI's graph view, left to right.
//!
//! Steps: cycles are broken (an edge that closes a cycle is laid out reversed), nodes get layers by longest path
//! from the sources, edges longer than one layer get dummy nodes, the order within each layer is improved by
//! barycenter sweeps (members of a task group are kept next to each other, nested groups inside their parent),
//! then nodes are placed: x by layer, y by a few rounds of pulling each node toward its neighbours while keeping
//! the order and the spacing. Groups come out as boxes around their members (nested boxes for nested groups);
//! collapsing a group is the caller's business (it passes the group as one node).

use std::collections::HashMap;

/// A node to place: its id, size, and the innermost group it belongs to (if any).
#[derive(Debug, Clone)]
pub struct LayoutNode {
    /// Node id (a task id, a collapsed group id, an asset, ...).
    pub id: String,
    /// Width in pixels.
    pub width: f64,
    /// Height in pixels.
    pub height: f64,
    /// Innermost group, which must be listed in the groups given to [`layout`].
    pub group: Option<String>,
}

/// A group (box) and its parent group.
#[derive(Debug, Clone)]
pub struct LayoutGroup {
    /// Group id.
    pub id: String,
    /// Parent group, or None at the top level.
    pub parent: Option<String>,
}

/// A placed rectangle (top-left corner and size).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

/// An edge as drawn: (source, target, points from the source's right side to the target's left side).
pub type EdgeLine = (String, String, Vec<(f64, f64)>);

/// The layout: rectangles for nodes and groups, polylines for edges, and the size of the drawing.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Node id -> rectangle, in the order the nodes were given.
    pub nodes: Vec<(String, Rect)>,
    /// Group id -> box around its members (groups without members are left out).
    pub groups: Vec<(String, Rect)>,
    /// (source, target, points from the source's right side to the target's left side).
    pub edges: Vec<EdgeLine>,
    /// Width of the drawing.
    pub width: f64,
    /// Height of the drawing.
    pub height: f64,
}

/// Spacing, in pixels.
const LAYER_GAP: f64 = 70.0;
const NODE_GAP: f64 = 18.0;
const GROUP_PAD: f64 = 14.0;
/// Room for a group's label above its members.
const GROUP_LABEL: f64 = 22.0;
const MARGIN: f64 = 16.0;
const SWEEPS: usize = 8;

struct Work {
    /// Group chain of each (real or dummy) node, outermost first.
    chains: Vec<Vec<usize>>,
    heights: Vec<f64>,
    widths: Vec<f64>,
    layer: Vec<usize>,
    preds: Vec<Vec<usize>>,
    succs: Vec<Vec<usize>>,
}

fn group_chain(group: Option<usize>, parents: &[Option<usize>]) -> Vec<usize> {
    let mut chain = Vec::new();
    let mut current = group;
    while let Some(g) = current {
        if chain.contains(&g) {
            break; // a parent cycle in the input: stop rather than loop
        }
        chain.push(g);
        current = parents[g];
    }
    chain.reverse();
    chain
}

fn common_prefix(a: &[usize], b: &[usize]) -> Vec<usize> {
    a.iter().zip(b).take_while(|(x, y)| x == y).map(|(x, _)| *x).collect()
}

/// Edges that keep the graph acyclic: a depth-first search in input order reverses every back edge.
fn acyclic_edges(n: usize, edges: &[(usize, usize)]) -> Vec<(usize, usize, bool)> {
    let mut out_edges: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for (i, &(a, b)) in edges.iter().enumerate() {
        out_edges[a].push((b, i));
    }
    // 0 = unvisited, 1 = on the stack, 2 = done
    let mut mark = vec![0u8; n];
    let mut reversed = vec![false; edges.len()];
    for start in 0..n {
        if mark[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        mark[start] = 1;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if *next < out_edges[node].len() {
                let (target, edge) = out_edges[node][*next];
                *next += 1;
                match mark[target] {
                    0 => {
                        mark[target] = 1;
                        stack.push((target, 0));
                    }
                    1 => reversed[edge] = true,
                    _ => {}
                }
            } else {
                mark[node] = 2;
                stack.pop();
            }
        }
    }
    edges.iter().zip(reversed).map(|(&(a, b), r)| if r { (b, a, true) } else { (a, b, false) }).collect()
}

/// Lays out `nodes` joined by `edges` (pairs of node ids; unknown ids and self loops are ignored) with `groups`
/// drawn as boxes around their members.
pub fn layout(nodes: &[LayoutNode], edges: &[(String, String)], groups: &[LayoutGroup]) -> Layout {
    let group_index: HashMap<&str, usize> = groups.iter().enumerate().map(|(i, g)| (g.id.as_str(), i)).collect();
    let parents: Vec<Option<usize>> =
        groups.iter().map(|g| g.parent.as_deref().and_then(|p| group_index.get(p).copied())).collect();
    let node_index: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
    let n = nodes.len();
    let mut seen = std::collections::HashSet::new();
    let pairs: Vec<(usize, usize)> = edges
        .iter()
        .filter_map(|(a, b)| Some((*node_index.get(a.as_str())?, *node_index.get(b.as_str())?)))
        .filter(|(a, b)| a != b && seen.insert((*a, *b)))
        .collect();
    let directed = acyclic_edges(n, &pairs);

    // Layers: longest path from the sources, in topological order (Kahn, input order among ties).
    let mut indegree = vec![0usize; n];
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b, _) in &directed {
        out[a].push(b);
        indegree[b] += 1;
    }
    let mut layer = vec![0usize; n];
    let mut ready: std::collections::VecDeque<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    while let Some(node) = ready.pop_front() {
        for &next in &out[node] {
            layer[next] = layer[next].max(layer[node] + 1);
            indegree[next] -= 1;
            if indegree[next] == 0 {
                ready.push_back(next);
            }
        }
    }

    let mut work = Work {
        chains: nodes
            .iter()
            .map(|node| group_chain(node.group.as_deref().and_then(|g| group_index.get(g).copied()), &parents))
            .collect(),
        heights: nodes.iter().map(|node| node.height.max(1.0)).collect(),
        widths: nodes.iter().map(|node| node.width.max(1.0)).collect(),
        layer,
        preds: vec![Vec::new(); n],
        succs: vec![Vec::new(); n],
    };
    // Long edges become chains through dummy nodes (one per layer crossed), kept in the groups both ends share.
    let mut paths: Vec<Vec<usize>> = Vec::with_capacity(directed.len());
    for &(a, b, _) in &directed {
        let mut path = vec![a];
        let shared = common_prefix(&work.chains[a], &work.chains[b]);
        for l in work.layer[a] + 1..work.layer[b] {
            let dummy = work.layer.len();
            work.layer.push(l);
            work.chains.push(shared.clone());
            work.heights.push(2.0);
            work.widths.push(2.0);
            work.preds.push(Vec::new());
            work.succs.push(Vec::new());
            path.push(dummy);
        }
        path.push(b);
        for pair in path.windows(2) {
            work.succs[pair[0]].push(pair[1]);
            work.preds[pair[1]].push(pair[0]);
        }
        paths.push(path);
    }

    let orders = order_layers(&work);
    let (xs, ys) = place(&work, &orders);

    let mut ys = ys;
    separate_groups(&work, &orders, &xs, &mut ys, &parents, n);
    let boxes = group_boxes(&work, &xs, &ys, &parents, n);
    let rect = |i: usize| Rect { x: xs[i], y: ys[i], width: work.widths[i], height: work.heights[i] };

    // Shift everything so the drawing starts at the margin.
    let mut min_x = f64::INFINITY;
    let mut min_y = f64::INFINITY;
    let mut max_x = f64::NEG_INFINITY;
    let mut max_y = f64::NEG_INFINITY;
    for i in 0..n {
        let r = rect(i);
        min_x = min_x.min(r.x);
        min_y = min_y.min(r.y);
        max_x = max_x.max(r.x + r.width);
        max_y = max_y.max(r.y + r.height);
    }
    for (x0, y0, x1, y1) in boxes.iter().flatten() {
        min_x = min_x.min(*x0);
        min_y = min_y.min(*y0);
        max_x = max_x.max(*x1);
        max_y = max_y.max(*y1);
    }
    if n == 0 {
        return Layout { nodes: Vec::new(), groups: Vec::new(), edges: Vec::new(), width: 0.0, height: 0.0 };
    }
    let dx = MARGIN - min_x;
    let dy = MARGIN - min_y;
    let moved = |r: Rect| Rect { x: r.x + dx, y: r.y + dy, ..r };

    let node_rects = (0..n).map(|i| (nodes[i].id.clone(), moved(rect(i)))).collect();
    let group_rects = groups
        .iter()
        .zip(&boxes)
        .filter_map(|(g, b)| {
            b.map(|(x0, y0, x1, y1)| (g.id.clone(), Rect { x: x0 + dx, y: y0 + dy, width: x1 - x0, height: y1 - y0 }))
        })
        .collect();
    let edge_lines = directed
        .iter()
        .zip(paths)
        .map(|(&(a, b, was_reversed), path)| {
            let mut points: Vec<(f64, f64)> = Vec::with_capacity(path.len());
            for (k, &node) in path.iter().enumerate() {
                let r = moved(rect(node));
                let mid = r.y + r.height / 2.0;
                if k == 0 {
                    points.push((r.x + r.width, mid));
                } else if k == path.len() - 1 {
                    points.push((r.x, mid));
                } else {
                    points.push((r.x + r.width / 2.0, mid));
                }
            }
            let (source, target) = if was_reversed { (b, a) } else { (a, b) };
            if was_reversed {
                points.reverse();
            }
            (nodes[source].id.clone(), nodes[target].id.clone(), points)
        })
        .collect();
    Layout {
        nodes: node_rects,
        groups: group_rects,
        edges: edge_lines,
        width: max_x - min_x + 2.0 * MARGIN,
        height: max_y - min_y + 2.0 * MARGIN,
    }
}

type Bounds = (f64, f64, f64, f64);

/// Boxes around each group's real members and child groups (innermost first), padded and with label room.
fn group_boxes(work: &Work, xs: &[f64], ys: &[f64], parents: &[Option<usize>], n: usize) -> Vec<Option<Bounds>> {
    let mut boxes: Vec<Option<Bounds>> = vec![None; parents.len()];
    let grow = |b: &mut Option<Bounds>, r: Bounds| {
        *b = Some(match *b {
            None => r,
            Some(c) => (c.0.min(r.0), c.1.min(r.1), c.2.max(r.2), c.3.max(r.3)),
        });
    };
    for i in 0..n {
        if let Some(&g) = work.chains[i].last() {
            grow(&mut boxes[g], (xs[i], ys[i], xs[i] + work.widths[i], ys[i] + work.heights[i]));
        }
    }
    let mut deepest_first: Vec<usize> = (0..parents.len()).collect();
    deepest_first.sort_by_key(|&g| std::cmp::Reverse(group_chain(Some(g), parents).len()));
    for g in deepest_first {
        if let Some((x0, y0, x1, y1)) = boxes[g] {
            let padded = (x0 - GROUP_PAD, y0 - GROUP_PAD - GROUP_LABEL, x1 + GROUP_PAD, y1 + GROUP_PAD);
            boxes[g] = Some(padded);
            if let Some(p) = parents[g] {
                grow(&mut boxes[p], padded);
            }
        }
    }
    boxes
}

fn overlap(a: Bounds, b: Bounds) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// Moves down, in every layer, the first node of `group` (or `node`) and everything after it by `delta`.
fn shift_down(work: &Work, orders: &[Vec<usize>], ys: &mut [f64], group: Option<usize>, node: usize, delta: f64) {
    for order in orders {
        let first = match group {
            Some(g) => order.iter().position(|&v| work.chains[v].contains(&g)),
            None => order.iter().position(|&v| v == node),
        };
        if let Some(start) = first {
            for &v in &order[start..] {
                ys[v] += delta;
            }
        }
    }
}

/// A group box is a rectangle, so a node of another group that happens to sit in its x and y range would be drawn
/// inside it: push the lower of the two down until no box covers a non-member or a box of another branch.
fn separate_groups(
    work: &Work,
    orders: &[Vec<usize>],
    xs: &[f64],
    ys: &mut [f64],
    parents: &[Option<usize>],
    n: usize,
) {
    for _ in 0..200 {
        let boxes = group_boxes(work, xs, ys, parents, n);
        let mut fixed = false;
        'search: for (g, b) in boxes.iter().enumerate() {
            let Some(b) = *b else { continue };
            for v in 0..n {
                let r = (xs[v], ys[v], xs[v] + work.widths[v], ys[v] + work.heights[v]);
                if work.chains[v].contains(&g) || !overlap(b, r) {
                    continue;
                }
                // Below the group's members in its own layer: it has to go below the box, not the box below it.
                let order = &orders[work.layer[v]];
                let after_members = order
                    .iter()
                    .position(|&m| work.chains[m].contains(&g))
                    .is_some_and(|first| order.iter().position(|&m| m == v).is_some_and(|at| at > first));
                if !after_members && (r.1 + r.3) / 2.0 < (b.1 + b.3) / 2.0 {
                    shift_down(work, orders, ys, Some(g), v, r.3 + NODE_GAP - b.1);
                } else {
                    shift_down(work, orders, ys, None, v, b.3 + NODE_GAP - r.1);
                }
                fixed = true;
                break 'search;
            }
            let chain_g = group_chain(Some(g), parents);
            for (h, other) in boxes.iter().enumerate() {
                let Some(o) = *other else { continue };
                if h == g || chain_g.contains(&h) || group_chain(Some(h), parents).contains(&g) || !overlap(b, o) {
                    continue;
                }
                let (upper, lower_group, lower_box) = if (b.1 + b.3) < (o.1 + o.3) { (b, h, o) } else { (o, g, b) };
                shift_down(work, orders, ys, Some(lower_group), 0, upper.3 + NODE_GAP - lower_box.1);
                fixed = true;
                break 'search;
            }
        }
        if !fixed {
            return;
        }
    }
}

/// The order of the nodes in each layer after barycenter sweeps, with group members kept together.
fn order_layers(work: &Work) -> Vec<Vec<usize>> {
    let layers = work.layer.iter().copied().max().map_or(0, |m| m + 1);
    let mut orders: Vec<Vec<usize>> = vec![Vec::new(); layers];
    for (node, &l) in work.layer.iter().enumerate() {
        orders[l].push(node);
    }
    let mut position = vec![0.0f64; work.layer.len()];
    let reposition = |orders: &Vec<Vec<usize>>, position: &mut Vec<f64>| {
        for order in orders {
            for (i, &node) in order.iter().enumerate() {
                position[node] = i as f64;
            }
        }
    };
    // Initial order: group members together, otherwise input order.
    for order in orders.iter_mut() {
        let keys: HashMap<usize, Vec<f64>> = order.iter().map(|&v| (v, vec![v as f64])).collect();
        sort_grouped(order, &work.chains, &keys);
    }
    reposition(&orders, &mut position);
    for sweep in 0..SWEEPS {
        let down = sweep % 2 == 0;
        let range: Vec<usize> =
            if down { (1..layers).collect() } else { (0..layers.saturating_sub(1)).rev().collect() };
        for l in range {
            let mut keys = HashMap::new();
            for &node in &orders[l] {
                let neighbours = if down { &work.preds[node] } else { &work.succs[node] };
                let bary = if neighbours.is_empty() {
                    position[node]
                } else {
                    neighbours.iter().map(|&m| position[m]).sum::<f64>() / neighbours.len() as f64
                };
                keys.insert(node, vec![bary, position[node]]);
            }
            sort_grouped(&mut orders[l], &work.chains, &keys);
            for (i, &node) in orders[l].iter().enumerate() {
                position[node] = i as f64;
            }
        }
    }
    orders
}

/// Sorts one layer by `keys`, where a group is placed at the mean key of its members, recursively: members of a
/// group stay contiguous and nested groups stay inside their parent.
fn sort_grouped(order: &mut [usize], chains: &[Vec<usize>], keys: &HashMap<usize, Vec<f64>>) {
    // Mean key (first component) of each group prefix present in this layer.
    let mut sums: HashMap<Vec<usize>, (f64, usize)> = HashMap::new();
    for &node in order.iter() {
        let k = keys[&node][0];
        for depth in 1..=chains[node].len() {
            let entry = sums.entry(chains[node][..depth].to_vec()).or_insert((0.0, 0));
            entry.0 += k;
            entry.1 += 1;
        }
    }
    let sort_key = |node: usize| -> Vec<f64> {
        let mut key: Vec<f64> = Vec::new();
        for depth in 1..=chains[node].len() {
            let (sum, count) = sums[&chains[node][..depth]];
            key.push(sum / count as f64);
            key.push(chains[node][depth - 1] as f64); // separates two groups with the same mean
        }
        // A node outside a deeper group sorts among the groups by its own key.
        key.extend(keys[&node].iter().copied());
        key
    };
    let computed: HashMap<usize, Vec<f64>> = order.iter().map(|&v| (v, sort_key(v))).collect();
    order.sort_by(|a, b| {
        let (ka, kb) = (&computed[a], &computed[b]);
        // Compare group by group: the first level where the chains differ decides.
        let (ca, cb) = (&chains[*a], &chains[*b]);
        let shared = ca.iter().zip(cb.iter()).take_while(|(x, y)| x == y).count();
        let ea = level_key(ka, ca.len(), shared);
        let eb = level_key(kb, cb.len(), shared);
        ea.partial_cmp(&eb).unwrap_or(std::cmp::Ordering::Equal)
    });
}

/// The key that orders two nodes whose group chains agree on the first `shared` levels: the next group's mean
/// (and id), or the node's own key when it has no deeper group.
fn level_key(key: &[f64], chain_len: usize, shared: usize) -> Vec<f64> {
    if chain_len > shared {
        key[2 * shared..2 * shared + 2].to_vec()
    } else {
        key[2 * chain_len..].iter().take(1).copied().chain(std::iter::once(-1.0)).collect()
    }
}

/// x per layer (layers as wide as their widest node), y by pulling nodes toward their neighbours.
fn place(work: &Work, orders: &[Vec<usize>]) -> (Vec<f64>, Vec<f64>) {
    let total = work.layer.len();
    let max_depth = work.chains.iter().map(Vec::len).max().unwrap_or(0) as f64;
    let mut xs = vec![0.0; total];
    let mut x = 0.0;
    for order in orders {
        let width = order.iter().map(|&v| work.widths[v]).fold(0.0, f64::max);
        for &v in order {
            xs[v] = x + (width - work.widths[v]) / 2.0;
        }
        x += width + LAYER_GAP + 2.0 * GROUP_PAD * max_depth;
    }
    // Minimum distance between consecutive nodes of a layer: more when group boxes lie between them.
    let gap = |a: usize, b: usize| -> f64 {
        let shared = common_prefix(&work.chains[a], &work.chains[b]).len();
        let closed = (work.chains[a].len() - shared) + (work.chains[b].len() - shared);
        let opened = work.chains[b].len() - shared;
        NODE_GAP + closed as f64 * GROUP_PAD + opened as f64 * GROUP_LABEL
    };
    let mut ys = vec![0.0; total];
    for order in orders {
        let mut y = 0.0;
        for (i, &v) in order.iter().enumerate() {
            if i > 0 {
                y += gap(order[i - 1], v);
            } else {
                y += work.chains[v].len() as f64 * (GROUP_PAD + GROUP_LABEL);
            }
            ys[v] = y;
            y += work.heights[v];
        }
    }
    let centre = |ys: &Vec<f64>, v: usize| ys[v] + work.heights[v] / 2.0;
    for round in 0..SWEEPS {
        let down = round % 2 == 0;
        let layer_ids: Vec<usize> = if down { (0..orders.len()).collect() } else { (0..orders.len()).rev().collect() };
        for l in layer_ids {
            let order = &orders[l];
            let wanted: Vec<f64> = order
                .iter()
                .map(|&v| {
                    let neighbours: Vec<usize> = work.preds[v].iter().chain(work.succs[v].iter()).copied().collect();
                    if neighbours.is_empty() {
                        ys[v]
                    } else {
                        neighbours.iter().map(|&m| centre(&ys, m)).sum::<f64>() / neighbours.len() as f64
                            - work.heights[v] / 2.0
                    }
                })
                .collect();
            // Keep order and spacing: a forward pass pushes down, a backward pass pulls up, then average both.
            let mut forward = wanted.clone();
            for i in 1..order.len() {
                let min = forward[i - 1] + work.heights[order[i - 1]] + gap(order[i - 1], order[i]);
                if forward[i] < min {
                    forward[i] = min;
                }
            }
            let mut backward = wanted;
            for i in (0..order.len().saturating_sub(1)).rev() {
                let max = backward[i + 1] - work.heights[order[i]] - gap(order[i], order[i + 1]);
                if backward[i] > max {
                    backward[i] = max;
                }
            }
            let mut merged: Vec<f64> = forward.iter().zip(&backward).map(|(f, b)| (f + b) / 2.0).collect();
            for i in 1..order.len() {
                let min = merged[i - 1] + work.heights[order[i - 1]] + gap(order[i - 1], order[i]);
                if merged[i] < min {
                    merged[i] = min;
                }
            }
            for (i, &v) in order.iter().enumerate() {
                ys[v] = merged[i];
            }
        }
    }
    (xs, ys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, group: Option<&str>) -> LayoutNode {
        LayoutNode { id: id.into(), width: 100.0, height: 30.0, group: group.map(Into::into) }
    }

    fn edge(a: &str, b: &str) -> (String, String) {
        (a.into(), b.into())
    }

    fn rect_of<'a>(layout: &'a Layout, id: &str) -> &'a Rect {
        &layout.nodes.iter().find(|(n, _)| n == id).unwrap().1
    }

    fn overlaps(a: &Rect, b: &Rect) -> bool {
        a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height
    }

    #[test]
    fn chain_goes_left_to_right() {
        let nodes = vec![node("a", None), node("b", None), node("c", None)];
        let out = layout(&nodes, &[edge("a", "b"), edge("b", "c")], &[]);
        let (a, b, c) = (rect_of(&out, "a"), rect_of(&out, "b"), rect_of(&out, "c"));
        assert!(a.x + a.width < b.x && b.x + b.width < c.x);
        assert_eq!(a.y, b.y);
        assert_eq!(out.edges.len(), 2);
        assert_eq!(out.edges[0].2.first().unwrap().0, a.x + a.width);
        assert_eq!(out.edges[0].2.last().unwrap().0, b.x);
    }

    #[test]
    fn no_two_nodes_overlap_and_long_edges_bend_through_dummies() {
        let nodes: Vec<_> = (0..6).map(|i| node(&format!("t{i}"), None)).collect();
        let edges = vec![
            edge("t0", "t1"),
            edge("t1", "t2"),
            edge("t2", "t3"),
            edge("t0", "t3"),
            edge("t0", "t4"),
            edge("t4", "t5"),
            edge("t5", "t3"),
        ];
        let out = layout(&nodes, &edges, &[]);
        for (i, (_, a)) in out.nodes.iter().enumerate() {
            for (_, b) in &out.nodes[i + 1..] {
                assert!(!overlaps(a, b), "{a:?} overlaps {b:?}");
            }
        }
        let long = out.edges.iter().find(|(s, t, _)| s == "t0" && t == "t3").unwrap();
        assert_eq!(long.2.len(), 4, "two dummies between layer 0 and layer 3");
        assert!(out.width > 0.0 && out.height > 0.0);
    }

    #[test]
    fn barycenter_removes_a_needless_crossing() {
        // a1 -> b2 and a2 -> b1 given in crossing order: the sweep uncrosses them.
        let nodes = vec![node("a1", None), node("a2", None), node("b1", None), node("b2", None)];
        let out = layout(&nodes, &[edge("a1", "b2"), edge("a2", "b1")], &[]);
        let above = |x: &str, y: &str| rect_of(&out, x).y < rect_of(&out, y).y;
        assert_eq!(above("a1", "a2"), above("b2", "b1"));
    }

    #[test]
    fn groups_are_nested_boxes_around_their_members_only() {
        let nodes = vec![
            node("start", None),
            node("g.x", Some("g")),
            node("g.h.y", Some("g.h")),
            node("other", None),
            node("end", None),
        ];
        let groups = vec![
            LayoutGroup { id: "g".into(), parent: None },
            LayoutGroup { id: "g.h".into(), parent: Some("g".into()) },
        ];
        let edges = vec![
            edge("start", "g.x"),
            edge("g.x", "g.h.y"),
            edge("g.h.y", "end"),
            edge("start", "other"),
            edge("other", "end"),
        ];
        let out = layout(&nodes, &edges, &groups);
        let boxes: HashMap<_, _> = out.groups.iter().cloned().collect();
        let (g, h) = (boxes["g"], boxes["g.h"]);
        let inside = |inner: &Rect, outer: &Rect| {
            inner.x >= outer.x
                && inner.y >= outer.y
                && inner.x + inner.width <= outer.x + outer.width
                && inner.y + inner.height <= outer.y + outer.height
        };
        assert!(inside(rect_of(&out, "g.x"), &g));
        assert!(inside(&h, &g));
        assert!(inside(rect_of(&out, "g.h.y"), &h));
        for id in ["start", "other", "end"] {
            assert!(!overlaps(rect_of(&out, id), &g), "{id} is drawn inside group g");
        }
    }

    #[test]
    fn a_cycle_does_not_loop_and_keeps_every_edge() {
        let nodes = vec![node("a", None), node("b", None)];
        let out = layout(&nodes, &[edge("a", "b"), edge("b", "a"), edge("a", "a"), edge("a", "zzz")], &[]);
        assert_eq!(out.edges.len(), 2);
        assert!(out.edges.iter().any(|(s, t, _)| s == "b" && t == "a"));
    }

    #[test]
    fn empty_graph() {
        let out = layout(&[], &[], &[]);
        assert!(out.nodes.is_empty() && out.width == 0.0);
    }
}
