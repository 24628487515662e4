"""ARCHITECTURE.md lists every package and module, in the order of the import-linter layers contract."""

from __future__ import annotations

import re

from support.paths import ROOT

DATA = {"__init__.py", "__main__.py", "py.typed", "schemas", "templates", "__pycache__"}


def _contract_layers() -> list[list[str]]:
    # read as text: tomllib is Python 3.11+, and the tests run on 3.10 too
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = re.search(r'type = "layers"\nlayers = \[\n(.*?)\n\]', text, re.S)
    assert block, "no layers contract in pyproject.toml"
    layers = re.findall(r'^\s*"([^"]+)"', block[1], re.M)
    return [[m.strip().removeprefix("promptops.") for m in layer.split("|")] for layer in layers]


def _documented_layers() -> list[list[str]]:
    rows = []
    for line in (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\| \d+ \| (.+?) \|", line)
        if match:
            rows.append(
                [name.removesuffix("/").removesuffix(".py") for name in re.findall(r"`([^`]+)`", match[1])]
            )
    return rows


def test_architecture_follows_the_layers_contract() -> None:
    assert _documented_layers() == _contract_layers()


def test_architecture_lists_every_module() -> None:
    documented = {name for row in _documented_layers() for name in row}
    present = {
        p.name.removesuffix(".py") for p in (ROOT / "src" / "promptops").iterdir() if p.name not in DATA
    }
    assert present == documented
