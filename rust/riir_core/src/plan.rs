//! The run planner: one call per loop turn decides, from a snapshot of a DAG run's task instance states, which
//! task instances start, which become skipped / upstream_failed / removed, and the DAG run's state.
//!
//! It reproduces one scheduling pass of Airflow 3.3.2 (`DagRun.update_state` ->
//! `task_instance_scheduling_decisions` -> `_get_ready_tis`, then `_are_premature_tis` and the run-state rules):
//!
//! - Every decision of a pass is made from the same snapshot; a state set in this pass is not seen by other task
//!   instances until the next pass (Airflow's `finished_tis` list is fixed for the pass). The caller applies the
//!   result and calls [`Planner::plan`] again. Which of two decisions wins can depend on this (an `all_success`
//!   task whose upstreams are "skipped" and "not yet decided" is skipped, even if the second becomes
//!   upstream_failed in the same pass), so the pass structure is part of the semantics.
//! - Only task instances in a schedulable state (no state, up_for_retry, up_for_reschedule) are decided.
//!   An up_for_retry / up_for_reschedule instance whose dependencies hold is returned in `to_run`; waiting for its
//!   retry delay or reschedule date is the caller's job (Airflow: `NotInRetryPeriodDep`, `ReadyToRescheduleDep`).
//! - Dependencies evaluated here: the trigger rule (`TriggerRuleDep`, including the indirect-setup constraint and
//!   the teardown scope), and `MappedTaskUpstreamDep`. Not here (the caller's): `PrevDagrunDep`
//!   (depends_on_past), `NotPreviouslySkippedDep` (branch XCom; Airflow 3 branches also set the skipped states
//!   directly), pools and concurrency limits.
//! - A not-yet-expanded task instance (map index -1 of a mapped task or of a task in a mapped task group) in
//!   `to_run` means "ready to expand"; the caller expands it and plans again. With
//!   [`Planner::plan_expanding`] the caller instead answers an expansion callback and the new instances are
//!   decided in the same pass, as in Airflow (length 0 = skipped, length unknown = upstream_failed).
//! - DAG validation is not repeated here: Airflow refuses a setup whose direct (non-teardown) downstream is not
//!   all_success ("Setup tasks must be followed with trigger rule ALL_SUCCESS.") when the DAG is bagged.
//! - Run state: failed when nothing is unfinished and an effective leaf failed; success when nothing is unfinished
//!   and every effective leaf succeeded or was skipped; failed on deadlock (unfinished task instances, none of
//!   which can run, none decided in this pass, and no task with depends_on_past or a task-instance concurrency
//!   limit among them, and none deferred or awaiting input); running otherwise. Teardowns are not leaves unless
//!   `on_failure_fail_dagrun`.

use std::collections::HashMap;

use crate::error::{CoreError, CoreResult};
use crate::graph::{Graph, TaskIdx};
use crate::state::{is_schedulable, is_unfinished, DagRunState, TaskInstanceState, TriggerRule, WeightRule};
use crate::trigger_rule::{self, Decision, UpstreamCounts};

/// Everything the planner needs to know about one task.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSpec {
    /// The task id.
    pub task_id: String,
    /// Its trigger rule.
    pub trigger_rule: TriggerRule,
    /// True for a setup task.
    pub is_setup: bool,
    /// True for a teardown task.
    pub is_teardown: bool,
    /// For a teardown: its failure fails the DAG run (it then counts as a leaf).
    pub on_failure_fail_dagrun: bool,
    /// Its own `priority_weight`.
    pub priority_weight: i64,
    /// How its effective weight is computed from its own and its relatives' weights.
    pub weight_rule: WeightRule,
    /// The mapped task groups it is in, innermost first (empty when none).
    pub mapped_groups: Vec<String>,
    /// True when the task itself is mapped (`.expand(...)`).
    pub is_mapped: bool,
    /// For a mapped task: the tasks whose output it expands over.
    pub mapped_dependencies: Vec<String>,
    /// `depends_on_past` (or `wait_for_downstream`): Airflow then never declares a deadlock.
    pub depends_on_past: bool,
    /// `max_active_tis_per_dag` or `max_active_tis_per_dagrun` is set: Airflow then never declares a deadlock.
    pub has_ti_concurrency_limit: bool,
}

