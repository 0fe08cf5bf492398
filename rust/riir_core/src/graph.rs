//! The DAG graph: interned task ids and the edges between them.
//!
//! Tasks are stored in insertion order and referred to by a small integer ([`TaskIdx`]). Every ordering the
//! graph produces is deterministic: ties are always broken by insertion order, so the same DAG file gives the
//! same topological order, the same cycle report and the same layout on every run.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use crate::error::{CoreError, CoreResult};

/// Index of a task in its [`Graph`], in insertion order.
pub type TaskIdx = usize;

/// A directed graph of tasks, keyed by task id.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    ids: Vec<String>,
    index: HashMap<String, TaskIdx>,
    downstream: Vec<Vec<TaskIdx>>,
    upstream: Vec<Vec<TaskIdx>>,
}

impl Graph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of tasks.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when the graph has no tasks.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Adds a task; a task id may be added only once.
    pub fn add_task(&mut self, task_id: &str) -> CoreResult<TaskIdx> {
        if self.index.contains_key(task_id) {
            return Err(CoreError::DuplicateTaskId { task_id: task_id.to_owned() });
        }
        let idx = self.ids.len();
        self.ids.push(task_id.to_owned());
        self.index.insert(task_id.to_owned(), idx);
        self.downstream.push(Vec::new());
        self.upstream.push(Vec::new());
        Ok(idx)
    }

    /// Looks up a task id.
    pub fn idx(&self, task_id: &str) -> CoreResult<TaskIdx> {
        self.index.get(task_id).copied().ok_or_else(|| CoreError::UnknownTask { task_id: task_id.to_owned() })
    }

    /// The task id of an index.
    pub fn task_id(&self, idx: TaskIdx) -> &str {
        &self.ids[idx]
    }

    /// All task ids in insertion order.
    pub fn task_ids(&self) -> &[String] {
        &self.ids
    }

    /// Adds the edge `upstream >> downstream`. Adding an existing edge again is a no-op, as in Airflow.
    pub fn add_edge(&mut self, upstream: &str, downstream: &str) -> CoreResult<()> {
        let up = self.idx(upstream)?;
        let down = self.idx(downstream)?;
        self.add_edge_idx(up, down);
        Ok(())
    }

    /// Adds an edge between two known indexes (no-op when it exists).
    pub fn add_edge_idx(&mut self, up: TaskIdx, down: TaskIdx) {
        if !self.downstream[up].contains(&down) {
            self.downstream[up].push(down);
            self.upstream[down].push(up);
        }
    }

    /// Direct downstream tasks, in the order the edges were added.
    pub fn downstream_of(&self, idx: TaskIdx) -> &[TaskIdx] {
        &self.downstream[idx]
    }

    /// Direct upstream tasks, in the order the edges were added.
    pub fn upstream_of(&self, idx: TaskIdx) -> &[TaskIdx] {
        &self.upstream[idx]
    }

    /// Tasks with no upstream, in insertion order.
    pub fn roots(&self) -> Vec<TaskIdx> {
        (0..self.len()).filter(|&i| self.upstream[i].is_empty()).collect()
    }

    /// Tasks with no downstream, in insertion order.
    pub fn leaves(&self) -> Vec<TaskIdx> {
        (0..self.len()).filter(|&i| self.downstream[i].is_empty()).collect()
    }

    /// Finds a cycle with the depth-first walk Airflow's `check_cycle` uses: tasks are started in insertion
    /// order, and the reported task is the one whose edge leads back onto the current path (Airflow's
    /// "Faulty task").
    pub fn find_cycle(&self) -> Option<TaskIdx> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            OnPath,
            Done,
        }
        let mut mark = vec![Mark::New; self.len()];
        // Each stack frame is (task, position of the next child to visit).
        let mut stack: Vec<(TaskIdx, usize)> = Vec::new();
        for start in 0..self.len() {
            if mark[start] != Mark::New {
                continue;
            }
            mark[start] = Mark::OnPath;
            stack.push((start, 0));
            while let Some(&mut (task, ref mut next)) = stack.last_mut() {
                if let Some(&child) = self.downstream[task].get(*next) {
                    *next += 1;
                    match mark[child] {
                        Mark::OnPath => return Some(task),
                        Mark::New => {
                            mark[child] = Mark::OnPath;
                            stack.push((child, 0));
                        }
                        Mark::Done => {}
                    }
                } else {
                    mark[task] = Mark::Done;
                    stack.pop();
                }
            }
        }
        None
    }

    /// Fails with [`CoreError::Cycle`] naming one task on a cycle.
    pub fn check_acyclic(&self) -> CoreResult<()> {
        match self.find_cycle() {
            Some(idx) => Err(CoreError::Cycle { task_id: self.ids[idx].clone() }),
            None => Ok(()),
        }
    }

    /// A topological order (upstream before downstream). Among tasks that are ready at the same time the one
    /// added first comes first, so the order is stable.
    pub fn topological_order(&self) -> CoreResult<Vec<TaskIdx>> {
        let mut missing: Vec<usize> = self.upstream.iter().map(Vec::len).collect();
        let mut ready: BinaryHeap<Reverse<TaskIdx>> =
            (0..self.len()).filter(|&i| missing[i] == 0).map(Reverse).collect();
        let mut order = Vec::with_capacity(self.len());
        while let Some(Reverse(task)) = ready.pop() {
            order.push(task);
            for &child in &self.downstream[task] {
                missing[child] -= 1;
                if missing[child] == 0 {
                    ready.push(Reverse(child));
                }
            }
        }
        if order.len() < self.len() {
            self.check_acyclic()?;
        }
        Ok(order)
    }

    fn closure(&self, start: TaskIdx, edges: &[Vec<TaskIdx>]) -> Vec<TaskIdx> {
        let mut seen = vec![false; self.len()];
        let mut todo = vec![start];
        while let Some(task) = todo.pop() {
            for &next in &edges[task] {
                if !seen[next] {
                    seen[next] = true;
                    todo.push(next);
                }
            }
        }
        (0..self.len()).filter(|&i| seen[i] && i != start).collect()
    }

    /// Every task reachable upstream of `idx` (not including it), in insertion order.
    pub fn upstream_closure(&self, idx: TaskIdx) -> Vec<TaskIdx> {
        self.closure(idx, &self.upstream)
    }

    /// Every task reachable downstream of `idx` (not including it), in insertion order.
    pub fn downstream_closure(&self, idx: TaskIdx) -> Vec<TaskIdx> {
        self.closure(idx, &self.downstream)
    }

    /// A new graph holding only `keep` (plus their upstream / downstream closures when asked), with the edges
    /// among the kept tasks, in the original insertion order — what Airflow's `partial_subset` does.
    pub fn subset(&self, keep: &[TaskIdx], include_upstream: bool, include_downstream: bool) -> Graph {
        let mut kept = vec![false; self.len()];
        for &task in keep {
            kept[task] = true;
            if include_upstream {
                self.upstream_closure(task).into_iter().for_each(|t| kept[t] = true);
            }
            if include_downstream {
                self.downstream_closure(task).into_iter().for_each(|t| kept[t] = true);
            }
        }
        let mut sub = Graph::new();
        for (idx, id) in self.ids.iter().enumerate() {
            if kept[idx] {
                // Ids are unique in `self`, so this cannot fail.
                let _ = sub.add_task(id);
            }
        }
        for (up, downs) in self.downstream.iter().enumerate() {
            for &down in downs {
                if kept[up] && kept[down] {
                    sub.add_edge_idx(sub.index[&self.ids[up]], sub.index[&self.ids[down]]);
                }
            }
        }
        sub
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(tasks: &[&str], edges: &[(&str, &str)]) -> Graph {
        let mut g = Graph::new();
        for t in tasks {
            g.add_task(t).unwrap();
        }
        for (a, b) in edges {
            g.add_edge(a, b).unwrap();
        }
        g
    }

    fn ids(g: &Graph, idxs: &[TaskIdx]) -> Vec<String> {
        idxs.iter().map(|&i| g.task_id(i).to_owned()).collect()
    }

    #[test]
    fn duplicate_task_id_is_refused() {
        let mut g = Graph::new();
        g.add_task("a").unwrap();
        assert_eq!(g.add_task("a"), Err(CoreError::DuplicateTaskId { task_id: "a".into() }));
    }

    #[test]
    fn edge_to_unknown_task_is_refused() {
        let mut g = graph(&["a"], &[]);
        assert_eq!(g.add_edge("a", "zz"), Err(CoreError::UnknownTask { task_id: "zz".into() }));
    }

    #[test]
    fn repeated_edge_is_kept_once() {
        let g = graph(&["a", "b"], &[("a", "b"), ("a", "b")]);
        assert_eq!(g.downstream_of(0), &[1]);
        assert_eq!(g.upstream_of(1), &[0]);
    }

    #[test]
    fn topological_order_breaks_ties_by_insertion_order() {
        // c and b both become ready after a; the edge to c was added first but b was added to the graph first.
        let g = graph(&["x", "b", "a", "c"], &[("a", "c"), ("a", "b"), ("c", "x")]);
        let order = g.topological_order().unwrap();
        assert_eq!(ids(&g, &order), ["a", "b", "c", "x"]);
    }

    #[test]
    fn topological_order_of_diamond() {
        let g = graph(
            &["start", "left", "right", "end"],
            &[("start", "right"), ("start", "left"), ("left", "end"), ("right", "end")],
        );
        assert_eq!(ids(&g, &g.topological_order().unwrap()), ["start", "left", "right", "end"]);
    }

    #[test]
    fn cycle_is_detected_and_names_a_task_on_it() {
        let g = graph(&["a", "b", "c", "d"], &[("a", "b"), ("b", "c"), ("c", "b"), ("c", "d")]);
        // The walk goes a, b, c; c's edge leads back to b, which is still on the path: c is reported.
        assert_eq!(g.find_cycle().map(|i| g.task_id(i).to_owned()), Some("c".into()));
        assert_eq!(g.topological_order(), Err(CoreError::Cycle { task_id: "c".into() }));
    }

    #[test]
    fn self_loop_is_a_cycle() {
        let g = graph(&["a"], &[("a", "a")]);
        assert_eq!(g.check_acyclic(), Err(CoreError::Cycle { task_id: "a".into() }));
    }

    #[test]
    fn acyclic_graph_with_shared_descendants_is_not_a_cycle() {
        // d is reached twice through different paths; that is not a cycle.
        let g = graph(&["a", "b", "c", "d"], &[("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]);
        assert_eq!(g.find_cycle(), None);
    }

    #[test]
    fn long_chain_does_not_overflow_the_stack() {
        let mut g = Graph::new();
        let n = 200_000;
        for i in 0..n {
            g.add_task(&format!("t{i}")).unwrap();
        }
        for i in 1..n {
            g.add_edge_idx(i - 1, i);
        }
        assert_eq!(g.find_cycle(), None);
        assert_eq!(g.topological_order().unwrap().len(), n);
        g.add_edge_idx(n - 1, 0);
        assert!(g.find_cycle().is_some());
    }

    #[test]
    fn closures_roots_and_leaves() {
        let g = graph(&["a", "b", "c", "d", "e"], &[("a", "b"), ("b", "c"), ("d", "c"), ("c", "e")]);
        assert_eq!(ids(&g, &g.upstream_closure(g.idx("c").unwrap())), ["a", "b", "d"]);
        assert_eq!(ids(&g, &g.downstream_closure(g.idx("b").unwrap())), ["c", "e"]);
        assert_eq!(ids(&g, &g.roots()), ["a", "d"]);
        assert_eq!(ids(&g, &g.leaves()), ["e"]);
    }

    #[test]
    fn subset_keeps_edges_among_kept_tasks() {
        let g = graph(&["a", "b", "c", "d"], &[("a", "b"), ("b", "c"), ("c", "d")]);
        let sub = g.subset(&[g.idx("b").unwrap()], false, true);
        assert_eq!(sub.task_ids(), ["b", "c", "d"]);
        assert_eq!(ids(&sub, sub.downstream_of(0)), ["c"]);
        let up = g.subset(&[g.idx("c").unwrap()], true, false);
        assert_eq!(up.task_ids(), ["a", "b", "c"]);
    }
}
