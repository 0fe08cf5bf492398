//! Trigger-rule evaluation: what Airflow's `TriggerRuleDep` decides for one task instance from the counts of its
//! finished upstream task instances, when the scheduler evaluates it with `flag_upstream_failed=True`.
//!
//! Airflow's dependency does two things: it may *set* a new state on the task instance (skipped,
//! upstream_failed or removed), and it reports whether the rule is met. A task instance runs only when no new
//! state was set and the rule is met; otherwise it waits for a later evaluation.
//!
//! Facts taken from Airflow 3.3.2 (`airflow/ti_deps/deps/trigger_rule_dep.py`):
//! - `done` counts every finished upstream (success, skipped, failed, upstream_failed, removed), and
//!   "upstream done" means `done >= upstream` where `upstream` is the number of relevant upstream task
//!   instances (finished or not).
//! - `none_failed` does not propagate skips: a skipped upstream lets it run.
//! - `one_success` becomes skipped only when *every* upstream was skipped; if some failed it becomes
//!   upstream_failed.
//! - `all_success` becomes upstream_failed before it considers skips: one failed and one skipped upstream give
//!   upstream_failed.
//! - `all_done_min_one_success` is skipped as soon as any upstream is skipped, even before the rest finish.
//! - `always` and tasks without upstream tasks are decided before any counting (see [`crate::plan`]).

use crate::state::{TaskInstanceState, TriggerRule};

/// Counts of the upstream task instances relevant to one task instance.
///
/// `success`..`removed` and `done` count *finished* upstream task instances; `upstream` counts all relevant
/// upstream task instances whatever their state (in Airflow: the number of upstream tasks, or the number of
/// their task instance rows when mapping is involved). The `*_setup` fields count the subset that are setup tasks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpstreamCounts {
    /// Upstream task instances in state success.
    pub success: i64,
    /// Upstream task instances in state skipped.
    pub skipped: i64,
    /// Upstream task instances in state failed.
    pub failed: i64,
    /// Upstream task instances in state upstream_failed.
    pub upstream_failed: i64,
    /// Upstream task instances in state removed.
    pub removed: i64,
    /// Finished upstream task instances (the sum of the five above).
    pub done: i64,
    /// All relevant upstream task instances, finished or not.
    pub upstream: i64,
    /// Setup tasks among `upstream`.
    pub upstream_setup: i64,
    /// Setup tasks among `success`.
    pub success_setup: i64,
    /// Setup tasks among `skipped`.
    pub skipped_setup: i64,
}

impl UpstreamCounts {
    /// Adds one relevant upstream task instance in `state` (`None` or an unfinished state counts only towards
    /// `upstream`).
    pub fn add(&mut self, state: Option<TaskInstanceState>, is_setup: bool) {
        self.upstream += 1;
        if is_setup {
            self.upstream_setup += 1;
        }
        self.add_finished(state, is_setup);
    }

    /// Counts a task instance in the finished counts only (no change to `upstream`) when its state is finished.
    pub fn add_finished(&mut self, state: Option<TaskInstanceState>, is_setup: bool) {
        let Some(state) = state else { return };
        match state {
            TaskInstanceState::Success => {
                self.success += 1;
                if is_setup {
                    self.success_setup += 1;
                }
            }
            TaskInstanceState::Skipped => {
                self.skipped += 1;
                if is_setup {
                    self.skipped_setup += 1;
                }
            }
            TaskInstanceState::Failed => self.failed += 1,
            TaskInstanceState::UpstreamFailed => self.upstream_failed += 1,
            TaskInstanceState::Removed => self.removed += 1,
            _ => return,
        }
        self.done += 1;
    }
}

/// What the trigger rule decides for one task instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Not decided yet: some upstream work is still pending.
    Wait,
    /// The rule is met: the task instance may run.
    Run,
    /// Mark the task instance skipped.
    Skip,
    /// Mark the task instance upstream_failed.
    UpstreamFailed,
    /// Mark the task instance removed (a mapped index beyond what its upstreams produced).
    Removed,
}

impl Decision {
    /// The task instance state this decision sets, if any.
    pub fn new_state(self) -> Option<TaskInstanceState> {
        match self {
            Decision::Skip => Some(TaskInstanceState::Skipped),
            Decision::UpstreamFailed => Some(TaskInstanceState::UpstreamFailed),
            Decision::Removed => Some(TaskInstanceState::Removed),
            Decision::Wait | Decision::Run => None,
        }
    }
}

