//! Planner tests: each builds a small DAG, gives a snapshot of task instance states, and checks one pass.

use super::*;

/// A task spec with Airflow's defaults.
fn t(id: &str) -> TaskSpec {
    TaskSpec::new(id)
}

fn rule(id: &str, rule: &str) -> TaskSpec {
    TaskSpec { trigger_rule: rule.parse().unwrap(), ..t(id) }
}

fn setup(id: &str) -> TaskSpec {
    TaskSpec { is_setup: true, ..t(id) }
}

fn teardown(id: &str) -> TaskSpec {
    TaskSpec { is_teardown: true, trigger_rule: TriggerRule::AllDoneSetupSuccess, ..t(id) }
}

fn in_group(spec: TaskSpec, groups: &[&str]) -> TaskSpec {
    TaskSpec { mapped_groups: groups.iter().map(|g| g.to_string()).collect(), ..spec }
}

fn mapped(id: &str, over: &[&str]) -> TaskSpec {
    TaskSpec { is_mapped: true, mapped_dependencies: over.iter().map(|s| s.to_string()).collect(), ..t(id) }
}

fn planner(tasks: Vec<TaskSpec>, edges: &[(&str, &str)]) -> Planner {
    planner_with_groups(tasks, edges, &[])
}

fn planner_with_groups(tasks: Vec<TaskSpec>, edges: &[(&str, &str)], groups: &[(&str, &[&str])]) -> Planner {
    let edges: Vec<(String, String)> = edges.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    let groups: Vec<(String, Vec<String>)> =
        groups.iter().map(|(g, deps)| (g.to_string(), deps.iter().map(|d| d.to_string()).collect())).collect();
    Planner::new(&tasks, &edges, &groups).unwrap()
}

/// A readable plan: keys as `task` or `task[i]`.
#[derive(Debug, PartialEq)]
struct Out {
    run: Vec<String>,
    skip: Vec<String>,
    upstream_failed: Vec<String>,
    remove: Vec<String>,
    state: &'static str,
}

/// Snapshot entries are `"task"`, `"task[2]"` or `"task[-1]"` with a state (`"-"` for none).
fn plan(p: &Planner, snapshot: &[(&str, &str)]) -> Out {
    let tis: Vec<TiState> = snapshot
        .iter()
        .map(|(key, state)| {
            let (id, mi) = match key.split_once('[') {
                Some((id, rest)) => (id, rest.trim_end_matches(']').parse().unwrap()),
                None => (*key, -1),
            };
            let state = if *state == "-" { None } else { Some(state.parse().unwrap()) };
            TiState { task: p.task_idx(id).unwrap(), map_index: mi, state }
        })
        .collect();
    let out = p.plan(&tis).unwrap();
    let names = |keys: &[TiKey]| -> Vec<String> {
        keys.iter()
            .map(|&(task, mi)| {
                let id = p.graph().task_id(task);
                if mi < 0 {
                    id.to_owned()
                } else {
                    format!("{id}[{mi}]")
                }
            })
            .collect()
    };
    Out {
        run: names(&out.to_run),
        skip: names(&out.to_skip),
        upstream_failed: names(&out.to_upstream_failed),
        remove: names(&out.to_remove),
        state: out.run_state.as_str(),
    }
}

fn out(run: &[&str], skip: &[&str], upstream_failed: &[&str], state: &'static str) -> Out {
    let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect();
    Out { run: v(run), skip: v(skip), upstream_failed: v(upstream_failed), remove: Vec::new(), state }
}

#[test]
fn chain_runs_one_task_at_a_time_and_succeeds() {
    let p = planner(vec![t("a"), t("b"), t("c")], &[("a", "b"), ("b", "c")]);
    assert_eq!(plan(&p, &[("a", "-"), ("b", "-"), ("c", "-")]), out(&["a"], &[], &[], "running"));
    assert_eq!(plan(&p, &[("a", "running"), ("b", "-"), ("c", "-")]), out(&[], &[], &[], "running"));
    assert_eq!(plan(&p, &[("a", "success"), ("b", "-"), ("c", "-")]), out(&["b"], &[], &[], "running"));
    assert_eq!(plan(&p, &[("a", "success"), ("b", "success"), ("c", "success")]), out(&[], &[], &[], "success"));
}

