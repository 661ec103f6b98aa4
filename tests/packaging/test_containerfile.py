"""deploy/oci/Containerfile, read without building (a build takes about half an hour here and
needs a container runtime): every instruction is one the format has, what it copies exists in
the repository, and the image runs Visio as a non-root user with a health check on /readyz.

The image was built and run with podman (see docs/deployment.md); this guards the file between
such builds.
"""

from __future__ import annotations

import json
import re

from tests.support import ROOT

CONTAINERFILE = ROOT / "deploy" / "oci" / "Containerfile"
INSTRUCTIONS = {
    "FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
    "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
}  # fmt: skip


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    joined: list[str] = []
    pending = ""
    for line in CONTAINERFILE.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            joined.append(pending.strip())
            pending = ""
    assert not pending, "the file ends in a line continuation"
    return [(line.split(" ", 1)[0], line.split(" ", 1)[1]) for line in joined]


def test_every_instruction_is_known() -> None:
    assert {name for name, _ in instructions()} <= INSTRUCTIONS


def test_copied_files_exist_in_the_repository() -> None:
    """What COPY takes from the build context is in the repository (a rename breaks the build)."""
    for name, arguments in instructions():
        if name != "COPY" or arguments.startswith("--from="):
            continue
        *sources, _ = arguments.split()
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: not in the repository"


def test_image_runs_visio_as_a_user_with_a_readiness_health_check() -> None:
    """The last stage switches to a non-root user before its command, exposes Visio's port and
    checks /readyz; the command is `visio serve`."""
    steps = instructions()
    last_stage = steps[max(i for i, (name, _) in enumerate(steps) if name == "FROM") :]
    users = [arguments for name, arguments in last_stage if name == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert ("EXPOSE", "8000/tcp") in last_stage
    health = next(arguments for name, arguments in last_stage if name == "HEALTHCHECK")
    assert "/readyz" in health and re.search(r"--start-period=\d+s", health)
    command = next(arguments for name, arguments in last_stage if name == "CMD")
    assert json.loads(command) == ["visio", "serve"]


def test_runtime_packages_match_what_setup_installs() -> None:
    """The image installs the runtime Debian packages scripts/setup installs (bar the build
    tools and the TURN server, which runs on its own)."""
    setup = (ROOT / "scripts" / "setup").read_text()
    wanted = re.search(r"^packages=\(([^)]*)\)", setup, re.MULTILINE)
    assert wanted is not None
    runtime = set(wanted.group(1).split()) - {"coturn", "python3-dev"}
    installed = " ".join(arguments for name, arguments in instructions() if name == "RUN")
    assert all(f" {package} " in f" {installed} " for package in runtime), runtime
