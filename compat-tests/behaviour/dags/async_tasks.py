"""async def tasks (decorated) awaiting coroutines; their results flow through XCom like sync ones."""

import asyncio
import datetime

from airflow.sdk import dag, task


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def async_tasks():
    @task
    async def fetch(n: int) -> list:
        async def one(i: int) -> int:
            await asyncio.sleep(0.01)
            return i * i

        return list(await asyncio.gather(*(one(i) for i in range(n))))

    @task
    async def total(values: list) -> int:
        await asyncio.sleep(0)
        return sum(values)

    @task
    async def async_fails() -> None:
        await asyncio.sleep(0)
        raise RuntimeError("async failure")

    @task
    def sync_after(t: int) -> str:
        return f"total={t}"

    sync_after(total(fetch(4)))
    async_fails()


async_tasks()