#[test]
fn diamond_with_a_failure_fails_the_join_then_the_run() {
    let p = planner(
        vec![t("start"), t("left"), t("right"), t("end")],
        &[("start", "left"), ("start", "right"), ("left", "end"), ("right", "end")],
    );
    assert_eq!(
        plan(&p, &[("start", "success"), ("left", "-"), ("right", "-"), ("end", "-")]),
        out(&["left", "right"], &[], &[], "running")
    );
    // One side failed, the other still running: all_success does not wait for the rest.
    assert_eq!(
        plan(&p, &[("start", "success"), ("left", "failed"), ("right", "running"), ("end", "-")]),
        out(&[], &[], &["end"], "running")
    );
    assert_eq!(
        plan(&p, &[("start", "success"), ("left", "failed"), ("right", "success"), ("end", "upstream_failed")]),
        out(&[], &[], &[], "failed")
    );
}

#[test]
fn branch_skips_propagate_except_through_none_failed_rules() {
    // branch >> [x, y]; x >> after_x; [x, y] >> join (none_failed_min_one_success).
    let p = planner(
        vec![t("branch"), t("x"), t("y"), t("after_x"), rule("join", "none_failed_min_one_success")],
        &[("branch", "x"), ("branch", "y"), ("x", "after_x"), ("x", "join"), ("y", "join")],
    );
    // The branch followed y: x was marked skipped by the branch itself.
    let snap = [("branch", "success"), ("x", "skipped"), ("y", "-"), ("after_x", "-"), ("join", "-")];
    assert_eq!(plan(&p, &snap), out(&["y"], &["after_x"], &[], "running"));
    let snap = [("branch", "success"), ("x", "skipped"), ("y", "success"), ("after_x", "skipped"), ("join", "-")];
    assert_eq!(plan(&p, &snap), out(&["join"], &[], &[], "running"));
    let done = [("branch", "success"), ("x", "skipped"), ("y", "success"), ("after_x", "skipped"), ("join", "success")];
    assert_eq!(plan(&p, &done), out(&[], &[], &[], "success"));
}

#[test]
fn decisions_use_the_snapshot_not_this_passes_other_decisions() {
    // a is skipped, b is about to become upstream_failed in this same pass; c (all_success of both) only sees
    // the skip, so it is skipped now, as in Airflow's scheduler pass.
    let p = planner(vec![t("f"), t("a"), t("b"), t("c")], &[("f", "b"), ("a", "c"), ("b", "c")]);
    let snap = [("f", "failed"), ("a", "skipped"), ("b", "-"), ("c", "-")];
    assert_eq!(plan(&p, &snap), out(&[], &["c"], &["b"], "running"));
    // Only leaves decide the final state: c (skipped) is the only leaf, so the failure of f does not fail the run.
    let snap = [("f", "failed"), ("a", "skipped"), ("b", "upstream_failed"), ("c", "skipped")];
    assert_eq!(plan(&p, &snap).state, "success");
}

#[test]
fn failed_leaf_fails_the_run_and_skipped_leaf_does_not() {
    let p = planner(vec![t("a"), t("b"), t("c")], &[("a", "b")]);
    assert_eq!(plan(&p, &[("a", "success"), ("b", "skipped"), ("c", "success")]).state, "success");
    assert_eq!(plan(&p, &[("a", "success"), ("b", "skipped"), ("c", "failed")]).state, "failed");
    // A failure that is not in a leaf does not fail the run when the leaves succeed.
    assert_eq!(plan(&p, &[("a", "failed"), ("b", "success"), ("c", "success")]).state, "success");
}