impl TaskSpec {
    /// A task with Airflow's defaults: all_success, priority weight 1, downstream weight rule, not mapped.
    pub fn new(task_id: impl Into<String>) -> Self {
        TaskSpec {
            task_id: task_id.into(),
            trigger_rule: TriggerRule::AllSuccess,
            is_setup: false,
            is_teardown: false,
            on_failure_fail_dagrun: false,
            priority_weight: 1,
            weight_rule: WeightRule::Downstream,
            mapped_groups: Vec::new(),
            is_mapped: false,
            mapped_dependencies: Vec::new(),
            depends_on_past: false,
            has_ti_concurrency_limit: false,
        }
    }
}

/// One task instance of the snapshot: task, map index (-1 when not mapped or not yet expanded), state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TiState {
    /// Index of the task in the planner's graph.
    pub task: TaskIdx,
    /// Map index, -1 for an unmapped or not-yet-expanded task instance.
    pub map_index: i64,
    /// Its state; `None` when it has none yet.
    pub state: Option<TaskInstanceState>,
}

/// A task instance key in a plan: (task, map index).
pub type TiKey = (TaskIdx, i64);

/// The outcome of one planning pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Task instances to start (or, at map index -1 of a task that needs expansion, to expand), highest effective
    /// priority first, then lowest map index, then topological order.
    pub to_run: Vec<TiKey>,
    /// Task instances to mark skipped, in topological order then map index.
    pub to_skip: Vec<TiKey>,
    /// Task instances to mark upstream_failed, in topological order then map index.
    pub to_upstream_failed: Vec<TiKey>,
    /// Task instances to mark removed (surplus map indexes), in topological order then map index.
    pub to_remove: Vec<TiKey>,
    /// Tasks expanded in this pass by the `expand` callback of [`Planner::plan_expanding`], with their number of
    /// map indexes: the caller replaces the task's map index -1 with map indexes `0..count` (no state yet).
    pub expanded: Vec<(TaskIdx, i64)>,
    /// The DAG run's state after this pass.
    pub run_state: DagRunState,
}

/// The expansion callback of [`Planner::plan_expanding`]: the number of map indexes of a task that is ready to
/// expand (Airflow's `get_mapped_ti_count`), or `None` when its input cannot be computed.
pub type ExpandFn<'f, E> = dyn FnMut(TaskIdx) -> Result<Option<i64>, E> + 'f;

/// Relevant map indexes of an upstream (Airflow's `_get_relevant_map_indexes` result).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relevant {
    /// Every task instance of the upstream.
    All,
    /// Only not-expanded instances (map index < 0).
    UnexpandedOnly,
    /// Not-expanded instances and the map indexes in `start..end`.
    Range(i64, i64),
}

/// Per-task facts derived once from the specs and the graph.
#[derive(Debug, Clone)]
struct TaskInfo {
    rule: TriggerRule,
    is_setup: bool,
    is_teardown: bool,
    is_mapped: bool,
    /// Mapped group indexes, innermost first.
    groups: Vec<usize>,
    /// `is_mapped` or in a mapped group (Airflow's `get_needs_expansion`).
    needs_expansion: bool,
    /// Own expansion dependencies (for a mapped task).
    mapped_deps: Vec<TaskIdx>,
    blocks_deadlock_check: bool,
}

/// Decides, per loop turn, what happens next in one DAG run. Built once per DAG.
#[derive(Debug, Clone)]
pub struct Planner {
    graph: Graph,
    info: Vec<TaskInfo>,
    /// Position of each task in the stable topological order.
    topo_pos: Vec<usize>,
    /// Effective priority weight of each task.
    weights: Vec<i64>,
    /// Per mapped group: the tasks whose output it expands over.
    group_deps: Vec<Vec<TaskIdx>>,
    /// Per task (not a teardown): relevant setups that are not direct upstreams.
    indirect_setups: Vec<Vec<TaskIdx>>,
    /// Per teardown: tasks between its setups and itself that must be done before it runs.
    teardown_scope: Vec<Vec<TaskIdx>>,
    /// Tasks whose task instances decide the run's final state.
    leaves: Vec<TaskIdx>,
    /// Per mapped group: the unmapped tasks directly in it (their expansion gives the group's count).
    group_members: Vec<Vec<TaskIdx>>,
    /// Per task: the other tasks whose decisions read its task instances (see [`incremental`]).
    readers: Vec<Vec<TaskIdx>>,
    /// Tasks in topological order (`order[topo_pos[t]] == t`).
    order: Vec<TaskIdx>,
}

/// A dense set of task indexes.
#[derive(Clone)]
struct BitSet(Vec<u64>);

