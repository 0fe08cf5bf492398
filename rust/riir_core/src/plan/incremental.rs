//! The planner state of one DAG run kept across loop turns, so that a turn costs O(changes), not O(tasks).
//!
//! [`RunPlanState`] holds the run's task instance rows (with per-task counts by state), the last decision of every
//! schedulable instance that was not "wait", and the ready frontier in `to_run` order. The caller feeds it only
//! what changed since the last turn ([`RunPlanState::set`], [`RunPlanState::remove`]); [`RunPlanState::plan`]
//! then decides again only the instances whose inputs changed, and gives the same [`Plan`] as
//! [`Planner::plan`] on a snapshot of every row (the property test in `tests.rs` checks this).
//!
//! What an instance's decision reads (see `View::decide`): its own state and, when its task is in a mapped group,
//! its task's expansion count; the rows of its direct upstreams, indirect setups, teardown scope, expansion
//! inputs, and of the unmapped tasks of its mapped groups (whose expansion is the group's count). A change to a
//! row of task `u` therefore re-decides that instance, every instance of the tasks that read `u`
//! ([`readers`]), and every instance of `u` when its expansion count changed.

use std::collections::{BTreeSet, HashMap};

use super::{Plan, Planner, Row, Tally, TaskInfo, TiKey, TiRows, TiState, View};
use crate::error::{CoreError, CoreResult};
use crate::graph::{Graph, TaskIdx};
use crate::state::{is_schedulable, is_unfinished, TaskInstanceState};
use crate::trigger_rule::Decision;

/// Per task `u`: the other tasks whose decisions read the rows of `u`.
pub(super) fn readers(
    graph: &Graph,
    info: &[TaskInfo],
    group_deps: &[Vec<TaskIdx>],
    group_members: &[Vec<TaskIdx>],
    indirect_setups: &[Vec<TaskIdx>],
    teardown_scope: &[Vec<TaskIdx>],
) -> Vec<Vec<TaskIdx>> {
    let n = graph.len();
    let mut readers: Vec<Vec<TaskIdx>> = vec![Vec::new(); n];
    for t in 0..n {
        let mut read = graph.upstream_of(t).to_vec();
        read.extend(&indirect_setups[t]);
        read.extend(&teardown_scope[t]);
        if info[t].is_mapped {
            read.extend(&info[t].mapped_deps);
        }
        for &g in &info[t].groups {
            read.extend(&group_deps[g]);
            read.extend(&group_members[g]);
        }
        for u in read {
            if u != t {
                readers[u].push(t);
            }
        }
    }
    for r in &mut readers {
        r.sort_unstable();
        r.dedup();
    }
    readers
}

/// The rows of a run, per task sorted by map index, with their counts by state.
#[derive(Debug, Clone)]
struct RunRows {
    rows: Vec<Vec<Row>>,
    tallies: Vec<Tally>,
}

impl TiRows for RunRows {
    fn rows(&self, task: TaskIdx) -> &[Row] {
        &self.rows[task]
    }

    fn tally(&self, task: TaskIdx) -> Tally {
        self.tallies[task]
    }
}

/// Sort key of a ready instance: `to_run` order (highest effective priority first, then lowest map index, then
/// topological order).
type ReadyKey = (i64, i64, usize);
/// Sort key of the other decisions: topological order, then map index.
type TopoKey = (usize, i64);

const STATE_SLOTS: usize = TaskInstanceState::ALL.len() + 1;

fn state_slot(state: Option<TaskInstanceState>) -> usize {
    state.map_or(0, |s| s as usize + 1)
}

/// The planner state of one DAG run across loop turns. Every method takes the run's DAG [`Planner`]: always the
/// same one.
#[derive(Debug, Clone)]
pub struct RunPlanState {
    rows: RunRows,
    /// The last decision of each schedulable instance, when it is not `Wait`.
    decisions: HashMap<TiKey, Decision>,
    ready: BTreeSet<ReadyKey>,
    /// The ready instances that take no run slot when started (see [`RunPlanState::ready_without_slot`]).
    ready_free: BTreeSet<ReadyKey>,
    /// Per task: its instances take no run slot (the caller says which, e.g. empty tasks it marks success).
    slot_free: Vec<bool>,
    /// Per task: its number of instances in each state (index 0: no state, then `TaskInstanceState::ALL` order).
    state_counts: Vec<[u32; STATE_SLOTS]>,
    skip: BTreeSet<TopoKey>,
    upstream_failed: BTreeSet<TopoKey>,
    remove: BTreeSet<TopoKey>,
    /// Instances to decide again at the next plan (duplicates allowed).
    dirty: Vec<TiKey>,
    /// Tasks all of whose instances are to be decided again, with a flag per task.
    dirty_tasks: Vec<TaskIdx>,
    is_dirty_task: Vec<bool>,
    /// Instances not finished, and those among them that keep Airflow from declaring a deadlock.
    unfinished: usize,
    blocking: usize,
}