#[test]
fn setup_teardown_runs_teardown_after_work_failure_and_ignores_it_for_run_state() {
    // create (setup) >> work >> delete (teardown); create >> delete.
    let p = planner(
        vec![setup("create"), t("work"), teardown("delete")],
        &[("create", "work"), ("work", "delete"), ("create", "delete")],
    );
    assert_eq!(
        plan(&p, &[("create", "success"), ("work", "failed"), ("delete", "-")]),
        out(&["delete"], &[], &[], "running")
    );
    // The teardown succeeded but the work failed: the work is the effective leaf, the run failed.
    assert_eq!(plan(&p, &[("create", "success"), ("work", "failed"), ("delete", "success")]).state, "failed");
    // The work succeeded and only the teardown failed: the run succeeded (teardowns are not leaves).
    assert_eq!(plan(&p, &[("create", "success"), ("work", "success"), ("delete", "failed")]).state, "success");
    // ... unless the teardown has on_failure_fail_dagrun.
    let strict = planner(
        vec![setup("create"), t("work"), TaskSpec { on_failure_fail_dagrun: true, ..teardown("delete") }],
        &[("create", "work"), ("work", "delete"), ("create", "delete")],
    );
    assert_eq!(plan(&strict, &[("create", "success"), ("work", "success"), ("delete", "failed")]).state, "failed");
}

#[test]
fn failed_or_skipped_setup_fails_or_skips_its_teardown() {
    let p = planner(
        vec![setup("create"), t("work"), teardown("delete")],
        &[("create", "work"), ("work", "delete"), ("create", "delete")],
    );
    assert_eq!(
        plan(&p, &[("create", "failed"), ("work", "upstream_failed"), ("delete", "-")]),
        out(&[], &[], &["delete"], "running")
    );
    assert_eq!(
        plan(&p, &[("create", "skipped"), ("work", "skipped"), ("delete", "-")]),
        out(&[], &["delete"], &[], "running")
    );
}

#[test]
fn teardown_waits_for_everything_between_its_setup_and_itself() {
    // create >> w1 >> w2 >> delete, create >> delete; w2 runs "always", so it can finish before w1.
    let p = planner(
        vec![setup("create"), t("w1"), rule("w2", "always"), teardown("delete")],
        &[("create", "w1"), ("w1", "w2"), ("w2", "delete"), ("create", "delete")],
    );
    let snap = [("create", "success"), ("w1", "running"), ("w2", "success"), ("delete", "-")];
    assert_eq!(plan(&p, &snap), out(&[], &[], &[], "running"));
    let snap = [("create", "success"), ("w1", "failed"), ("w2", "success"), ("delete", "-")];
    assert_eq!(plan(&p, &snap), out(&["delete"], &[], &[], "running"));
}

#[test]
fn indirect_setup_failure_or_skip_reaches_tasks_below_it() {
    // create >> w1 >> w2 >> delete, create >> delete. w2 (all_done) would run after w1 whatever happened, but it
    // also depends on create, indirectly, because create's teardown is downstream of w2. (Airflow requires the
    // direct downstreams of a setup to be all_success, so w1 is.)
    let p = planner(
        vec![setup("create"), t("w1"), rule("w2", "all_done"), teardown("delete")],
        &[("create", "w1"), ("w1", "w2"), ("w2", "delete"), ("create", "delete")],
    );
    let snap = [("create", "skipped"), ("w1", "skipped"), ("w2", "-"), ("delete", "-")];
    assert_eq!(plan(&p, &snap), out(&[], &["w2"], &[], "running"));
    let snap = [("create", "failed"), ("w1", "upstream_failed"), ("w2", "-"), ("delete", "-")];
    assert_eq!(plan(&p, &snap), out(&[], &[], &["w2"], "running"));
    // The setup succeeded and the work failed: all_done runs.
    let snap = [("create", "success"), ("w1", "failed"), ("w2", "-"), ("delete", "-")];
    assert_eq!(plan(&p, &snap), out(&["w2"], &[], &[], "running"));
}

#[test]
fn indirect_setup_counts_only_when_its_teardown_is_downstream_or_it_has_none() {
    // lone (setup, no teardown) >> a >> b: b depends on lone indirectly.
    // create >> c >> d, create >> delete, c >> delete: d is outside the teardown's scope, so create is not
    // relevant to d.
    let p = planner(
        vec![
            setup("lone"),
            t("a"),
            rule("b", "all_done"),
            setup("create"),
            t("c"),
            rule("d", "all_done"),
            teardown("delete"),
        ],
        &[("lone", "a"), ("a", "b"), ("create", "c"), ("c", "d"), ("create", "delete"), ("c", "delete")],
    );
    let snap = [
        ("lone", "failed"),
        ("a", "upstream_failed"),
        ("b", "-"),
        ("create", "failed"),
        ("c", "upstream_failed"),
        ("d", "-"),
        ("delete", "upstream_failed"),
    ];
    assert_eq!(plan(&p, &snap), out(&["d"], &[], &["b"], "running"));
}

