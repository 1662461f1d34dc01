"""pyproject.toml says which versions may be used, requirements.lock which ones are installed
(the README's commands and .ci/run install with `-c requirements.lock`): they must agree, or
an install gets versions nobody tested, or fails."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.test_readme import setup_commands

ROOT = Path(__file__).resolve().parents[1]
# Versioned by year, released for new time zone rules: a ceiling would keep new rules out.
NO_CEILING = {"tzdata"}
# The last release with a known advisory, and the first without (issue 18): never below.
FLOORS = {
    "aiohttp": ("3.14.2", "3.14.3"),  # GHSA-cq5v-8q36-5273
    "pillow": ("12.1.1", "12.2.0"),  # CVE-2026-40192
    "tqdm": ("4.66.2", "4.66.3"),  # CVE-2024-34062
}


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    return [Requirement(r) for r in [*project["dependencies"], *extras["test"]]]


def _locked() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, version = line.partition("==")
        assert version, f"not an exact pin: {line!r}"
        pins[canonicalize_name(name)] = Version(version)
    return pins


def test_every_dependency_is_locked_at_a_version_its_range_allows() -> None:
    locked = _locked()
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement.name} is not in requirements.lock"
        assert requirement.specifier.contains(locked[name]), (
            f"requirements.lock pins {requirement.name} {locked[name]}, "
            f"outside pyproject.toml's {requirement.specifier}"
        )


def test_every_dependency_has_a_ceiling_and_the_floors_pass_the_known_advisories() -> None:
    declared = {canonicalize_name(r.name): r for r in _declared()}
    for name, requirement in declared.items():
        ceilings = [s for s in requirement.specifier if s.operator in ("<", "<=", "~=", "==")]
        assert ceilings or name in NO_CEILING, f"{requirement} has no upper bound"
        floors = [s for s in requirement.specifier if s.operator in (">=", "~=", "==")]
        assert floors, f"{requirement} has no lower bound"
    for name, (vulnerable, fixed) in FLOORS.items():
        assert not declared[name].specifier.contains(vulnerable), declared[name]
        assert declared[name].specifier.contains(fixed), declared[name]


def test_the_readme_and_ci_install_with_the_lock() -> None:
    for command in setup_commands():  # the sandbox's and the tests' (the same as .ci/run)
        assert "pip install -c requirements.lock -e " in command
