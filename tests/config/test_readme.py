"""The README's first screen gives exactly the two commands a new user needs, and both exist."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _first_screen() -> str:
    return "\n".join((ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:25])


def test_first_screen_has_exactly_make_run_and_make_test():
    blocks = re.findall(r"```sh\n(.*?)```", _first_screen(), flags=re.S)
    assert blocks, "no shell block on the README's first screen"
    commands = [line.split("#")[0].strip() for line in blocks[0].splitlines() if line.split("#")[0].strip()]
    assert commands == ["make run", "make test"]


def test_both_commands_are_makefile_targets():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^run:", makefile, flags=re.M)
    assert re.search(r"^test:", makefile, flags=re.M)


def test_ci_runs_the_readme_commands():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
    assert "smoke-make-run.sh" in ci
    assert "make run" in (ROOT / "scripts" / "smoke-make-run.sh").read_text(encoding="utf-8")
