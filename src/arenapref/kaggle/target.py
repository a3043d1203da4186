"""The Python and platform a kit is built for, as pip's --python-version/--platform/--abi options."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

#: Kaggle's notebook image: CPython 3.11 on Ubuntu 22.04 (glibc 2.35), x86-64.
KAGGLE_PYTHON = "3.11"
KAGGLE_PLATFORM = "manylinux_2_35_x86_64"
_MANYLINUX = re.compile(r"^manylinux_(\d+)_(\d+)_(\w+)$")
_LEGACY = {"manylinux2014": (2, 17), "manylinux2010": (2, 12), "manylinux1": (2, 5)}


@dataclass(frozen=True)
class Target:
    """CPython `python` (e.g. "3.11") on the given platform tags (most specific first)."""

    python: str
    platforms: tuple[str, ...]

    @property
    def abi(self) -> str:
        return "cp" + self.python.replace(".", "")

    @property
    def machine(self) -> str:
        """platform_machine of the first platform tag (x86_64 when it names none)."""
        match = re.search(r"(x86_64|aarch64|i686|ppc64le|s390x|armv7l)$", self.platforms[0] if self.platforms else "")
        return match.group(1) if match else "x86_64"

    def pip_options(self) -> list[str]:
        """pip download/install options that pick wheels for this target and refuse source builds."""
        options = ["--only-binary=:all:", "--python-version", self.python, "--implementation", "cp"]
        for abi in (self.abi, "abi3", "none"):
            options += ["--abi", abi]
        for platform in self.platforms:
            options += ["--platform", platform]
        return options

    def matches_interpreter(self) -> bool:
        """Whether the running interpreter is this target's Python (the check builds its venv with it)."""
        return f"{sys.version_info.major}.{sys.version_info.minor}" == self.python


def make_target(python: str = KAGGLE_PYTHON, platforms: list[str] | None = None) -> Target:
    """A Target; each manylinux_2_N_ARCH tag also admits the older manylinux tags of ARCH (pip does not)."""
    if not re.fullmatch(r"3\.\d{1,2}", python):
        raise ValueError(f"--python expects a CPython version such as 3.11, got {python!r}")
    tags: list[str] = []
    for platform in platforms or [KAGGLE_PLATFORM]:
        for tag in expand_platform(platform):
            if tag not in tags:
                tags.append(tag)
    return Target(python, tuple(tags))


def expand_platform(platform: str) -> list[str]:
    """manylinux_2_35_x86_64 -> itself and every older manylinux tag for x86_64; any other tag as given."""
    match = _MANYLINUX.match(platform)
    if not match or match.group(1) != "2":
        return [platform]
    newest, arch = int(match.group(2)), match.group(3)
    tags = [f"manylinux_2_{minor}_{arch}" for minor in range(newest, 4, -1)]
    for legacy, (_, minor) in _LEGACY.items():
        if minor <= newest:
            tags.insert(tags.index(f"manylinux_2_{minor}_{arch}") + 1, f"{legacy}_{arch}")
    return tags
