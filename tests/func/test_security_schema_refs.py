"""Security, class 1: JSON Schema `$ref` in promptops files never reads a file or fetches a URL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from promptops import load_prompt
from promptops.errors import InputError
from promptops.formats import validate_data
from support.fixtures import CLI
from support.tmpdir import TmpDir

SELF_CONTAINED = "only '#/...' references, e.g. '#/$defs/item'"


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    """A schema file outside the project whose text must never show up anywhere."""
    path = tmp_path / "outside" / "x.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"enum": ["CANARY-OUTSIDE-TEXT"]}), encoding="utf-8")
    return path


@pytest.fixture
def fetches() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server that records every request (none may arrive) and serves a schema."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            seen.append(self.path)
            raw = json.dumps({"enum": ["CANARY-FETCHED-TEXT"]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/schema+json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)  # fast shutdown
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def _prompt(root: Path, inputs: str, output: str = "{format: text}") -> None:
    text = f"""\
        name: evil
        version: 1.0.0
        model: openai/gpt-4o-mini-2024-07-18
        inputs: {inputs}
        output: {output}
        messages:
          - role: user
            content: "{{{{ x }}}}"
        """
    TmpDir(root).gen({"prompts/evil.yaml": text}, dedent=True)


@pytest.fixture
def project(cli: CLI, project_dir: Path) -> Path:
    assert cli("init").code == 0
    return project_dir


def _refs(canary: Path, url: str) -> list[tuple[str, str]]:
    """(inputs schema, key path of the bad reference): several shapes of outside reference."""
    return [
        (f'{{"$ref": "{canary.as_uri()}"}}', "inputs.$ref"),
        (f'{{"$ref": "{url}/schema.json"}}', "inputs.$ref"),
        ('{"$ref": "file:///etc/passwd"}', "inputs.$ref"),
        (
            f'{{type: object, properties: {{x: {{"$ref": "{canary.as_uri()}#/enum"}}}}}}',
            "inputs.properties.x.$ref",
        ),
        ('{type: object, properties: {x: {"$ref": "x.json"}}}', "inputs.properties.x.$ref"),
        (
            f'{{type: object, "$id": "{url}/", properties: {{x: {{"$ref": "other.json"}}}}}}',
            "inputs.properties.x.$ref",
        ),
        (
            f'{{type: object, properties: {{x: {{anyOf: [{{"$dynamicRef": "{url}/d.json"}}]}}}}}}',
            "inputs.properties.x.anyOf[0].$dynamicRef",
        ),
    ]


@pytest.mark.parametrize("index", range(7))
@pytest.mark.parametrize("command", ["render", "lint"])
def test_outside_refs_are_refused_in_inputs(
    cli: CLI, project: Path, canary: Path, fetches: tuple[str, list[str]], index: int, command: str
) -> None:
    url, seen = fetches
    inputs, key = _refs(canary, url)[index]
    _prompt(project, inputs)
    result = (
        cli(command, "evil", "--var", "x=1") if command == "render" else cli("lint", "--format", "github")
    )
    text = result.out + result.err
    assert result.code == (2 if command == "render" else 1), text
    if command == "render":
        assert f"error: prompts/evil.yaml:4: {key}: refers to " in text
    else:
        assert f"::error file=prompts/evil.yaml,line=4,title=PO001 schema::{key}: refers to " in text
    assert SELF_CONTAINED in text
    assert "CANARY" not in text and "root:" not in text and "Traceback" not in text
    assert seen == []
    if command == "render":
        assert result.out == "" and result.err.count("\n") == 1, result.err


def test_outside_ref_in_output_schema_is_refused(
    cli: CLI, project: Path, canary: Path, fetches: tuple[str, list[str]]
) -> None:
    url, seen = fetches
    _prompt(project, "{type: object}", f'{{format: json, schema: {{"$ref": "{url}/out.json"}}}}')
    result = cli("render", "evil", "--var", "x=1")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f'error: prompts/evil.yaml:5: output.schema.$ref: refers to "{url}/out.json" outside this schema; '
        f"schemas must be self-contained ({SELF_CONTAINED})\n"
    )
    assert seen == []


def test_the_sdk_refuses_too(project: Path, canary: Path, fetches: tuple[str, list[str]]) -> None:
    url, seen = fetches
    _prompt(project, f'{{"$ref": "{url}/s.json"}}')
    with pytest.raises(InputError) as caught:
        load_prompt("evil", root=project).render(x="1")
    assert "inputs.$ref: refers to" in str(caught.value)
    assert seen == []


def test_local_refs_still_work(cli: CLI, project: Path) -> None:
    _prompt(
        project,
        '{type: object, "$defs": {s: {type: string, minLength: 2}}, '
        'properties: {x: {"$ref": "#/$defs/s"}}, required: [x]}',
    )
    assert cli("render", "evil", "--var", "x=ab").code == 0
    result = cli("render", "evil", "--var", "x=a")
    assert (result.code, result.err.splitlines()[0]) == (2, "error: variable 'x' of evil: 'a' is too short")


def test_validate_data_refuses_outside_refs_and_never_retrieves(
    canary: Path, fetches: tuple[str, list[str]]
) -> None:
    url, seen = fetches
    for rules in ({"$ref": canary.as_uri()}, {"items": {"$ref": f"{url}/a.json"}}):
        with pytest.raises(InputError, match=r"refers to .* outside this schema"):
            validate_data([1], rules, file="suite.yaml")
    with pytest.raises(InputError, match="cannot resolve reference"):
        validate_data(1, {"$ref": "#/$defs/missing"}, file="suite.yaml")
    assert seen == []


def test_a_suite_scorer_schema_with_an_outside_ref_is_a_located_error(
    cli: CLI, project: Path, canary: Path, fetches: tuple[str, list[str]]
) -> None:
    url, seen = fetches
    for ref in (canary.as_uri(), f"{url}/s.json"):
        (project / "evals" / "evil.yaml").write_text(
            "prompt: order-id\ncases: [{id: a, vars: {message: hi}}]\n"
            f'scorers:\n  - {{type: json_schema, schema: {{"$ref": "{ref}"}}}}\n',
            encoding="utf-8",
        )
        result = cli("eval", "evil")
        shown = ref if len(ref) <= 80 else ref[:79] + "…"
        assert (result.code, result.out) == (2, "")
        assert result.err == (
            f'error: evals/evil.yaml:4: scorers[0].schema: $ref: refers to "{shown}" outside this schema; '
            f"schemas must be self-contained ({SELF_CONTAINED})\n"
        )
    assert seen == []
