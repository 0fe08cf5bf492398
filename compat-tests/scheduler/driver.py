"""The REST client both sides' runners use to drive the scenarios (stdlib only: it runs in Airflow's venv too).

Airflow's api-server and riir's broker serve the same /api/v2; both run with `simple_auth_manager_all_admins`, so no
token is needed. A side passes `restart` (restart what runs a DAG file mid-scenario) and `update_file` (deploy a new
version of a DAG file: Airflow's dag-processor re-parses the folder; a riir app is restarted, as a deployment would).
"""

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request


class ApiError(RuntimeError):
    pass


class Api:
    def __init__(self, url, update_file=None, timeout=300, concurrency=4, poll=1.0, restart=None):
        self.url = url.rstrip("/") + "/api/v2"
        # The scenarios' threads share a few connections' worth of requests, so the server's pool never runs dry.
        self.slots = threading.BoundedSemaphore(concurrency)
        self.update_file_hook = update_file
        self.restart_hook = restart
        self.timeout, self.poll = timeout, poll

    def call(self, method, path, body=None, ok=(200, 201, 204)):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})  # fmt: skip
        for attempt in range(5):
            try:
                with self.slots, urllib.request.urlopen(request, timeout=120) as response:
                    raw = response.read()
                    return json.loads(raw) if raw else None
            except urllib.error.HTTPError as err:
                text = err.read().decode(errors="replace")
                if err.code in ok:
                    return json.loads(text) if text else None
                if err.code >= 500 and attempt < 4:
                    time.sleep(2 + attempt * 3)
                    continue
                raise ApiError(f"{method} {path} -> {err.code}: {text[:500]}") from None
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if attempt == 4:
                    raise
                time.sleep(1)
        raise AssertionError("unreachable")

    @staticmethod
    def q(value):
        return urllib.parse.quote(value, safe="")

    # -- DAGs, pools
    def wait_dag(self, dag_id, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            try:
                return self.call("GET", f"/dags/{self.q(dag_id)}")
            except ApiError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)

    def unpause(self, dag_id):
        self.wait_dag(dag_id)
        self.call("PATCH", f"/dags/{self.q(dag_id)}", {"is_paused": False})

    def is_paused(self, dag_id):
        return self.call("GET", f"/dags/{self.q(dag_id)}")["is_paused"]

    def create_pool(self, name, slots):
        self.call("POST", "/pools", {"name": name, "slots": slots, "include_deferred": False})

    # -- runs
    def trigger(self, dag_id, run_id, logical_date=None, conf=None):
        body = {"dag_run_id": run_id, "logical_date": logical_date, "conf": conf or {}}
        return self.call("POST", f"/dags/{self.q(dag_id)}/dagRuns", body)

    def runs(self, dag_id):
        return self.call("GET", f"/dags/{self.q(dag_id)}/dagRuns?limit=100&order_by=run_after")["dag_runs"]

    def wait(self, what, check, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            time.sleep(self.poll)

    def wait_runs_done(self, dag_id, count, timeout=None):
        """Waits until the DAG has at least `count` runs and none is queued or running."""

        def done():
            runs = self.runs(dag_id)
            return len(runs) >= count and all(r["state"] in ("success", "failed") for r in runs)

        return self.wait(f"{count} finished runs of {dag_id}", done, timeout)

    def wait_run_done(self, dag_id, run_id, timeout=None):
        def done():
            try:
                run = self.call("GET", f"/dags/{self.q(dag_id)}/dagRuns/{self.q(run_id)}", ok=(200,))
            except ApiError as err:
                if "-> 404" in str(err):  # not created yet
                    return None
                raise
            return run["state"] if run["state"] in ("success", "failed") else None

        return self.wait(f"run {run_id} of {dag_id}", done, timeout)

    def ti_state(self, dag_id, run_id, task_id):
        ti = self.call("GET", f"/dags/{self.q(dag_id)}/dagRuns/{self.q(run_id)}/taskInstances/{self.q(task_id)}")
        return ti["state"]

    def wait_ti(self, dag_id, run_id, task_id, states, timeout=None):
        def reached():
            try:
                return self.ti_state(dag_id, run_id, task_id) in states
            except ApiError:
                return False

        return self.wait(f"{dag_id}/{run_id}/{task_id} in {states}", reached, timeout)

    # -- clearing and marking
    def clear(self, dag_id, task_ids, run_id, only_failed=False, **include):
        body = {"dry_run": False, "task_ids": task_ids, "dag_run_id": run_id, "only_failed": only_failed,
                "reset_dag_runs": True, **include}  # fmt: skip
        return self.call("POST", f"/dags/{self.q(dag_id)}/clearTaskInstances", body)

    def clear_run(self, dag_id, run_id):
        return self.call("POST", f"/dags/{self.q(dag_id)}/dagRuns/{self.q(run_id)}/clear", {"dry_run": False})

    def mark(self, dag_id, run_id, task_id, new_state, **include):
        body = {"new_state": new_state, **include}
        path = f"/dags/{self.q(dag_id)}/dagRuns/{self.q(run_id)}/taskInstances/{self.q(task_id)}"
        return self.call("PATCH", path, body)

    def restart(self, name):
        """Restarts what runs DAG file `name` (riir: its app; Airflow keeps all state in its database already)."""
        if self.restart_hook is not None:
            self.restart_hook(name)

    def update_file(self, name, source_path):
        if self.update_file_hook is None:
            raise RuntimeError("this side cannot deploy a new DAG file version")
        self.update_file_hook(name, source_path)