impl BitSet {
    fn new(n: usize) -> Self {
        BitSet(vec![0; n.div_ceil(64)])
    }
    fn insert(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn contains(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }
    fn union_with(&mut self, other: &BitSet) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= *b;
        }
    }
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &bits)| {
            let mut bits = bits;
            std::iter::from_fn(move || {
                if bits == 0 {
                    return None;
                }
                let b = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                Some(w * 64 + b)
            })
        })
    }
}

/// Transitive closures along `edges`, computed in `order` (each task after everything it reaches).
fn closures(n: usize, order: impl Iterator<Item = TaskIdx>, edges: impl Fn(TaskIdx) -> Vec<TaskIdx>) -> Vec<BitSet> {
    let mut sets = vec![BitSet::new(n); n];
    for task in order {
        let mut set = BitSet::new(n);
        for next in edges(task) {
            set.insert(next);
            set.union_with(&sets[next]);
        }
        sets[task] = set;
    }
    sets
}

impl Planner {
    /// Builds the planner for a DAG. `group_dependencies` gives, per mapped task group id, the tasks whose output
    /// the group expands over. Fails on duplicate or unknown task ids and on cycles.
    pub fn new(
        specs: &[TaskSpec],
        edges: &[(String, String)],
        group_dependencies: &[(String, Vec<String>)],
    ) -> CoreResult<Self> {
        let mut graph = Graph::new();
        for spec in specs {
            graph.add_task(&spec.task_id)?;
        }
        for (up, down) in edges {
            graph.add_edge(up, down)?;
        }
        let order = graph.topological_order()?;
        let n = graph.len();
        let mut topo_pos = vec![0; n];
        for (pos, &task) in order.iter().enumerate() {
            topo_pos[task] = pos;
        }

        let mut group_index: HashMap<String, usize> = HashMap::new();
        let mut intern = |name: &str| {
            let next = group_index.len();
            *group_index.entry(name.to_owned()).or_insert(next)
        };
        let mut info = Vec::with_capacity(n);
        for spec in specs {
            let groups: Vec<usize> = spec.mapped_groups.iter().map(|g| intern(g)).collect();
            let mapped_deps = spec.mapped_dependencies.iter().map(|t| graph.idx(t)).collect::<CoreResult<_>>()?;
            info.push(TaskInfo {
                rule: spec.trigger_rule,
                is_setup: spec.is_setup,
                is_teardown: spec.is_teardown,
                is_mapped: spec.is_mapped,
                needs_expansion: spec.is_mapped || !groups.is_empty(),
                groups,
                mapped_deps,
                blocks_deadlock_check: spec.depends_on_past || spec.has_ti_concurrency_limit,
            });
        }
        let mut group_deps = vec![Vec::new(); group_index.len()];
        for (group, deps) in group_dependencies {
            let Some(&g) = group_index.get(group) else { continue };
            group_deps[g] = deps.iter().map(|t| graph.idx(t)).collect::<CoreResult<_>>()?;
        }

        // Descendants and ancestors of every task, as bit sets.
        let desc = closures(n, order.iter().rev().copied(), |t| graph.downstream_of(t).to_vec());
        let anc = closures(n, order.iter().copied(), |t| graph.upstream_of(t).to_vec());

        let weights = (0..n)
            .map(|t| {
                let own = specs[t].priority_weight;
                let relatives = match specs[t].weight_rule {
                    WeightRule::Absolute => return own,
                    WeightRule::Downstream => &desc[t],
                    WeightRule::Upstream => &anc[t],
                };
                relatives.iter().fold(own, |sum, r| sum.saturating_add(specs[r].priority_weight))
            })
            .collect();

        let mut indirect_setups = vec![Vec::new(); n];
        let mut teardown_scope = vec![Vec::new(); n];
        if info.iter().any(|i| i.is_setup) {
            for t in 0..n {
                let direct = graph.upstream_of(t);
                if info[t].is_teardown {
                    // Tasks between this teardown's direct setups and itself, not directly upstream of it.
                    let mut scope: Vec<TaskIdx> = Vec::new();
                    for u in anc[t].iter() {
                        if direct.contains(&u) {
                            continue;
                        }
                        if direct.iter().any(|&s| info[s].is_setup && desc[s].contains(u)) {
                            scope.push(u);
                        }
                    }
                    teardown_scope[t] = scope;
                } else {
                    // Airflow's get_upstreams_only_setups: an upstream setup counts when it has no teardown, or
                    // one of its teardowns is downstream of this task.
                    indirect_setups[t] = anc[t]
                        .iter()
                        .filter(|&s| info[s].is_setup && !direct.contains(&s))
                        .filter(|&s| {
                            let teardowns: Vec<TaskIdx> =
                                graph.downstream_of(s).iter().copied().filter(|&d| info[d].is_teardown).collect();
                            teardowns.is_empty() || teardowns.iter().any(|&d| desc[t].contains(d))
                        })
                        .collect();
                }
            }
        }

        // Airflow's _tis_for_dagrun_state: teardowns do not count as leaves (nor make their upstreams non-leaves)
        // unless on_failure_fail_dagrun.
        let counts_for_run = |t: TaskIdx| !specs[t].is_teardown || specs[t].on_failure_fail_dagrun;
        let mut leaves: Vec<TaskIdx> = (0..n)
            .filter(|&t| counts_for_run(t) && graph.downstream_of(t).iter().all(|&d| !counts_for_run(d)))
            .collect();
        if leaves.is_empty() {
            leaves = graph.leaves();
        }

        let mut group_members = vec![Vec::new(); group_deps.len()];
        for (t, i) in info.iter().enumerate() {
            if let (false, Some(&g)) = (i.is_mapped, i.groups.first()) {
                group_members[g].push(t);
            }
        }
        let readers =
            incremental::readers(&graph, &info, &group_deps, &group_members, &indirect_setups, &teardown_scope);
        Ok(Planner {
            graph,
            info,
            topo_pos,
            weights,
            group_deps,
            indirect_setups,
            teardown_scope,
            leaves,
            group_members,
            readers,
            order,
        })
    }

