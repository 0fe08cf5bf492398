//! Backfill planning as Airflow 3's `backfill create` does it: which runs, in which order, and what happens
//! to runs that already exist for a logical date.
//!
//! The dates come from the timetable between `from_date` and `to_date` (catchup on, restricted to the range,
//! only intervals that ended before now); `run_backwards` reverses them. Each date then gets a sort ordinal
//! (1-based, in that order) and one action: create a new run, clear (re-queue) the existing one, or skip it
//! because it is in flight or already exists under the chosen reprocess behavior.

use crate::error::{CoreError, CoreResult};
use crate::timetable::{Restriction, RunInfo, Timetable};

/// `--reprocess-behavior`: which existing runs a backfill re-runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReprocessBehavior {
    /// Never re-run an existing run.
    None,
    /// Re-run existing failed runs.
    Failed,
    /// Re-run existing failed and successful runs.
    Completed,
}

impl ReprocessBehavior {
    /// Parses `none`, `failed` or `completed`.
    pub fn parse(value: &str) -> CoreResult<ReprocessBehavior> {
        match value {
            "none" => Ok(ReprocessBehavior::None),
            "failed" => Ok(ReprocessBehavior::Failed),
            "completed" => Ok(ReprocessBehavior::Completed),
            other => Err(CoreError::Invalid {
                what: "reprocess behavior".into(),
                reason: format!("'{other}' is not one of none, failed, completed"),
            }),
        }
    }
}

/// What a backfill does for one logical date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// No run exists: create one (queued).
    Create,
    /// A finished run exists and the reprocess behavior allows it: clear it so it runs again.
    Clear,
    /// A run exists that is neither successful nor failed (Airflow's reason `in flight`).
    InFlight,
    /// A finished run exists that the reprocess behavior keeps (Airflow's reason `already exists`).
    AlreadyExists,
}

impl Action {
    /// The action's name; for skips it is Airflow's `BackfillDagRunExceptionReason` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Clear => "clear",
            Action::InFlight => "in flight",
            Action::AlreadyExists => "already exists",
        }
    }
}

/// One planned date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedRun {
    /// The run's logical date (epoch microseconds).
    pub logical_date: i64,
    /// 1-based position in creation order (Airflow's `BackfillDagRun.sort_ordinal`).
    pub sort_ordinal: usize,
    /// What happens to it.
    pub action: Action,
}

/// The timetable's runs for a backfill: logical dates in `[from, to]` whose data interval ended before `now`,
/// oldest first, or newest first when `run_backwards`.
pub fn dagrun_infos(
    timetable: &Timetable,
    from: i64,
    to: i64,
    now: i64,
    run_backwards: bool,
    limit: usize,
) -> CoreResult<Vec<RunInfo>> {
    let restriction = Restriction { earliest: Some(from), latest: Some(to), catchup: true };
    // Like Airflow's `iter_dagrun_infos_between`, a timetable error ends the list (Airflow logs it).
    let (found, _error) = timetable.iterate(None, &restriction, now, limit);
    let mut infos: Vec<RunInfo> = found.into_iter().filter(|i| i.end < now).collect();
    if run_backwards {
        infos.reverse();
    }
    Ok(infos)
}

/// The action for a logical date whose latest existing run is in `state` (Airflow's run states).
pub fn action_for(existing_state: Option<&str>, behavior: ReprocessBehavior) -> Action {
    match existing_state {
        None => Action::Create,
        Some(state) if state != "success" && state != "failed" => Action::InFlight,
        Some(_) if behavior == ReprocessBehavior::None => Action::AlreadyExists,
        Some(state) if behavior == ReprocessBehavior::Failed && state != "failed" => Action::AlreadyExists,
        Some(_) => Action::Clear,
    }
}

/// Plans a backfill over `logical_dates` (ascending, as the timetable yields them). `existing` holds the state
/// of the latest run already present for a logical date.
pub fn plan(
    logical_dates: &[i64],
    existing: &[(i64, String)],
    behavior: ReprocessBehavior,
    run_backwards: bool,
) -> Vec<PlannedRun> {
    let mut dates = logical_dates.to_vec();
    if run_backwards {
        dates.reverse();
    }
    dates
        .into_iter()
        .enumerate()
        .map(|(i, logical_date)| {
            let state = existing.iter().find(|(d, _)| *d == logical_date).map(|(_, s)| s.as_str());
            PlannedRun { logical_date, sort_ordinal: i + 1, action: action_for(state, behavior) }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timetable::{Delta, RunImmediately};

    const DAY: i64 = 86_400_000_000;

    #[test]
    fn reprocess_rules() {
        use Action::*;
        for (state, none, failed, completed) in [
            (None, Create, Create, Create),
            (Some("running"), InFlight, InFlight, InFlight),
            (Some("queued"), InFlight, InFlight, InFlight),
            (Some("success"), AlreadyExists, AlreadyExists, Clear),
            (Some("failed"), AlreadyExists, Clear, Clear),
        ] {
            assert_eq!(action_for(state, ReprocessBehavior::None), none);
            assert_eq!(action_for(state, ReprocessBehavior::Failed), failed);
            assert_eq!(action_for(state, ReprocessBehavior::Completed), completed);
        }
    }

    #[test]
    fn backwards_reverses_order_and_ordinals() {
        let plan = plan(&[0, DAY, 2 * DAY], &[(DAY, "failed".into())], ReprocessBehavior::Failed, true);
        let got: Vec<(i64, usize, Action)> = plan.iter().map(|p| (p.logical_date, p.sort_ordinal, p.action)).collect();
        assert_eq!(got, vec![(2 * DAY, 1, Action::Create), (DAY, 2, Action::Clear), (0, 3, Action::Create)]);
    }

    #[test]
    fn infos_stop_at_to_date_and_now() {
        let tt =
            Timetable::cron_trigger(&["@daily".into()], "UTC", Delta::Fixed(0), RunImmediately::Flag(false)).unwrap();
        let infos = dagrun_infos(&tt, 0, 10 * DAY, 3 * DAY + 1, false, 1000).unwrap();
        let dates: Vec<i64> = infos.iter().map(|i| i.start).collect();
        assert_eq!(dates, vec![0, DAY, 2 * DAY, 3 * DAY]);
        assert!(ReprocessBehavior::parse("sometimes").is_err());
    }
}
