"""`GET /providers`: the provider distributions installed beside the broker, as `riir-airflow providers list` shows
them. Reading them runs provider code, so a child process does it (`riir_airflow.cli.provider_listing`) once per
broker process: as in Airflow, installing a provider takes a restart to show."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from fastapi import Depends, HTTPException, Request

from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import Page, requires
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.schemas import ProviderCollectionResponse

router = ApiRouter(dependencies=[Depends(requires(Role.VIEWER, Role.ADMIN))], tags=["Provider"])

LISTING_TIMEOUT = 120.0


@router.get("/providers", response_model=ProviderCollectionResponse)
async def get_providers(request: Request, page: Page) -> dict[str, Any]:
    providers = await _installed_providers(request)
    return {"providers": providers[page.offset : page.offset + page.limit], "total_entries": len(providers)}


async def _installed_providers(request: Request) -> list[dict[str, Any]]:
    state = request.app.state
    lock: asyncio.Lock = state.__dict__.setdefault("providers_lock", asyncio.Lock())
    async with lock:
        cached: list[dict[str, Any]] | None = getattr(state, "providers", None)
        if cached is None:
            cached = await _list_in_child()
            state.providers = cached
    return cached


async def _list_in_child() -> list[dict[str, Any]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "riir_airflow.cli.provider_listing",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(proc.communicate(), LISTING_TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise HTTPException(500, "Listing the installed providers timed out") from None
    if proc.returncode != 0:
        tail = " ".join(err.decode(errors="replace").strip().splitlines()[-3:])
        raise HTTPException(500, f"Listing the installed providers failed (exit {proc.returncode}): {tail}")
    rows: list[dict[str, Any]] = json.loads(out)
    return sorted(rows, key=lambda row: row["package_name"])