    /// The graph of the DAG.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// Index of a task id.
    pub fn task_idx(&self, task_id: &str) -> CoreResult<TaskIdx> {
        self.graph.idx(task_id)
    }

    /// Effective priority weight of a task (after its weight rule).
    pub fn priority_weight(&self, task: TaskIdx) -> i64 {
        self.weights[task]
    }

    /// Tasks whose task instances decide the run's final state.
    pub fn leaves(&self) -> &[TaskIdx] {
        &self.leaves
    }

    /// One planning pass over a snapshot of every existing task instance of the run. A not-yet-expanded
    /// instance that is ready is returned in `to_run` at map index -1 ("ready to expand").
    pub fn plan(&self, tis: &[TiState]) -> CoreResult<Plan> {
        self.plan_expanding::<CoreError>(tis, None)
    }

    /// One planning pass that also expands, as Airflow's pass does: for a ready not-yet-expanded instance,
    /// `expand(task)` gives its number of map indexes. `None` marks it upstream_failed, 0 skipped (Airflow's
    /// `expand_mapped_task`); otherwise its instances `0..count` are created (no state) and decided in this same
    /// pass, from the same snapshot, and the task is listed in [`Plan::expanded`].
    pub fn plan_expanding<E: From<CoreError>>(
        &self,
        tis: &[TiState],
        mut expand: Option<&mut ExpandFn<'_, E>>,
    ) -> Result<Plan, E> {
        let rows = FlatRows::new(self, tis)?;
        let snap = View { planner: self, rows: &rows };
        let mut to_run = Vec::new();
        let mut to_skip = Vec::new();
        let mut to_upstream_failed = Vec::new();
        let mut to_remove = Vec::new();
        let mut expanded = Vec::new();
        let mut unfinished_others: Vec<&TiState> = Vec::new();
        for ti in tis {
            if !is_schedulable(ti.state) {
                if is_unfinished(ti.state) {
                    unfinished_others.push(ti);
                }
                continue;
            }
            let key = (ti.task, ti.map_index);
            match snap.decide(ti) {
                Decision::Run if ti.map_index < 0 && self.info[ti.task].needs_expansion && expand.is_some() => {
                    let expand = expand.as_mut().expect("checked above");
                    match expand(ti.task)? {
                        None => to_upstream_failed.push(key),
                        Some(count) if count < 1 => to_skip.push(key),
                        Some(count) => expanded.push((ti.task, count, ti.state)),
                    }
                }
                Decision::Run => to_run.push(key),
                Decision::Wait => {}
                Decision::Skip => to_skip.push(key),
                Decision::UpstreamFailed => to_upstream_failed.push(key),
                Decision::Removed => to_remove.push(key),
            }
        }
        if !expanded.is_empty() {
            // The new instances are decided against the same snapshot, with the expansion applied.
            let mut new_tis: Vec<TiState> = Vec::new();
            for &(task, count, state) in &expanded {
                new_tis.extend((0..count).map(|map_index| TiState { task, map_index, state }));
            }
            let mut all: Vec<TiState> = tis
                .iter()
                .filter(|t| t.map_index >= 0 || !expanded.iter().any(|&(task, _, _)| task == t.task))
                .copied()
                .collect();
            all.extend_from_slice(&new_tis);
            let rows = FlatRows::new(self, &all)?;
            let snap = View { planner: self, rows: &rows };
            for ti in &new_tis {
                let key = (ti.task, ti.map_index);
                match snap.decide(ti) {
                    Decision::Run => to_run.push(key),
                    Decision::Wait => {}
                    Decision::Skip => to_skip.push(key),
                    Decision::UpstreamFailed => to_upstream_failed.push(key),
                    Decision::Removed => to_remove.push(key),
                }
            }
        }
        let by_topo = |a: &TiKey, b: &TiKey| (self.topo_pos[a.0], a.1).cmp(&(self.topo_pos[b.0], b.1));
        to_run.sort_by(|a, b| {
            (-self.weights[a.0], a.1, self.topo_pos[a.0]).cmp(&(-self.weights[b.0], b.1, self.topo_pos[b.0]))
        });
        to_skip.sort_by(by_topo);
        to_upstream_failed.sort_by(by_topo);
        to_remove.sort_by(by_topo);

        let decided = !(to_run.is_empty()
            && to_skip.is_empty()
            && to_upstream_failed.is_empty()
            && to_remove.is_empty()
            && expanded.is_empty());
        let unfinished = tis.iter().filter(|t| is_unfinished(t.state));
        let (unfinished_count, blocking) =
            unfinished.fold((0, 0), |(n, b), t| (n + 1, b + usize::from(self.blocks_deadlock_check(t))));
        let run_state =
            self.run_state(&snap, unfinished_count, blocking == 0, decided, unfinished_others.iter().map(|t| **t));
        let expanded = expanded.into_iter().map(|(task, count, _)| (task, count)).collect();
        Ok(Plan { to_run, to_skip, to_upstream_failed, to_remove, expanded, run_state })
    }