/// The state Airflow sets on the task instance (with `flag_upstream_failed=True`), if any.
fn new_state(rule: TriggerRule, c: &UpstreamCounts, map_index: i64) -> Option<Decision> {
    use Decision::{Removed, Skip, UpstreamFailed};
    let upstream_done = c.done >= c.upstream;
    match rule {
        TriggerRule::AllSuccess => {
            if c.upstream_failed > 0 || c.failed > 0 {
                Some(UpstreamFailed)
            } else if c.skipped > 0 {
                Some(Skip)
            } else if c.removed > 0 && c.success > 0 && map_index > -1 && map_index >= c.success {
                Some(Removed)
            } else {
                None
            }
        }
        TriggerRule::AllFailed => (c.success > 0 || c.skipped > 0).then_some(Skip),
        TriggerRule::OneSuccess => {
            if upstream_done && c.done == c.skipped {
                Some(Skip)
            } else if upstream_done && c.success <= 0 {
                Some(UpstreamFailed)
            } else {
                None
            }
        }
        TriggerRule::OneFailed => (upstream_done && c.failed == 0 && c.upstream_failed == 0).then_some(Skip),
        TriggerRule::OneDone => (upstream_done && c.failed == 0 && c.success == 0).then_some(Skip),
        TriggerRule::NoneFailed => (c.upstream_failed > 0 || c.failed > 0).then_some(UpstreamFailed),
        TriggerRule::NoneFailedMinOneSuccess => {
            if c.upstream_failed > 0 || c.failed > 0 {
                Some(UpstreamFailed)
            } else if c.skipped == c.upstream {
                Some(Skip)
            } else if upstream_done && c.success == 0 {
                Some(UpstreamFailed)
            } else {
                None
            }
        }
        TriggerRule::NoneSkipped => (c.skipped > 0).then_some(Skip),
        TriggerRule::AllSkipped => (c.success > 0 || c.failed > 0 || c.upstream_failed > 0).then_some(Skip),
        TriggerRule::AllDoneMinOneSuccess => {
            // Skipped upstreams are not "done" for this rule; removed ones are.
            let non_skipped_done = c.success + c.failed + c.upstream_failed + c.removed;
            let non_skipped_upstream = c.upstream - c.skipped;
            if c.skipped > 0 {
                Some(Skip)
            } else if non_skipped_done >= non_skipped_upstream && c.success == 0 {
                Some(UpstreamFailed)
            } else {
                None
            }
        }
        TriggerRule::AllDoneSetupSuccess => {
            if upstream_done && c.upstream_setup > 0 && c.skipped_setup >= c.upstream_setup {
                Some(Skip)
            } else if upstream_done && c.upstream_setup > 0 && c.success_setup == 0 {
                Some(UpstreamFailed)
            } else {
                None
            }
        }
        TriggerRule::AllDone | TriggerRule::Always => None,
    }
}

/// Whether the rule is met (Airflow yields no failing status).
fn is_met(rule: TriggerRule, c: &UpstreamCounts) -> bool {
    let upstream_done = c.done >= c.upstream;
    match rule {
        TriggerRule::OneSuccess => c.success > 0,
        TriggerRule::OneFailed => c.failed > 0 || c.upstream_failed > 0,
        TriggerRule::OneDone => c.success + c.failed > 0,
        TriggerRule::AllSuccess => c.upstream - c.success - c.removed <= 0,
        TriggerRule::AllFailed => c.upstream - c.failed - c.upstream_failed - c.removed <= 0,
        TriggerRule::AllDone => upstream_done,
        TriggerRule::NoneFailed => c.upstream - c.success - c.skipped - c.removed <= 0,
        TriggerRule::NoneFailedMinOneSuccess => c.upstream - c.success - c.skipped - c.removed <= 0 && c.success > 0,
        TriggerRule::NoneSkipped => upstream_done && c.skipped == 0,
        TriggerRule::AllSkipped => c.upstream - c.skipped <= 0,
        TriggerRule::AllDoneSetupSuccess => upstream_done && !(c.upstream_setup > 0 && c.success_setup == 0),
        TriggerRule::AllDoneMinOneSuccess => {
            // Here (unlike in the state part) removed upstreams are taken out of the total instead.
            let non_skipped_done = c.success + c.failed + c.upstream_failed;
            let non_skipped_upstream = c.upstream - c.skipped - c.removed;
            c.skipped == 0 && non_skipped_done >= non_skipped_upstream && c.success != 0
        }
        TriggerRule::Always => true,
    }
}

/// Evaluates `rule` for a task instance with map index `map_index` (-1 when not mapped) whose relevant
/// upstream task instances have the counts `c`. A new state wins over "met"; "met" without a new state is
/// [`Decision::Run`]; anything else is [`Decision::Wait`].
pub fn evaluate(rule: TriggerRule, c: &UpstreamCounts, map_index: i64) -> Decision {
    if rule == TriggerRule::Always {
        return Decision::Run;
    }
    if let Some(decision) = new_state(rule, c, map_index) {
        return decision;
    }
    if is_met(rule, c) {
        Decision::Run
    } else {
        Decision::Wait
    }
}

#[cfg(test)]
mod tests;
