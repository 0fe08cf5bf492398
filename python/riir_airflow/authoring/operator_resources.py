"""Resource requests an operator can declare (`resources=Resources(cpus=2)`); executors may read them."""

from __future__ import annotations

from typing import Any

from riir_airflow.config import conf

MB = 1
GB = 1024 * MB
TB = 1024 * GB
PB = 1024 * TB
EB = 1024 * PB


class Resource:
    """One resource requirement: a name, display units and a non-negative quantity."""

    def __init__(self, name: str, units_str: str, qty: float) -> None:
        if qty < 0:
            raise ValueError(
                f"Received resource quantity {qty} for resource {name}, but resource quantity must be non-negative."
            )
        self._name = name
        self._units_str = units_str
        self._qty = qty

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, self.__class__):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((self._name, self._units_str, self._qty))

    def __repr__(self) -> str:
        return str(self.__dict__)

    @property
    def name(self) -> str:
        return self._name

    @property
    def units_str(self) -> str:
        return self._units_str

    @property
    def qty(self) -> float:
        return self._qty

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "qty": self.qty, "units_str": self.units_str}


class CpuResource(Resource):
    def __init__(self, qty: float) -> None:
        super().__init__("CPU", "core(s)", qty)


class RamResource(Resource):
    def __init__(self, qty: float) -> None:
        super().__init__("RAM", "MB", qty)


class DiskResource(Resource):
    def __init__(self, qty: float) -> None:
        super().__init__("Disk", "MB", qty)


class GpuResource(Resource):
    def __init__(self, qty: float) -> None:
        super().__init__("GPU", "gpu(s)", qty)


def _default(key: str, fallback: int) -> int:
    return conf.getint("operators", key, fallback=fallback)


class Resources:
    """What an operator needs; unspecified amounts come from `[operators] default_cpus/ram/disk/gpus`."""

    def __init__(
        self, cpus: float | None = None, ram: float | None = None, disk: float | None = None, gpus: float | None = None
    ) -> None:
        self.cpus = CpuResource(cpus if cpus is not None else _default("default_cpus", 1))
        self.ram = RamResource(ram if ram is not None else _default("default_ram", 512))
        self.disk = DiskResource(disk if disk is not None else _default("default_disk", 512))
        self.gpus = GpuResource(gpus if gpus is not None else _default("default_gpus", 0))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, self.__class__):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((self.cpus, self.ram, self.disk, self.gpus))

    def __repr__(self) -> str:
        return str(self.__dict__)

    def to_dict(self) -> dict[str, Any]:
        return {"cpus": self.cpus.to_dict(), "ram": self.ram.to_dict(), "disk": self.disk.to_dict(),
                "gpus": self.gpus.to_dict()}  # fmt: skip

    @classmethod
    def from_dict(cls, resources: dict[str, Any]) -> Resources:
        return cls(cpus=resources["cpus"]["qty"], ram=resources["ram"]["qty"], disk=resources["disk"]["qty"],
                   gpus=resources["gpus"]["qty"])  # fmt: skip