    /// Whether an unfinished task instance keeps Airflow from declaring a deadlock: its task has depends_on_past or
    /// a task-instance concurrency limit, or it is deferred or awaiting input.
    fn blocks_deadlock_check(&self, ti: &TiState) -> bool {
        self.info[ti.task].blocks_deadlock_check
            || matches!(ti.state, Some(TaskInstanceState::Deferred | TaskInstanceState::AwaitingInput))
    }

    /// The run's state after a pass: `unfinished` task instances are not finished, `should_schedule` is false when
    /// one of them blocks the deadlock check, `decided` when the pass decided something, `others` are the unfinished
    /// instances that are not schedulable (running, queued...).
    fn run_state<R: TiRows>(
        &self,
        snap: &View<'_, R>,
        unfinished: usize,
        should_schedule: bool,
        decided: bool,
        mut others: impl Iterator<Item = TiState>,
    ) -> DagRunState {
        if unfinished == 0 {
            let leaf_states = self
                .leaves
                .iter()
                .flat_map(|&t| snap.rows(t).iter().map(|&(_, s)| s))
                .filter(|&s| s != Some(TaskInstanceState::Removed));
            let states: Vec<Option<TaskInstanceState>> = leaf_states.collect();
            if states.iter().any(|s| s.is_some_and(TaskInstanceState::is_failed)) {
                return DagRunState::Failed;
            }
            if states.iter().all(|s| s.is_some_and(TaskInstanceState::is_success)) {
                return DagRunState::Success;
            }
            return DagRunState::Running;
        }
        if !should_schedule || decided {
            return DagRunState::Running;
        }
        // Airflow's _are_premature_tis: an unfinished instance that is already running, queued... and whose
        // dependencies hold keeps the run alive.
        if others.any(|t| snap.decide(&t) == Decision::Run) {
            DagRunState::Running
        } else {
            DagRunState::Failed
        }
    }
}

/// One (map index, state) row of a task.
type Row = (i64, Option<TaskInstanceState>);

/// Counts of one task's rows by finished state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Tally {
    rows: i64,
    success: i64,
    skipped: i64,
    failed: i64,
    upstream_failed: i64,
    removed: i64,
}

impl Tally {
    fn of(rows: &[Row]) -> Tally {
        let mut tally = Tally::default();
        for &(_, s) in rows {
            tally.add(s, 1);
        }
        tally
    }

