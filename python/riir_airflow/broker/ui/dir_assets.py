"""The directory-asset page: a `DirAsset` shown as one node with a per-file status grid, "n changed / n cached /
n removed" for every run that consumed it, and the manifest diff of any of its events.

Everything comes from the metastore (the events' extras carry manifest ids and diffs; `dagrun_asset_event` links
consumer runs; cache hits are task instances noted "cached: ...") and from the manifest store (`[riir]
manifest_store`, read by the Rust core; the broker never imports DAG code). When the broker does not see the
manifest store, the page shows what the events carry (the changed files) and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from riir_airflow._core import read_stored_manifest, stored_manifest_diff
from riir_airflow.broker.deps import Pool
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.ui.common import UiUser, render
from riir_airflow.metastore import api_queries as aq
from riir_airflow.metastore import dir_asset_queries as dq

router = ApiRouter(include_in_schema=False)
GRID_LIMIT = 20_000  # cells in the per-file grid; beyond it the grid shows the changed files and says how many more
DIFF_ROWS = 500  # rows of the manifest diff table


@dataclass(frozen=True)
class FileCell:
    path: str
    status: str  # added | modified | removed | unchanged


def manifest_objects(config: Any) -> Path:
    """The manifest store's objects folder as this broker sees it (`[riir] manifest_store`, default
    `$AIRFLOW_HOME/manifests`)."""
    configured = (config.get("riir", "manifest_store", fallback="") or "").strip()
    root = Path(configured) if configured else Path(config.airflow_home) / "manifests"
    return root / "objects"


def _extra(event: dict[str, Any]) -> dict[str, Any]:
    extra = event.get("extra") or {}
    return extra if isinstance(extra, dict) else {}


def _counts(extra: dict[str, Any]) -> dict[str, int]:
    return {key: len(extra.get(key) or ()) for key in ("added", "modified", "removed")}


def _consumed_change(objects: Path, consumed: list[dict[str, Any]]) -> tuple[int, int, bool]:
    """(changed, removed) a consumer run got from its events, oldest to newest: from the manifest store when this
    broker sees it (what `diff_since_last_consumed` computes), else the union of the events' lists."""
    first, last = _extra(consumed[0]), _extra(consumed[-1])
    try:
        added, modified, removed = stored_manifest_diff(
            objects, first.get("riir_previous_manifest"), str(last["riir_manifest"])
        )
        return len(added) + len(modified), len(removed), True
    except (OSError, KeyError, ValueError):
        changed: set[str] = set()
        gone: set[str] = set()
        for event in consumed:
            extra = _extra(event)
            changed |= {*extra.get("added", ()), *extra.get("modified", ())}
            gone |= set(extra.get("removed", ()))
        return len(changed - gone), len(gone), False


@router.get("/assets/files")
async def asset_by_uri(pool: Pool, user: UiUser, uri: str) -> RedirectResponse:
    """An asset node of a DAG graph: a directory asset opens its files page, any other asset the Assets page."""
    asset_id = await dq.asset_id_by_uri(pool, uri)
    if asset_id is not None and await dq.is_dir_asset(pool, [asset_id]):
        return RedirectResponse(f"/assets/{asset_id}/files", status_code=303)
    return RedirectResponse("/assets", status_code=303)


@router.get("/assets/{asset_id}/files", response_class=HTMLResponse)
async def dir_asset_page(
    request: Request, pool: Pool, user: UiUser, asset_id: int, event: int | None = None
) -> HTMLResponse:
    asset = await aq.get_asset(pool, asset_id)
    if asset is None:
        raise HTTPException(404, f"The Asset with id {asset_id} was not found")
    events = await dq.manifest_events(pool, asset_id)
    if not events:
        raise HTTPException(404, f"Asset {asset.name!r} has no manifest events: it is not a directory asset")
    by_id = {int(e["id"]): e for e in events}
    selected = by_id.get(event or -1, events[0])
    extra = _extra(selected)
    objects = manifest_objects(request.app.state.config)

    # The per-file grid and the diff of the selected event.
    status = dict.fromkeys(extra.get("added", ()), "added")
    status.update(dict.fromkeys(extra.get("modified", ()), "modified"))
    store_visible = True
    try:
        files = read_stored_manifest(objects, str(extra["riir_manifest"]))
        previous = extra.get("riir_previous_manifest")
        old_files = read_stored_manifest(objects, str(previous)) if previous else {}
    except (OSError, ValueError):
        store_visible, files, old_files = False, {}, {}
    paths = sorted(files) if store_visible else sorted(status)
    cells = [FileCell(p, status.get(p, "unchanged")) for p in paths[:GRID_LIMIT]]
    cells += [FileCell(p, "removed") for p in extra.get("removed", ())]
    diff_rows = [
        {"path": p, "status": s, "old": old_files.get(p), "new": files.get(p)}
        for s in ("added", "modified", "removed")
        for p in extra.get(s, ())
    ][:DIFF_ROWS]

    # Every run that consumed the asset: n changed / n cached / n removed.
    runs = []
    for run in await dq.consumer_runs(pool, asset_id):
        consumed = [by_id[i] for i in run["event_ids"] if i in by_id]
        changed, removed, exact = _consumed_change(objects, consumed) if consumed else (0, 0, False)
        runs.append({**run, "changed": changed, "removed": removed, "exact": exact})
    return render(
        request, "dir_asset.html", user, asset=asset, events=events, selected=selected, extra=extra,
        counts=_counts(extra), cells=cells, total_files=len(files) if store_visible else None,
        hidden=max(len(paths) - GRID_LIMIT, 0), diff_rows=diff_rows, diff_total=sum(_counts(extra).values()),
        runs=runs, store_visible=store_visible, counts_of=_counts, extra_of=_extra,
    )  # fmt: skip
