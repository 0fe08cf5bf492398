//! The trigger-rule table: every rule against every combination of two upstream task instance states.
//!
//! The expected outcomes were worked out by hand from Airflow 3.3.2's `TriggerRuleDep` (the
//! `flag_upstream_failed` branch that sets a state, then the branch that reports whether the rule is met), not
//! produced by this code. `compat-tests/trigger_rule_table.py` prints the same table from real Airflow.
//!
//! Codes: `R` run, `W` wait, `S` set skipped, `U` set upstream_failed, `X` set removed.
//! Upstream states: `-` not finished (no state, queued, running...), `s` success, `k` skipped, `f` failed,
//! `u` upstream_failed, `r` removed.

use super::*;
use crate::state::TriggerRule as TR;

/// Column order of the table: Airflow's declaration order of `TriggerRule`.
const RULES: [TR; 13] = [
    TR::AllSuccess,
    TR::AllFailed,
    TR::AllDone,
    TR::AllDoneMinOneSuccess,
    TR::AllDoneSetupSuccess,
    TR::OneSuccess,
    TR::OneFailed,
    TR::OneDone,
    TR::NoneFailed,
    TR::NoneSkipped,
    TR::Always,
    TR::NoneFailedMinOneSuccess,
    TR::AllSkipped,
];

/// Two plain (non-setup) upstream task instances, not mapped.
#[rustfmt::skip]
const TWO_UPSTREAMS: &[(&str, &str)] = &[
    //        all_   all_   all_   all_done_  all_done_    one_   one_   one_  none_  none_   always none_failed_ all_
    //        succ.  failed done   min_one_s. setup_succ.  succ.  failed done  failed skipped        min_one_s.   skipped
    ("- -",  "W      W      W      W          W            W      W      W     W      W       R      W            W"),
    ("- s",  "W      S      W      W          W            R      W      R     W      W       R      W            S"),
    ("- k",  "S      S      W      S          W            W      W      W     W      S       R      W            W"),
    ("- f",  "U      W      W      W          W            W      R      R     U      W       R      U            S"),
    ("- u",  "U      W      W      W          W            W      R      W     U      W       R      U            S"),
    ("- r",  "W      W      W      W          W            W      W      W     W      W       R      W            W"),
    ("s s",  "R      S      R      R          R            R      S      R     R      R       R      R            S"),
    ("s k",  "S      S      R      S          R            R      S      R     R      S       R      R            S"),
    ("s f",  "U      S      R      R          R            R      R      R     U      R       R      U            S"),
    ("s u",  "U      S      R      R          R            R      R      R     U      R       R      U            S"),
    ("s r",  "R      S      R      R          R            R      S      R     R      R       R      R            S"),
    ("k k",  "S      S      R      S          R            S      S      S     R      S       R      S            R"),
    ("k f",  "U      S      R      S          R            U      R      R     U      S       R      U            S"),
    ("k u",  "U      S      R      S          R            U      R      S     U      S       R      U            S"),
    ("k r",  "S      S      R      S          R            U      S      S     R      S       R      U            W"),
    ("f f",  "U      R      R      U          R            U      R      R     U      R       R      U            S"),
    ("f u",  "U      R      R      U          R            U      R      R     U      R       R      U            S"),
    ("f r",  "U      R      R      U          R            U      R      R     U      R       R      U            S"),
    ("u u",  "U      R      R      U          R            U      R      S     U      R       R      U            S"),
    ("u r",  "U      R      R      U          R            U      R      S     U      R       R      U            S"),
    ("r r",  "R      R      R      U          R            U      S      S     R      R       R      U            W"),
];

fn state(code: char) -> Option<TaskInstanceState> {
    match code {
        '-' => None,
        's' => Some(TaskInstanceState::Success),
        'k' => Some(TaskInstanceState::Skipped),
        'f' => Some(TaskInstanceState::Failed),
        'u' => Some(TaskInstanceState::UpstreamFailed),
        'r' => Some(TaskInstanceState::Removed),
        _ => panic!("unknown state code {code}"),
    }
}

fn decision(code: &str) -> Decision {
    match code {
        "R" => Decision::Run,
        "W" => Decision::Wait,
        "S" => Decision::Skip,
        "U" => Decision::UpstreamFailed,
        "X" => Decision::Removed,
        _ => panic!("unknown decision code {code}"),
    }
}

/// Counts for upstreams given as `(state code, is_setup)`.
fn counts(upstreams: &[(char, bool)]) -> UpstreamCounts {
    let mut c = UpstreamCounts::default();
    for &(code, is_setup) in upstreams {
        c.add(state(code), is_setup);
    }
    c
}

