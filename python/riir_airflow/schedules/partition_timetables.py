"""Partitioned schedules: CronPartitionTimetable (a cron schedule whose runs carry a partition key),
PartitionedAssetTimetable (runs per partition key of asset events, mapped by partition mappers) and
PartitionedAtRuntime (no schedule; tasks name the partitions they produce). Structure, summaries and serialization
as Airflow 3.3's."""

from __future__ import annotations

import datetime as dt
from typing import Any, NotRequired, TypedDict

from riir_airflow.schedules.partition_mappers import IdentityMapper, PartitionMapper, encode_partition_mapper
from riir_airflow.schedules.timetables import (
    BUILTIN_TIMETABLES,
    AssetTriggeredTimetable,
    CronTriggerTimetable,
    DagRunInfo,
    DataInterval,
    TimeRestriction,
    Timetable,
    _asset_from_expression,
    _decode_timezone,
    _TrivialTimetable,
)


class CronPartitionTimetable(CronTriggerTimetable):
    """Runs at each cron fire time; the run's partition date is `run_offset` cron intervals away from it (before
    when negative) and its partition key that date formatted with `key_format` in the timetable's zone."""

    partitioned = True

    def __init__(
        self,
        cron: str,
        *,
        timezone: Any,
        run_offset: int | None = None,
        run_immediately: bool | dt.timedelta = False,
        key_format: str = r"%Y-%m-%dT%H:%M:%S",
    ) -> None:
        if not isinstance(run_offset, int | None):
            raise ValueError("Run offset other than integer not supported yet.")
        super().__init__(cron, timezone=timezone, run_immediately=run_immediately)
        self.run_offset = run_offset
        self.key_format = key_format

    def serialize(self) -> dict[str, Any]:
        data = super().serialize()
        del data["interval"]
        return {**data, "run_offset": self.run_offset, "key_format": self.key_format}

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        run_immediately = data.get("run_immediately", False)
        if isinstance(run_immediately, float):
            run_immediately = dt.timedelta(seconds=run_immediately)
        offset = data.get("run_offset")
        return cls(
            data["expression"],
            timezone=_decode_timezone(data["timezone"]),
            run_offset=offset if isinstance(offset, int) else None,
            run_immediately=run_immediately,
            key_format=data["key_format"],
        )

    def next_dagrun_info(
        self, *, last_automated_data_interval: DataInterval | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        """The cron schedule's next run, with its partition date and key."""
        info = super().next_dagrun_info(
            last_automated_data_interval=last_automated_data_interval, restriction=restriction
        )
        if info is None:
            return None
        partition_date, partition_key = self.partition_info(info.run_after)
        return info._replace(partition_date=partition_date, partition_key=partition_key)

    def partition_info(self, run_after: dt.datetime) -> tuple[dt.datetime, str]:
        """(partition date, partition key) of the run scheduled at `run_after` (Airflow: _get_partition_info)."""
        import pendulum

        from riir_airflow._core import Cron
        from riir_airflow.schedules.timetables import from_us, to_us, zone_name

        offset = self.run_offset or 0
        moment = pendulum.instance(run_after)
        if offset:
            cron, zone = Cron(self._expression), zone_name(self._timezone)
            step = cron.next_in_zone if offset > 0 else cron.prev_in_zone
            moment = from_us(step(zone, to_us(moment), abs(offset))[-1])
        local = moment.in_timezone(self._timezone)
        return local, local.strftime(self.key_format)


class PartitionedAtRuntime(_TrivialTimetable):
    """Never scheduled: the tasks of a manual run declare the partition keys they produce."""

    can_be_scheduled = False
    partitioned_at_runtime = True
    description: str = "Never, partition key(s) set at runtime"

    @property
    def summary(self) -> str:
        return "PartitionedAtRuntime"

    def serialize(self) -> dict[str, Any]:
        return {}

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        return cls()

    def next_dagrun_info(
        self, *, last_automated_data_interval: DataInterval | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        return None


class PartitionedAssetTimetable(AssetTriggeredTimetable):
    """Runs per downstream partition key of its assets' events; `partition_mapper_config` maps an asset's keys,
    `default_partition_mapper` (identity) all others."""

    partitioned = True

    def __init__(
        self,
        *,
        assets: Any,
        partition_mapper_config: dict[Any, PartitionMapper] | None = None,
        default_partition_mapper: PartitionMapper | None = None,
    ) -> None:
        super().__init__(assets)
        self.partition_mapper_config = dict(partition_mapper_config or {})
        self.default_partition_mapper = default_partition_mapper or IdentityMapper()

    @property
    def summary(self) -> str:
        return "Partitioned Asset"

    def serialize(self) -> dict[str, Any]:
        return {
            **super().serialize(),
            "default_partition_mapper": encode_partition_mapper(self.default_partition_mapper),
            "partition_mapper_config": [
                (asset.as_expression(), encode_partition_mapper(mapper))
                for asset, mapper in self.partition_mapper_config.items()
            ],
        }

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        from riir_airflow.schedules.partition_mappers import decode_partition_mapper

        return cls(
            assets=_asset_from_expression(data["asset_condition"]),
            default_partition_mapper=decode_partition_mapper(data["default_partition_mapper"]),
            partition_mapper_config={
                _asset_from_expression(asset): decode_partition_mapper(mapper)
                for asset, mapper in data.get("partition_mapper_config", [])
            },
        )

    def mapper_for(self, asset: Any) -> PartitionMapper:
        """The mapper of an upstream asset's keys."""
        mapper: PartitionMapper = self.partition_mapper_config.get(asset, self.default_partition_mapper)
        return mapper


BUILTIN_TIMETABLES.update(
    {
        "airflow.timetables.trigger.CronPartitionTimetable": CronPartitionTimetable,
        "airflow.timetables.simple.PartitionedAtRuntime": PartitionedAtRuntime,
        "airflow.timetables.simple.PartitionedAssetTimetable": PartitionedAssetTimetable,
    }
)


class PartitionMapperInfo(TypedDict):
    """One asset's partition-mapper facts, as Airflow stores them for the UI."""

    is_rollup: bool
    name: NotRequired[str]
    uri: NotRequired[str]


def compute_rollup_fingerprint(timetable: Any) -> dict[str, Any]:
    """`{"name|uri": encoded mapper}` for every asset of a partitioned timetable, sorted ({} when not partitioned)."""
    if not getattr(timetable, "partitioned", False):
        return {}
    entries = {
        f"{asset.name}|{asset.uri}": encode_partition_mapper(timetable.mapper_for(asset))
        for asset in timetable.asset_condition.iter_assets()
    }
    return dict(sorted(entries.items()))