#[test]
fn mapped_task_expands_then_each_index_runs_and_downstream_sees_every_index() {
    let p = planner(vec![t("make"), mapped("m", &["make"]), t("after")], &[("make", "m"), ("m", "after")]);
    // Not expanded yet: waits for make, then is "ready to expand".
    assert_eq!(plan(&p, &[("make", "-"), ("m[-1]", "-"), ("after", "-")]), out(&["make"], &[], &[], "running"));
    assert_eq!(plan(&p, &[("make", "success"), ("m[-1]", "-"), ("after", "-")]), out(&["m"], &[], &[], "running"));
    let snap = [("make", "success"), ("m[0]", "-"), ("m[1]", "-"), ("m[2]", "-"), ("after", "-")];
    assert_eq!(plan(&p, &snap), out(&["m[0]", "m[1]", "m[2]"], &[], &[], "running"));
    // One index failed: the downstream (all_success) counts every index.
    let snap = [("make", "success"), ("m[0]", "success"), ("m[1]", "failed"), ("m[2]", "running"), ("after", "-")];
    assert_eq!(plan(&p, &snap), out(&[], &[], &["after"], "running"));
    let snap = [("make", "success"), ("m[0]", "success"), ("m[1]", "success"), ("m[2]", "success"), ("after", "-")];
    assert_eq!(plan(&p, &snap), out(&["after"], &[], &[], "running"));
}

#[test]
fn failed_expansion_input_fails_a_mapped_task_even_with_all_done() {
    // MappedTaskUpstreamDep: the trigger rule alone would let it run.
    let p = planner(
        vec![t("make"), TaskSpec { trigger_rule: TriggerRule::AllDone, ..mapped("m", &["make"]) }],
        &[("make", "m")],
    );
    assert_eq!(plan(&p, &[("make", "failed"), ("m[-1]", "-")]), out(&[], &[], &["m"], "running"));
    assert_eq!(plan(&p, &[("make", "skipped"), ("m[-1]", "-")]), out(&[], &["m"], &[], "running"));
}

/// make >> group(a >> b) >> after, the group expanding over make's output.
fn mapped_group() -> Planner {
    planner_with_groups(
        vec![t("make"), in_group(t("a"), &["g"]), in_group(t("b"), &["g"]), t("after")],
        &[("make", "a"), ("a", "b"), ("b", "after")],
        &[("g", &["make"])],
    )
}

#[test]
fn mapped_group_instances_depend_on_the_same_map_index() {
    let p = mapped_group();
    // Before make is done the group's count is unknown: b waits for a's summary instance.
    assert_eq!(
        plan(&p, &[("make", "-"), ("a[-1]", "-"), ("b[-1]", "-"), ("after", "-")]),
        out(&["make"], &[], &[], "running")
    );
    assert_eq!(
        plan(&p, &[("make", "success"), ("a[-1]", "-"), ("b[-1]", "-"), ("after", "-")]),
        out(&["a"], &[], &[], "running")
    );
    // a expanded: b's summary instance no longer depends on a's expanded instances, so it expands too.
    let snap = [("make", "success"), ("a[0]", "-"), ("a[1]", "-"), ("a[2]", "-"), ("b[-1]", "-"), ("after", "-")];
    assert_eq!(plan(&p, &snap), out(&["a[0]", "a[1]", "a[2]", "b"], &[], &[], "running"));
    // Per index: b[0] runs after a[0], b[1] fails upstream after a[1], b[2] waits for a[2].
    let snap = [
        ("make", "success"),
        ("a[0]", "success"),
        ("a[1]", "failed"),
        ("a[2]", "running"),
        ("b[0]", "-"),
        ("b[1]", "-"),
        ("b[2]", "-"),
        ("after", "-"),
    ];
    assert_eq!(plan(&p, &snap), out(&["b[0]"], &[], &["b[1]"], "running"));
    // Outside the group, after depends on every b.
    let snap = [
        ("make", "success"),
        ("a[0]", "success"),
        ("a[1]", "failed"),
        ("a[2]", "success"),
        ("b[0]", "success"),
        ("b[1]", "upstream_failed"),
        ("b[2]", "success"),
        ("after", "-"),
    ];
    assert_eq!(plan(&p, &snap), out(&[], &[], &["after"], "running"));
}