#[test]
fn every_rule_against_every_pair_of_upstream_states() {
    let mut checked = 0;
    for (states, expected) in TWO_UPSTREAMS {
        let ups: Vec<(char, bool)> = states.split(' ').map(|s| (s.chars().next().unwrap(), false)).collect();
        let c = counts(&ups);
        let expected: Vec<&str> = expected.split_whitespace().collect();
        assert_eq!(expected.len(), RULES.len(), "row {states:?} needs one code per rule");
        for (rule, code) in RULES.iter().zip(expected) {
            assert_eq!(evaluate(*rule, &c, -1), decision(code), "rule {rule} with upstream states {states:?}");
            checked += 1;
        }
    }
    // 21 unordered pairs of 6 states x 13 rules.
    assert_eq!(checked, 21 * 13);
}

#[test]
fn unfinished_states_count_like_no_state() {
    // Running, queued, up_for_retry... are "not done" exactly like no state.
    for unfinished in [TaskInstanceState::Running, TaskInstanceState::UpForRetry, TaskInstanceState::Deferred] {
        let mut a = UpstreamCounts::default();
        a.add(Some(unfinished), false);
        a.add(Some(TaskInstanceState::Success), false);
        let b = counts(&[('-', false), ('s', false)]);
        assert_eq!(a, b);
    }
}

/// `all_done_setup_success` (a teardown's default rule) and the setup counts: `(upstreams, expected)` where each
/// upstream is `state code` + `S` when it is a setup task.
#[rustfmt::skip]
const SETUP_CASES: &[(&str, Decision)] = &[
    ("sS f",     Decision::Run),            // setup ran; the work failed: the teardown still runs
    ("sS s",     Decision::Run),
    ("kS s",     Decision::Skip),           // every setup skipped
    ("fS s",     Decision::UpstreamFailed), // no setup succeeded
    ("uS s",     Decision::UpstreamFailed),
    ("rS s",     Decision::UpstreamFailed), // a removed setup is done but not a success
    ("sS -",     Decision::Wait),           // waits for every upstream, not only the setups
    ("-S s",     Decision::Wait),
    ("sS kS f",  Decision::Run),            // one of two setups succeeded
    ("kS kS s",  Decision::Skip),
    ("kS fS s",  Decision::UpstreamFailed),
    ("k f",      Decision::Run),            // no setup upstream at all: behaves like all_done
];

#[test]
fn all_done_setup_success_with_setup_upstreams() {
    for (ups, expected) in SETUP_CASES {
        let parsed: Vec<(char, bool)> = ups.split(' ').map(|u| (u.chars().next().unwrap(), u.ends_with('S'))).collect();
        let c = counts(&parsed);
        assert_eq!(evaluate(TR::AllDoneSetupSuccess, &c, -1), *expected, "upstreams {ups:?}");
    }
}

#[test]
fn setup_counts_do_not_change_other_rules() {
    // Other rules look only at the totals: a skipped setup is a skipped upstream.
    let c = counts(&[('k', true), ('s', false)]);
    assert_eq!(evaluate(TR::AllSuccess, &c, -1), Decision::Skip);
    assert_eq!(evaluate(TR::NoneFailed, &c, -1), Decision::Run);
}

#[test]
fn all_success_marks_surplus_map_indexes_removed() {
    // A mapped upstream with one success and one removed instance: indexes at or beyond the number of
    // successes are removed, lower ones run; an unmapped task instance (-1) runs.
    let c = counts(&[('s', false), ('r', false)]);
    assert_eq!(evaluate(TR::AllSuccess, &c, 1), Decision::Removed);
    assert_eq!(evaluate(TR::AllSuccess, &c, 2), Decision::Removed);
    assert_eq!(evaluate(TR::AllSuccess, &c, 0), Decision::Run);
    assert_eq!(evaluate(TR::AllSuccess, &c, -1), Decision::Run);
    // Only all_success does this.
    assert_eq!(evaluate(TR::NoneFailed, &c, 1), Decision::Run);
}

#[test]
fn zero_relevant_upstreams() {
    // Happens for a not-yet-expanded task in a mapped task group whose upstream in the group has expanded.
    let c = UpstreamCounts::default();
    let got: Vec<Decision> = RULES.iter().map(|r| evaluate(*r, &c, -1)).collect();
    use Decision::{Run as R, Skip as S, UpstreamFailed as U};
    assert_eq!(got, [R, R, R, U, R, S, S, S, R, R, R, S, R]);
}