    /// Adds (`by` = 1) or takes away (`by` = -1) one row in `state`.
    fn add(&mut self, state: Option<TaskInstanceState>, by: i64) {
        self.rows += by;
        match state {
            Some(TaskInstanceState::Success) => self.success += by,
            Some(TaskInstanceState::Skipped) => self.skipped += by,
            Some(TaskInstanceState::Failed) => self.failed += by,
            Some(TaskInstanceState::UpstreamFailed) => self.upstream_failed += by,
            Some(TaskInstanceState::Removed) => self.removed += by,
            _ => {}
        }
    }

    /// Adds the finished rows to `c` (and every row to `c.upstream` when `every_row`), as counting them one by one
    /// with `UpstreamCounts::add` (`every_row`) or `add_finished` would.
    fn count_into(&self, c: &mut UpstreamCounts, is_setup: bool, every_row: bool) {
        if every_row {
            c.upstream += self.rows;
            if is_setup {
                c.upstream_setup += self.rows;
            }
        }
        c.success += self.success;
        c.skipped += self.skipped;
        c.failed += self.failed;
        c.upstream_failed += self.upstream_failed;
        c.removed += self.removed;
        c.done += self.success + self.skipped + self.failed + self.upstream_failed + self.removed;
        if is_setup {
            c.success_setup += self.success;
            c.skipped_setup += self.skipped;
        }
    }
}

/// Where a pass reads task instances from: each task's rows, sorted by map index (at most one row per index).
trait TiRows {
    fn rows(&self, task: TaskIdx) -> &[Row];

    /// The task's rows counted by state.
    fn tally(&self, task: TaskIdx) -> Tally {
        Tally::of(self.rows(task))
    }
}

/// The task instances of one snapshot, grouped by task (one flat array, sorted by task then map index).
struct FlatRows {
    /// `flat[offsets[t]..offsets[t + 1]]` are the (map index, state) pairs of task `t`.
    offsets: Vec<usize>,
    flat: Vec<Row>,
}

impl TiRows for FlatRows {
    fn rows(&self, task: TaskIdx) -> &[Row] {
        &self.flat[self.offsets[task]..self.offsets[task + 1]]
    }
}

impl FlatRows {
    fn new(planner: &Planner, tis: &[TiState]) -> CoreResult<Self> {
        let n = planner.graph.len();
        let mut offsets = vec![0usize; n + 1];
        for ti in tis {
            if ti.task >= n {
                return Err(CoreError::UnknownTask { task_id: format!("#{}", ti.task) });
            }
            offsets[ti.task + 1] += 1;
        }
        for t in 0..n {
            offsets[t + 1] += offsets[t];
        }
        let mut next = offsets.clone();
        let mut flat = vec![(0i64, None); tis.len()];
        for ti in tis {
            flat[next[ti.task]] = (ti.map_index, ti.state);
            next[ti.task] += 1;
        }
        for task in 0..n {
            let rows = &mut flat[offsets[task]..offsets[task + 1]];
            if rows.len() > 1 {
                rows.sort_unstable_by_key(|&(mi, _)| mi);
                if let Some(w) = rows.windows(2).find(|w| w[0].0 == w[1].0) {
                    return Err(CoreError::Invalid {
                        what: "task instance snapshot".into(),
                        reason: format!(
                            "task instance ({}, map_index={}) is listed twice",
                            planner.graph.task_id(task),
                            w[0].0
                        ),
                    });
                }
            }
        }
        Ok(FlatRows { offsets, flat })
    }
}

/// The dependency checks of one pass, over the rows of a snapshot (or of a run's incremental state).
struct View<'a, R: TiRows> {
    planner: &'a Planner,
    rows: &'a R,
}