#[test]
fn deadlock_fails_the_run() {
    // all_skipped never holds with a removed upstream, and nothing else can run.
    let p = planner(vec![t("a"), t("b"), rule("c", "all_skipped")], &[("a", "c"), ("b", "c")]);
    assert_eq!(plan(&p, &[("a", "skipped"), ("b", "removed"), ("c", "-")]), out(&[], &[], &[], "failed"));
    // Still running while another task runs and could make progress.
    let p2 = planner(vec![t("a"), t("b"), rule("c", "all_skipped"), t("d")], &[("a", "c"), ("b", "c")]);
    assert_eq!(plan(&p2, &[("a", "skipped"), ("b", "removed"), ("c", "-"), ("d", "running")]).state, "running");
}

#[test]
fn no_deadlock_is_declared_with_depends_on_past_or_deferred_tasks() {
    let edges = [("a", "c"), ("b", "c")];
    let snap = [("a", "skipped"), ("b", "removed"), ("c", "-")];
    let dop = planner(vec![t("a"), t("b"), TaskSpec { depends_on_past: true, ..rule("c", "all_skipped") }], &edges);
    assert_eq!(plan(&dop, &snap).state, "running");
    let limited =
        planner(vec![t("a"), t("b"), TaskSpec { has_ti_concurrency_limit: true, ..rule("c", "all_skipped") }], &edges);
    assert_eq!(plan(&limited, &snap).state, "running");
    let p = planner(vec![t("a"), t("b"), rule("c", "all_skipped"), t("d")], &edges);
    let snap = [("a", "skipped"), ("b", "removed"), ("c", "-"), ("d", "deferred")];
    assert_eq!(plan(&p, &snap).state, "running");
}

#[test]
fn to_run_is_ordered_by_effective_priority_then_map_index_then_topology() {
    // a >> b >> c; d; e >> f. Downstream weights: a=3, b=2, c=1, d=1, e=2, f=1.
    let p = planner(vec![t("d"), t("e"), t("a"), t("b"), t("c"), t("f")], &[("a", "b"), ("b", "c"), ("e", "f")]);
    assert_eq!(p.priority_weight(p.task_idx("a").unwrap()), 3);
    let snap = [("d", "-"), ("e", "-"), ("a", "-"), ("b", "-"), ("c", "-"), ("f", "-")];
    assert_eq!(plan(&p, &snap).run, ["a", "e", "d"]);
    // A heavy own weight wins; upstream and absolute rules.
    let p = planner(
        vec![
            TaskSpec { priority_weight: 10, ..t("d") },
            t("a"),
            TaskSpec { weight_rule: WeightRule::Upstream, priority_weight: 5, ..t("b") },
            TaskSpec { weight_rule: WeightRule::Absolute, priority_weight: 7, ..t("c") },
        ],
        &[("a", "b"), ("a", "c")],
    );
    let w = |id| p.priority_weight(p.task_idx(id).unwrap());
    assert_eq!((w("d"), w("a"), w("b"), w("c")), (10, 1 + 5 + 7, 5 + 1, 7));
    assert_eq!(plan(&p, &[("d", "-"), ("a", "success"), ("b", "-"), ("c", "-")]).run, ["d", "c", "b"]);
}

#[test]
fn mapped_instances_sort_by_map_index_before_task_order() {
    // Airflow's scheduler orders by -priority_weight, then map_index.
    let p = planner(vec![mapped("m", &[]), mapped("n", &[])], &[]);
    let snap = [("m[0]", "-"), ("m[1]", "-"), ("n[0]", "-"), ("n[1]", "-")];
    assert_eq!(plan(&p, &snap).run, ["m[0]", "n[0]", "m[1]", "n[1]"]);
}

#[test]
fn retries_are_returned_for_the_caller_to_time() {
    let p = planner(vec![t("a"), t("b")], &[("a", "b")]);
    assert_eq!(plan(&p, &[("a", "up_for_retry"), ("b", "-")]), out(&["a"], &[], &[], "running"));
}