impl RunPlanState {
    /// A run without task instances. `slot_free`: tasks whose instances take no run slot when started.
    pub fn new(planner: &Planner, slot_free: &[TaskIdx]) -> Self {
        let n = planner.graph.len();
        let mut free = vec![false; n];
        for &t in slot_free {
            if t < n {
                free[t] = true;
            }
        }
        RunPlanState {
            ready_free: BTreeSet::new(),
            slot_free: free,
            state_counts: vec![[0; STATE_SLOTS]; n],
            rows: RunRows { rows: vec![Vec::new(); n], tallies: vec![Tally::default(); n] },
            decisions: HashMap::new(),
            ready: BTreeSet::new(),
            skip: BTreeSet::new(),
            upstream_failed: BTreeSet::new(),
            remove: BTreeSet::new(),
            dirty: Vec::new(),
            dirty_tasks: Vec::new(),
            is_dirty_task: vec![false; n],
            unfinished: 0,
            blocking: 0,
        }
    }

    /// Number of task instances held.
    pub fn len(&self) -> usize {
        self.rows.tallies.iter().map(|t| t.rows as usize).sum()
    }

    /// True when no task instance is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The state of a task instance, `None` when it does not exist (`Some(None)`: it exists without a state).
    pub fn state(&self, task: TaskIdx, map_index: i64) -> Option<Option<TaskInstanceState>> {
        let rows = self.rows.rows.get(task)?;
        rows.binary_search_by_key(&map_index, |&(mi, _)| mi).ok().map(|at| rows[at].1)
    }

    /// Creates the task instance (`task`, `map_index`) or changes its state.
    pub fn set(
        &mut self,
        planner: &Planner,
        task: TaskIdx,
        map_index: i64,
        state: Option<TaskInstanceState>,
    ) -> CoreResult<()> {
        let rows = self.rows.rows.get_mut(task).ok_or_else(|| unknown(task))?;
        let old = match rows.binary_search_by_key(&map_index, |&(mi, _)| mi) {
            Ok(at) if rows[at].1 == state => return Ok(()),
            Ok(at) => Some(std::mem::replace(&mut rows[at].1, state)),
            Err(at) => {
                rows.insert(at, (map_index, state));
                None
            }
        };
        if let Some(old) = old {
            self.count_row(planner, task, old, -1);
        }
        self.count_row(planner, task, state, 1);
        let removed = |s: Option<Option<TaskInstanceState>>| s == Some(Some(TaskInstanceState::Removed));
        // The expansion count (non-removed rows at map index >= 0) changes when a row comes or a removal flips.
        let count_changed = map_index >= 0 && (old.is_none() || removed(old) != removed(Some(state)));
        self.touched(planner, task, map_index, count_changed);
        Ok(())
    }

    /// Deletes the task instance (`task`, `map_index`), if it exists (an expansion replaces map index -1).
    pub fn remove(&mut self, planner: &Planner, task: TaskIdx, map_index: i64) -> CoreResult<()> {
        let rows = self.rows.rows.get_mut(task).ok_or_else(|| unknown(task))?;
        let Ok(at) = rows.binary_search_by_key(&map_index, |&(mi, _)| mi) else { return Ok(()) };
        let (_, old) = rows.remove(at);
        self.count_row(planner, task, old, -1);
        let count_changed = map_index >= 0 && old != Some(TaskInstanceState::Removed);
        self.touched(planner, task, map_index, count_changed);
        Ok(())
    }

    /// Counts a row in `state` in (`by` = 1) or out (`by` = -1).
    fn count_row(&mut self, planner: &Planner, task: TaskIdx, state: Option<TaskInstanceState>, by: i64) {
        self.rows.tallies[task].add(state, by);
        let slot = &mut self.state_counts[task][state_slot(state)];
        *slot = if by > 0 { *slot + 1 } else { *slot - 1 };
        if is_unfinished(state) {
            let step = |n: usize| if by > 0 { n + 1 } else { n - 1 };
            self.unfinished = step(self.unfinished);
            if planner.blocks_deadlock_check(&TiState { task, map_index: -1, state }) {
                self.blocking = step(self.blocking);
            }
        }
    }

    /// Marks what a change to (`task`, `map_index`) may change the decision of.
    fn touched(&mut self, planner: &Planner, task: TaskIdx, map_index: i64, count_changed: bool) {
        self.dirty.push((task, map_index));
        if count_changed && !planner.info[task].groups.is_empty() {
            self.mark_task(task);
        }
        for &reader in &planner.readers[task] {
            self.mark_task(reader);
        }
    }

    fn mark_task(&mut self, task: TaskIdx) {
        if !self.is_dirty_task[task] {
            self.is_dirty_task[task] = true;
            self.dirty_tasks.push(task);
        }
    }