impl<R: TiRows> View<'_, R> {
    /// The (map index, state) of each task instance of `task`, by map index.
    fn rows(&self, task: TaskIdx) -> &[Row] {
        self.rows.rows(task)
    }

    /// The not-expanded row (map index -1) of a task, if any: rows are sorted, so it is the first.
    fn unexpanded(&self, task: TaskIdx) -> Option<Row> {
        self.rows(task).first().copied().filter(|&(mi, _)| mi < 0)
    }

    /// Number of expanded (map index >= 0, not removed) task instances of a task.
    fn expanded_count(&self, task: TaskIdx) -> i64 {
        let tally = self.rows.tally(task);
        let (unexpanded, unexpanded_removed) = match self.unexpanded(task) {
            Some((_, s)) => (1, i64::from(s == Some(TaskInstanceState::Removed))),
            None => (0, 0),
        };
        tally.rows - unexpanded - (tally.removed - unexpanded_removed)
    }

    /// The total expansion count of a mapped group, when some unmapped task directly in it has expanded.
    fn group_count(&self, group: usize) -> Option<i64> {
        self.planner.group_members[group].iter().map(|&t| self.expanded_count(t)).find(|&c| c > 0)
    }

    /// Whether a task's expansion count is known: every task it (and each mapped group around it) expands over
    /// has succeeded. Stands in for Airflow's `NotFullyPopulated` check.
    fn count_known(&self, task: TaskIdx) -> bool {
        let info = &self.planner.info[task];
        let deps = info
            .mapped_deps
            .iter()
            .filter(|_| info.is_mapped)
            .chain(info.groups.iter().flat_map(|&g| self.planner.group_deps[g].iter()));
        let mut all_done = true;
        for &dep in deps {
            let tally = self.rows.tally(dep);
            all_done &= tally.rows > 0 && tally.success == tally.rows;
        }
        all_done
    }

    /// Airflow's relevant map indexes of `upstream` for the task instance (`task`, `map_index`).
    fn relevant(&self, task: TaskIdx, map_index: i64, upstream: TaskIdx) -> Relevant {
        let p = self.planner;
        let (me, up) = (&p.info[task], &p.info[upstream]);
        if me.groups.is_empty() {
            return Relevant::All;
        }
        if map_index < 0 {
            // The summary instance depends on every upstream instance for rules that one upstream can satisfy,
            // unless that upstream is one of the expansion inputs.
            let fast = matches!(
                me.rule,
                TriggerRule::OneSuccess
                    | TriggerRule::OneFailed
                    | TriggerRule::OneDone
                    | TriggerRule::NoneFailedMinOneSuccess
            );
            if fast && !self.is_expansion_dependency(task, upstream) {
                return Relevant::All;
            }
        }
        let ti_count = if map_index < 0 {
            if !self.count_known(task) {
                return Relevant::All;
            }
            // Known but not expanded: only the sign matters below.
            1
        } else {
            self.expanded_count(task)
        };
        if ti_count == 0 {
            return Relevant::All;
        }
        // Innermost mapped group of the upstream that also contains this task.
        let Some(&common) = up.groups.iter().find(|g| me.groups.contains(g)) else {
            return Relevant::All;
        };
        if map_index < 0 {
            // map_index * ancestor_count // ti_count is negative: only unexpanded upstream instances match.
            return Relevant::UnexpandedOnly;
        }
        let ancestor_count =
            if !me.is_mapped && me.groups.first() == Some(&common) { Some(ti_count) } else { self.group_count(common) };
        let Some(ancestor_count) = ancestor_count.filter(|&c| c > 0) else {
            return Relevant::All;
        };
        let ancestor_index = map_index * ancestor_count / ti_count;
        let further_mapped = up.is_mapped || up.groups.first() != Some(&common);
        if !further_mapped {
            return Relevant::Range(ancestor_index, ancestor_index + 1);
        }
        // Airflow sizes the slice with this task's count, not the upstream's.
        let further = ti_count / ancestor_count;
        Relevant::Range(ancestor_index * further, ancestor_index * further + further)
    }

    fn is_expansion_dependency(&self, task: TaskIdx, upstream: TaskIdx) -> bool {
        let info = &self.planner.info[task];
        (info.is_mapped && info.mapped_deps.contains(&upstream))
            || info.groups.iter().any(|&g| self.planner.group_deps[g].contains(&upstream))
    }

    /// Counts over the relevant task instances of `upstreams` for (`task`, `map_index`).
    fn counts(&self, task: TaskIdx, map_index: i64, upstreams: &[TaskIdx]) -> UpstreamCounts {
        let p = self.planner;
        let mut c = UpstreamCounts::default();
        let any_expansion = upstreams.iter().any(|&u| p.info[u].needs_expansion);
        for &u in upstreams {
            let is_setup = p.info[u].is_setup;
            if !any_expansion {
                // Airflow counts upstream *tasks* here, whatever rows exist.
                c.upstream += 1;
                if is_setup {
                    c.upstream_setup += 1;
                }
                self.rows.tally(u).count_into(&mut c, is_setup, false);
                continue;
            }
            let rows = self.rows(u);
            let unexpanded = rows.partition_point(|&(mi, _)| mi < 0);
            match self.relevant(task, map_index, u) {
                Relevant::All => self.rows.tally(u).count_into(&mut c, is_setup, true),
                Relevant::UnexpandedOnly => rows[..unexpanded].iter().for_each(|&(_, s)| c.add(s, is_setup)),
                Relevant::Range(start, end) => {
                    rows[..unexpanded].iter().for_each(|&(_, s)| c.add(s, is_setup));
                    let from = rows.partition_point(|&(mi, _)| mi < start.max(0));
                    let to = rows.partition_point(|&(mi, _)| mi < end).max(from);
                    rows[from..to].iter().for_each(|&(_, s)| c.add(s, is_setup));
                }
            }
        }
        c
    }

    /// Airflow's TriggerRuleDep for one task instance.
    fn trigger_rule_dep(&self, ti: &TiState) -> Decision {
        let p = self.planner;
        let (task, mi) = (ti.task, ti.map_index);
        let info = &p.info[task];
        let direct = p.graph.upstream_of(task);
        if direct.is_empty() || info.rule == TriggerRule::Always {
            return Decision::Run;
        }
        if info.is_teardown {
            let decision = trigger_rule::evaluate(info.rule, &self.counts(task, mi, direct), mi);
            if decision != Decision::Run {
                return decision;
            }
            // Everything between the setups and this teardown must be done first.
            let scope = &p.teardown_scope[task];
            if !scope.is_empty() {
                let c = self.counts(task, mi, scope);
                if c.done < c.upstream {
                    return Decision::Wait;
                }
            }
            return Decision::Run;
        }
        let mut setup_state = None;
        let mut setup_waits = false;
        let setups = &p.indirect_setups[task];
        if !setups.is_empty() {
            // Indirect setups must all succeed; a failed one fails this task, a skipped one skips it.
            let c = self.counts(task, mi, setups);
            setup_state = if c.upstream_failed > 0 || c.failed > 0 {
                Some(Decision::UpstreamFailed)
            } else if c.skipped > 0 {
                Some(Decision::Skip)
            } else if c.removed > 0 && c.success > 0 && mi > -1 && mi >= c.success {
                Some(Decision::Removed)
            } else {
                None
            };
            let non_successes = c.upstream - c.success - if mi > -1 { c.removed } else { 0 };
            setup_waits = non_successes > 0;
            if let (Some(state), true) = (setup_state, setup_waits) {
                return state;
            }
        }
        match trigger_rule::evaluate(info.rule, &self.counts(task, mi, direct), mi) {
            Decision::Run if setup_state.is_none() && !setup_waits => Decision::Run,
            Decision::Run | Decision::Wait => setup_state.unwrap_or(Decision::Wait),
            state => state,
        }
    }

    /// Airflow's MappedTaskUpstreamDep: `None` when it passes, else the state it sets or `Wait`.
    fn mapped_upstream_dep(&self, ti: &TiState, current: Option<TaskInstanceState>) -> Option<Decision> {
        let p = self.planner;
        let info = &p.info[ti.task];
        let deps: &[TaskIdx] = if info.is_mapped {
            &info.mapped_deps
        } else if let Some(&g) = info.groups.first() {
            &p.group_deps[g]
        } else {
            return None;
        };
        let finished: Vec<TaskInstanceState> = deps
            .iter()
            .filter_map(|&d| self.unexpanded(d))
            .filter(|&(mi, _)| mi == -1)
            .filter_map(|(_, s)| s.filter(|s| s.is_finished()))
            .collect();
        if finished.iter().all(|&s| s == TaskInstanceState::Success) {
            return None;
        }
        if matches!(current, Some(TaskInstanceState::Failed | TaskInstanceState::UpstreamFailed)) {
            return Some(Decision::Wait);
        }
        if finished.iter().any(|s| s.is_failed()) {
            Some(Decision::UpstreamFailed)
        } else if finished.contains(&TaskInstanceState::Skipped) {
            Some(Decision::Skip)
        } else {
            Some(Decision::Wait)
        }
    }

    /// All dependencies of one task instance, as one decision. The trigger rule is evaluated first; a state the
    /// mapped-upstream dependency sets afterwards overrides it (Airflow evaluates both and the last write wins).
    fn decide(&self, ti: &TiState) -> Decision {
        let by_rule = self.trigger_rule_dep(ti);
        let current = by_rule.new_state().or(ti.state);
        match self.mapped_upstream_dep(ti, current) {
            None => by_rule,
            Some(Decision::Wait) => {
                if by_rule == Decision::Run {
                    Decision::Wait
                } else {
                    by_rule
                }
            }
            Some(state) => state,
        }
    }
}

pub mod incremental;
#[cfg(test)]
mod tests;