#[test]
fn surplus_map_indexes_are_removed() {
    // A mapped upstream shrank: m has one success and one removed instance; n (mapped over a literal, with an
    // all_success edge from m) keeps index 0 and loses index 1.
    let p = planner(vec![mapped("m", &[]), mapped("n", &[])], &[("m", "n")]);
    let snap = [("m[0]", "success"), ("m[1]", "removed"), ("n[0]", "-"), ("n[1]", "-")];
    let got = plan(&p, &snap);
    assert_eq!((got.run, got.remove), (vec!["n[0]".to_string()], vec!["n[1]".to_string()]));
}

#[test]
fn bad_input_is_refused() {
    let p = planner(vec![t("a")], &[]);
    let dup = [TiState { task: 0, map_index: -1, state: None }, TiState { task: 0, map_index: -1, state: None }];
    assert!(matches!(p.plan(&dup), Err(CoreError::Invalid { .. })));
    let tasks = vec![t("a"), t("b")];
    let cyc = Planner::new(&tasks, &[("a".into(), "b".into()), ("b".into(), "a".into())], &[]);
    assert!(matches!(cyc, Err(CoreError::Cycle { .. })));
}

#[test]
fn large_dag_plans_quickly_enough_to_be_called_every_turn() {
    // Not a timing assertion: a smoke test that a 1,000-task layered DAG plans correctly.
    let n = 1000;
    let tasks: Vec<TaskSpec> = (0..n).map(|i| t(&format!("t{i}"))).collect();
    let edges: Vec<(String, String)> = (10..n).map(|i| (format!("t{}", i - 10), format!("t{i}"))).collect();
    let p = Planner::new(&tasks, &edges, &[]).unwrap();
    let tis: Vec<TiState> = (0..n)
        .map(|i| TiState {
            task: i,
            map_index: -1,
            state: if i < 500 { Some(TaskInstanceState::Success) } else { None },
        })
        .collect();
    let got = p.plan(&tis).unwrap();
    assert_eq!(got.to_run.len(), 10);
    assert_eq!(got.run_state, DagRunState::Running);
}

/// Plans with an expansion callback that answers from `counts` (task id -> count; missing = cannot compute).
fn plan_expanding(p: &Planner, snapshot: &[(&str, i64, Option<TaskInstanceState>)], counts: &[(&str, i64)]) -> Plan {
    let tis: Vec<TiState> = snapshot
        .iter()
        .map(|&(id, mi, state)| TiState { task: p.task_idx(id).unwrap(), map_index: mi, state })
        .collect();
    let mut expand = |task: TaskIdx| -> CoreResult<Option<i64>> {
        let id = p.graph().task_id(task);
        Ok(counts.iter().find(|(t, _)| *t == id).map(|&(_, c)| c))
    };
    p.plan_expanding(&tis, Some(&mut expand)).unwrap()
}

#[test]
fn expansion_in_the_same_pass_decides_the_new_instances() {
    let p = planner(vec![t("make"), mapped("m", &["make"]), t("after")], &[("make", "m"), ("m", "after")]);
    let idx = |id| p.task_idx(id).unwrap();
    let ok = Some(TaskInstanceState::Success);
    let got = plan_expanding(&p, &[("make", -1, ok), ("m", -1, None), ("after", -1, None)], &[("m", 3)]);
    assert_eq!(got.expanded, [(idx("m"), 3)]);
    assert_eq!(got.to_run, [(idx("m"), 0), (idx("m"), 1), (idx("m"), 2)]);
    assert_eq!(got.run_state, DagRunState::Running);
    // An empty expansion skips the task; an expansion input that cannot be computed fails it upstream.
    let got = plan_expanding(&p, &[("make", -1, ok), ("m", -1, None), ("after", -1, None)], &[("m", 0)]);
    assert_eq!((got.to_skip, got.expanded), (vec![(idx("m"), -1)], vec![]));
    let got = plan_expanding(&p, &[("make", -1, ok), ("m", -1, None), ("after", -1, None)], &[]);
    assert_eq!(got.to_upstream_failed, [(idx("m"), -1)]);
}

