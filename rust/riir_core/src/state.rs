//! Airflow's state and rule vocabularies, with the exact string values Airflow stores and accepts.
//!
//! - [`TaskInstanceState`]: a task instance's state; "no state yet" is `Option::None`, as in Airflow.
//! - [`DagRunState`]: a DAG run's state.
//! - [`TriggerRule`]: all 13 trigger rules of Airflow 3.3 (including `all_done_min_one_success`).
//! - [`WeightRule`]: how a task's effective priority weight is computed.
//!
//! Parsing a string that is not one of the values gives a [`ParseError`] naming the bad value and the allowed
//! ones; its message is the one Airflow gives for the same mistake.

use std::fmt;
use std::str::FromStr;

/// A string that is not one of an enumeration's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The enumeration's Airflow class name, e.g. `TaskInstanceState`.
    pub kind: &'static str,
    /// The value that was given.
    pub value: String,
    /// Every allowed value, in Airflow's declaration order.
    pub allowed: &'static [&'static str],
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == "TriggerRule" {
            // Airflow's BaseOperator message (without the dag/task part, which callers add when they know it).
            write!(f, "The trigger_rule must be one of {}; received '{}'.", py_list(self.allowed), self.value)
        } else if self.kind == "WeightRule" {
            write!(f, "Unknown priority strategy {}", self.value)
        } else {
            // What Python's Enum says for `TaskInstanceState("x")`.
            write!(f, "'{}' is not a valid {}", self.value, self.kind)
        }
    }
}

impl std::error::Error for ParseError {}

/// Formats values the way Python prints a list of strings: `['a', 'b']`.
pub fn py_list(values: &[&str]) -> String {
    let inner: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
    format!("[{}]", inner.join(", "))
}

/// Defines a string enum with `as_str`, `ALL`, `Display` and `FromStr`.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal, { $($(#[$vmeta:meta])* $variant:ident => $value:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in Airflow's declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];
            /// Every value's string, in Airflow's declaration order.
            pub const NAMES: &'static [&'static str] = &[$($value,)+];

            /// The string Airflow stores for this value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $value,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ParseError;

            fn from_str(s: &str) -> Result<Self, ParseError> {
                match s {
                    $($value => Ok($name::$variant),)+
                    _ => Err(ParseError { kind: $kind, value: s.to_owned(), allowed: $name::NAMES }),
                }
            }
        }
    };
}

string_enum!(
    /// The state of one task instance (Airflow's `TaskInstanceState`). "Not yet scheduled" is `None`.
    TaskInstanceState, "TaskInstanceState", {
        /// The task vanished from the DAG (or its map index is no longer expanded) before it ran.
        Removed => "removed",
        /// Decided to run; about to be handed to an executor.
        Scheduled => "scheduled",
        /// Handed to an executor.
        Queued => "queued",
        /// Executing.
        Running => "running",
        /// Finished successfully.
        Success => "success",
        /// Asked to restart while running.
        Restarting => "restarting",
        /// Finished with an error and no retries left.
        Failed => "failed",
        /// Failed with retries left; runs again after its retry delay.
        UpForRetry => "up_for_retry",
        /// A reschedule-mode sensor waiting for its next poke.
        UpForReschedule => "up_for_reschedule",
        /// An upstream failure means it will never run.
        UpstreamFailed => "upstream_failed",
        /// Skipped (by a branch, a skip exception or a trigger rule).
        Skipped => "skipped",
        /// Waiting on a trigger.
        Deferred => "deferred",
        /// Waiting for human input.
        AwaitingInput => "awaiting_input",
    }
);

impl TaskInstanceState {
    /// Airflow's `State.finished`: success, failed, skipped, upstream_failed, removed.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Success | Self::Failed | Self::Skipped | Self::UpstreamFailed | Self::Removed)
    }

    /// Airflow's `State.failed_states`: failed and upstream_failed.
    pub fn is_failed(self) -> bool {
        matches!(self, Self::Failed | Self::UpstreamFailed)
    }

    /// Airflow's `State.success_states`: success and skipped.
    pub fn is_success(self) -> bool {
        matches!(self, Self::Success | Self::Skipped)
    }
}

/// Airflow's `State.unfinished`, which includes "no state" (`None`).
pub fn is_unfinished(state: Option<TaskInstanceState>) -> bool {
    match state {
        None => true,
        Some(s) => !s.is_finished(),
    }
}

/// Airflow's `SCHEDULEABLE_STATES`: the states the scheduler evaluates for running: none, up_for_retry,
/// up_for_reschedule.
pub fn is_schedulable(state: Option<TaskInstanceState>) -> bool {
    matches!(state, None | Some(TaskInstanceState::UpForRetry) | Some(TaskInstanceState::UpForReschedule))
}

string_enum!(
    /// The state of a DAG run (Airflow's `DagRunState`).
    DagRunState, "DagRunState", {
        /// Created, not started.
        Queued => "queued",
        /// Has unfinished task instances.
        Running => "running",
        /// Every (effective) leaf succeeded or was skipped.
        Success => "success",
        /// A leaf failed, or the run deadlocked.
        Failed => "failed",
    }
);