    /// One planning pass: decides again what changed since the last one, and gives the whole plan (as
    /// [`Planner::plan`] on a snapshot of every row: no expansion callback).
    pub fn plan(&mut self, planner: &Planner) -> Plan {
        let view = View { planner, rows: &self.rows };
        let mut redecide = |key: TiKey, state: Option<TaskInstanceState>| {
            let decision = if is_schedulable(state) {
                view.decide(&TiState { task: key.0, map_index: key.1, state })
            } else {
                Decision::Wait
            };
            let old = if decision == Decision::Wait {
                self.decisions.remove(&key)
            } else {
                self.decisions.insert(key, decision)
            };
            let (weight, pos) = (planner.weights[key.0], planner.topo_pos[key.0]);
            // Started without a run slot: an expansion, a slot-free task, or a try that may wait for its moment.
            let free = (key.1 < 0 && planner.info[key.0].needs_expansion)
                || self.slot_free[key.0]
                || matches!(state, Some(TaskInstanceState::UpForRetry | TaskInstanceState::UpForReschedule));
            if decision == Decision::Run && free {
                self.ready_free.insert((-weight, key.1, pos));
            } else {
                self.ready_free.remove(&(-weight, key.1, pos));
            }
            if old == Some(decision) {
                return;
            }
            for (d, add) in [(old, false), (Some(decision), true)] {
                let set = match d {
                    Some(Decision::Run) => {
                        let k = (-weight, key.1, pos);
                        if add {
                            self.ready.insert(k)
                        } else {
                            self.ready.remove(&k)
                        };
                        continue;
                    }
                    Some(Decision::Skip) => &mut self.skip,
                    Some(Decision::UpstreamFailed) => &mut self.upstream_failed,
                    Some(Decision::Removed) => &mut self.remove,
                    Some(Decision::Wait) | None => continue,
                };
                if add {
                    set.insert((pos, key.1))
                } else {
                    set.remove(&(pos, key.1))
                };
            }
        };
        for key in std::mem::take(&mut self.dirty) {
            let rows = &self.rows.rows[key.0];
            match rows.binary_search_by_key(&key.1, |&(mi, _)| mi) {
                Ok(_) if self.is_dirty_task[key.0] => {} // decided with all of its task's instances below
                Ok(at) => redecide(key, rows[at].1),
                Err(_) => redecide(key, Some(TaskInstanceState::Success)), // gone: forget its decision
            }
        }
        for task in std::mem::take(&mut self.dirty_tasks) {
            self.is_dirty_task[task] = false;
            for &(mi, state) in &self.rows.rows[task] {
                redecide((task, mi), state);
            }
        }

        let by_topo = |set: &BTreeSet<TopoKey>| set.iter().map(|&(pos, mi)| (planner.order[pos], mi)).collect();
        let plan_to_run: Vec<TiKey> = self.ready.iter().map(|&(_, mi, pos)| (planner.order[pos], mi)).collect();
        let (to_skip, to_upstream_failed, to_remove): (Vec<TiKey>, Vec<TiKey>, Vec<TiKey>) =
            (by_topo(&self.skip), by_topo(&self.upstream_failed), by_topo(&self.remove));
        let decided =
            !(plan_to_run.is_empty() && to_skip.is_empty() && to_upstream_failed.is_empty() && to_remove.is_empty());
        let view = View { planner, rows: &self.rows };
        let others = self.rows.rows.iter().enumerate().flat_map(|(task, rows)| {
            rows.iter()
                .filter(|&&(_, s)| is_unfinished(s) && !is_schedulable(s))
                .map(move |&(map_index, state)| TiState { task, map_index, state })
        });
        let run_state = planner.run_state(&view, self.unfinished, self.blocking == 0, decided, others);
        Plan { to_run: plan_to_run, to_skip, to_upstream_failed, to_remove, expanded: Vec::new(), run_state }
    }
}

impl RunPlanState {
    /// Of the instances ready at the last [`RunPlanState::plan`], in `to_run` order, those that take no run slot
    /// when started (expansions, slot-free tasks, tries waiting for a retry delay or a reschedule date): what is
    /// left to look at once the run's slots are full.
    pub fn ready_without_slot(&self, planner: &Planner) -> Vec<TiKey> {
        self.ready_free.iter().map(|&(_, mi, pos)| (planner.order[pos], mi)).collect()
    }

    /// Number of instances in one of `states`, of `task` or of the whole run.
    pub fn count(&self, task: Option<TaskIdx>, states: &[Option<TaskInstanceState>]) -> usize {
        let per_task = |t: TaskIdx| states.iter().map(|&s| self.state_counts[t][state_slot(s)] as usize).sum::<usize>();
        match task {
            Some(t) if t < self.state_counts.len() => per_task(t),
            Some(_) => 0,
            None => (0..self.state_counts.len()).map(per_task).sum(),
        }
    }
}

fn unknown(task: TaskIdx) -> CoreError {
    CoreError::UnknownTask { task_id: format!("#{task}") }
}