#[test]
fn expanded_group_members_wait_for_their_own_index() {
    let p = mapped_group();
    let idx = |id| p.task_idx(id).unwrap();
    let ok = Some(TaskInstanceState::Success);
    let snap = [("make", -1, ok), ("a", 0, ok), ("a", 1, None), ("b", -1, None), ("after", -1, None)];
    let got = plan_expanding(&p, &snap, &[("b", 2)]);
    assert_eq!(got.expanded, [(idx("b"), 2)]);
    // a[1] is ready (no state), b[0] follows a[0]; b[1] waits for a[1].
    assert_eq!(got.to_run, [(idx("a"), 1), (idx("b"), 0)]);
}

#[test]
fn removed_leaf_instances_do_not_count_for_the_run_state() {
    let p = planner(vec![t("a"), mapped("m", &[])], &[("a", "m")]);
    let snap = [("a", "success"), ("m[0]", "success"), ("m[1]", "removed")];
    assert_eq!(plan(&p, &snap).state, "success");
    let snap = [("a", "success"), ("m[0]", "failed"), ("m[1]", "removed")];
    assert_eq!(plan(&p, &snap).state, "failed");
}

// --- the incremental run state gives the same plans as the full planner ------------------------------------------

/// A small deterministic random number generator (xorshift64*), so the property test needs no crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
}

/// A random DAG of 2..12 tasks with every feature the planner knows: all trigger rules, setups and teardowns,
/// mapped tasks, (nested) mapped task groups, weights, depends_on_past and concurrency limits.
fn random_planner(rng: &mut Rng) -> Planner {
    let n = 2 + rng.below(11);
    let ids: Vec<String> = (0..n).map(|i| format!("t{i}")).collect();
    let mut edges: Vec<(String, String)> = Vec::new();
    for j in 1..n {
        for i in 0..j {
            if rng.chance(30) {
                edges.push((ids[i].clone(), ids[j].clone()));
            }
        }
    }
    // Group "outer" over a prefix-free range of tasks, "inner" inside it; both expand over an earlier task.
    let outer_from = 1 + rng.below(n - 1);
    let inner_from = outer_from + rng.below(n - outer_from);
    let use_groups = rng.chance(40);
    let mut specs = Vec::new();
    let mut specs_setup: Vec<usize> = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let mut spec = t(id);
        spec.trigger_rule = rng.pick(TriggerRule::ALL);
        match rng.below(6) {
            0 => spec.is_setup = true,
            1 => {
                spec.is_teardown = true;
                spec.on_failure_fail_dagrun = rng.chance(30);
                // Mostly tied to an earlier setup (and then usually with tasks in between: its scope).
                let setups: Vec<usize> = (0..i).filter(|&s| specs_setup.contains(&s)).collect();
                if !setups.is_empty() && rng.chance(80) {
                    let s = rng.pick(&setups);
                    edges.push((ids[s].clone(), id.clone()));
                    for between in s + 1..i {
                        if rng.chance(50) {
                            edges.push((ids[s].clone(), ids[between].clone()));
                            edges.push((ids[between].clone(), id.clone()));
                        }
                    }
                }
            }
            _ => {}
        }
        if spec.is_setup {
            specs_setup.push(i);
        }
        spec.priority_weight = 1 + rng.below(5) as i64;
        spec.weight_rule = rng.pick(&[WeightRule::Downstream, WeightRule::Upstream, WeightRule::Absolute]);
        spec.depends_on_past = rng.chance(5);
        spec.has_ti_concurrency_limit = rng.chance(5);
        let ups: Vec<&String> = edges.iter().filter(|(_, d)| d == id).map(|(u, _)| u).collect();
        if !ups.is_empty() && rng.chance(25) {
            spec.is_mapped = true;
            spec.mapped_dependencies = vec![rng.pick(&ups).clone()];
        }
        if use_groups && i >= inner_from && rng.chance(70) {
            spec.mapped_groups = vec!["inner".into(), "outer".into()];
        } else if use_groups && i >= outer_from && rng.chance(70) {
            spec.mapped_groups = vec!["outer".into()];
        }
        specs.push(spec);
    }
    edges.sort();
    edges.dedup();
    let groups = vec![
        ("outer".to_string(), vec![ids[rng.below(outer_from)].clone()]),
        ("inner".to_string(), vec![ids[rng.below(outer_from)].clone()]),
    ];
    Planner::new(&specs, &edges, &groups).unwrap()
}