string_enum!(
    /// When a task may run, given the states of its upstream task instances (Airflow's `TriggerRule`).
    TriggerRule, "TriggerRule", {
        /// Every upstream succeeded (the default).
        AllSuccess => "all_success",
        /// Every upstream failed or is upstream_failed.
        AllFailed => "all_failed",
        /// Every upstream finished, whatever the outcome.
        AllDone => "all_done",
        /// Every upstream finished, none skipped, at least one succeeded.
        AllDoneMinOneSuccess => "all_done_min_one_success",
        /// Every upstream finished and at least one upstream setup succeeded (teardowns' default).
        AllDoneSetupSuccess => "all_done_setup_success",
        /// At least one upstream succeeded (does not wait for the others).
        OneSuccess => "one_success",
        /// At least one upstream failed or is upstream_failed (does not wait for the others).
        OneFailed => "one_failed",
        /// At least one upstream succeeded or failed (does not wait for the others).
        OneDone => "one_done",
        /// No upstream failed or is upstream_failed; skipped upstreams are fine.
        NoneFailed => "none_failed",
        /// No upstream was skipped.
        NoneSkipped => "none_skipped",
        /// Always run, whatever the upstreams do.
        Always => "always",
        /// No upstream failed and at least one succeeded.
        NoneFailedMinOneSuccess => "none_failed_min_one_success",
        /// Every upstream was skipped.
        AllSkipped => "all_skipped",
    }
);

impl TriggerRule {
    /// Airflow's full message for an invalid trigger rule given to a task.
    pub fn invalid_message(dag_id: &str, task_id: &str, value: &str) -> String {
        // Airflow really has no space between "]," and the quote.
        format!(
            "The trigger_rule must be one of {},'{dag_id}.{task_id}'; received '{value}'.",
            py_list(TriggerRule::NAMES)
        )
    }
}

string_enum!(
    /// How a task's effective priority weight is computed (Airflow's `WeightRule`).
    WeightRule, "WeightRule", {
        /// Own weight plus the weights of every task downstream (the default).
        Downstream => "downstream",
        /// Own weight plus the weights of every task upstream.
        Upstream => "upstream",
        /// Own weight only.
        Absolute => "absolute",
    }
);

impl WeightRule {
    /// Parses a weight rule, also accepting the qualified names of Airflow's built-in strategy classes.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        match s {
            "airflow.task.priority_strategy._DownstreamPriorityWeightStrategy" => Ok(Self::Downstream),
            "airflow.task.priority_strategy._UpstreamPriorityWeightStrategy" => Ok(Self::Upstream),
            "airflow.task.priority_strategy._AbsolutePriorityWeightStrategy" => Ok(Self::Absolute),
            _ => s.parse(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_strings() {
        for s in TaskInstanceState::ALL {
            assert_eq!(s.as_str().parse::<TaskInstanceState>(), Ok(*s));
        }
        for s in DagRunState::ALL {
            assert_eq!(s.as_str().parse::<DagRunState>(), Ok(*s));
        }
        for r in TriggerRule::ALL {
            assert_eq!(r.as_str().parse::<TriggerRule>(), Ok(*r));
        }
        assert_eq!(TriggerRule::ALL.len(), 13);
        assert_eq!(TaskInstanceState::ALL.len(), 13);
    }

    #[test]
    fn state_groups_match_airflow() {
        let finished: Vec<&str> =
            TaskInstanceState::ALL.iter().filter(|s| s.is_finished()).map(|s| s.as_str()).collect();
        assert_eq!(finished, ["removed", "success", "failed", "upstream_failed", "skipped"]);
        assert!(is_unfinished(None));
        assert!(is_unfinished(Some(TaskInstanceState::Deferred)));
        assert!(!is_unfinished(Some(TaskInstanceState::Removed)));
        assert!(is_schedulable(Some(TaskInstanceState::UpForReschedule)));
        assert!(!is_schedulable(Some(TaskInstanceState::Queued)));
    }

    #[test]
    fn parse_errors_name_the_value_like_airflow() {
        let err = "nope".parse::<TaskInstanceState>().unwrap_err();
        assert_eq!(err.to_string(), "'nope' is not a valid TaskInstanceState");
        assert_eq!(err.allowed.len(), 13);
        let err = "all_sucess".parse::<TriggerRule>().unwrap_err();
        assert!(err.to_string().starts_with("The trigger_rule must be one of ['all_success', 'all_failed', "));
        assert!(err.to_string().ends_with("'all_skipped']; received 'all_sucess'."));
        assert_eq!(
            TriggerRule::invalid_message("d", "t", "x"),
            format!("The trigger_rule must be one of {},'d.t'; received 'x'.", py_list(TriggerRule::NAMES))
        );
        assert_eq!(WeightRule::parse("sideways").unwrap_err().to_string(), "Unknown priority strategy sideways");
        assert_eq!(
            WeightRule::parse("airflow.task.priority_strategy._UpstreamPriorityWeightStrategy"),
            Ok(WeightRule::Upstream)
        );
    }
}