/// Every state, and no state, as a random pick.
fn random_state(rng: &mut Rng) -> Option<TaskInstanceState> {
    if rng.chance(15) {
        None
    } else {
        Some(rng.pick(TaskInstanceState::ALL))
    }
}

#[test]
fn incremental_plans_equal_full_plans_on_random_state_sequences() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut compared = 0;
    for _ in 0..3000 {
        let p = random_planner(&mut rng);
        let n = p.graph().len();
        // The reference: every row, as the full planner gets it each turn.
        let mut rows: std::collections::BTreeMap<TiKey, Option<TaskInstanceState>> =
            (0..n).map(|t| ((t, -1), None)).collect();
        let mut state = incremental::RunPlanState::new(&p, &[0]);
        for (&(task, mi), &s) in &rows {
            state.set(&p, task, mi, s).unwrap();
        }
        for _ in 0..30 {
            let full = {
                let tis: Vec<TiState> =
                    rows.iter().map(|(&(task, map_index), &state)| TiState { task, map_index, state }).collect();
                p.plan(&tis).unwrap()
            };
            assert_eq!(state.plan(&p), full, "after the same changes, on {:?}", p.graph().task_ids());
            compared += 1;
            let free: Vec<TiKey> = full
                .to_run
                .iter()
                .copied()
                .filter(|&(task, mi)| {
                    let waits = matches!(
                        rows[&(task, mi)],
                        Some(TaskInstanceState::UpForRetry | TaskInstanceState::UpForReschedule)
                    );
                    (mi < 0 && p.info[task].needs_expansion) || task == 0 || waits
                })
                .collect();
            assert_eq!(state.ready_without_slot(&p), free);
            // The next turn's changes: the plan applied (as the engine does), and random moves on top.
            let mut changes: Vec<(TiKey, Option<Option<TaskInstanceState>>)> = Vec::new();
            if rng.chance(60) {
                use TaskInstanceState::*;
                for &k in &full.to_skip {
                    changes.push((k, Some(Some(Skipped))));
                }
                for &k in &full.to_upstream_failed {
                    changes.push((k, Some(Some(UpstreamFailed))));
                }
                for &k in &full.to_remove {
                    changes.push((k, Some(Some(Removed))));
                }
                for &(task, mi) in &full.to_run {
                    let needs_expansion = p.info[task].needs_expansion && mi < 0;
                    if needs_expansion {
                        // Expand: map index -1 goes, 0..count come (or it is skipped for 0).
                        let count = rng.below(4) as i64;
                        if count == 0 {
                            changes.push(((task, -1), Some(Some(Skipped))));
                        } else {
                            changes.push(((task, -1), None));
                            changes.extend((0..count).map(|i| ((task, i), Some(None))));
                        }
                    } else {
                        changes.push(((task, mi), Some(Some(rng.pick(&[Running, Success, Failed, Success])))));
                    }
                }
            }
            for _ in 0..rng.below(4) {
                let keys: Vec<TiKey> = rows.keys().copied().collect();
                match rng.below(10) {
                    0 => {
                        // A new map index (a mapped task grew) or a row that comes back.
                        let task = rng.below(n);
                        changes.push(((task, rng.below(5) as i64 - 1), Some(random_state(&mut rng))));
                    }
                    1 if !keys.is_empty() => changes.push((rng.pick(&keys), None)),
                    _ if !keys.is_empty() => changes.push((rng.pick(&keys), Some(random_state(&mut rng)))),
                    _ => {}
                }
            }
            for ((task, mi), change) in changes {
                match change {
                    Some(s) => {
                        rows.insert((task, mi), s);
                        state.set(&p, task, mi, s).unwrap();
                    }
                    None => {
                        rows.remove(&(task, mi));
                        state.remove(&p, task, mi).unwrap();
                    }
                }
            }
            assert_eq!(state.len(), rows.len());
            let running = rows.values().filter(|&&s| s == Some(TaskInstanceState::Running)).count();
            assert_eq!(state.count(None, &[Some(TaskInstanceState::Running)]), running);
        }
    }
    assert_eq!(compared, 3000 * 30);
}
