"""`promptops render`: golden output, variables from examples, files and flags, errors, the sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.fixtures import CLI
from support.golden import check_golden
from support.tmpdir import TmpDir

HINT = "hint: see `inputs` in prompts/order-id.yaml\n"


@pytest.fixture
def initialized(cli: CLI, project_dir: Path) -> Path:
    assert cli("init").code == 0
    return project_dir


def write_prompt(root: Path, name: str, body: str) -> None:
    TmpDir(root).gen({f"prompts/{name}.yaml": body}, dedent=True)


def test_example_renders_text_golden(cli: CLI, initialized: Path) -> None:
    result = cli("render", "order-id", "--example", "0")
    assert (result.code, result.err) == (0, "")
    check_golden("render/order-id.example0.text", result.out)


def test_example_renders_json_golden(cli: CLI, initialized: Path) -> None:
    result = cli("render", "order-id", "--example", "1", "--format", "json")
    assert (result.code, result.err) == (0, "")
    check_golden("render/order-id.example1.json", result.out)
    data = json.loads(result.out)
    assert data["variables"] == {"message": "I want to return the shoes from order ORD-77001."}
    assert data["messages"][-1] == {
        "role": "user",
        "content": "Message: I want to return the shoes from order ORD-77001.",
    }


def test_var_overrides_vars_file_overrides_example(cli: CLI, initialized: Path) -> None:
    (initialized / "vars.json").write_text('{"message": "from file"}', encoding="utf-8")
    result = cli("render", "order-id", "--example", "0", "--vars-file", "vars.json", "--format", "json")
    assert json.loads(result.out)["variables"] == {"message": "from file"}
    result = cli("render", "order-id", "--vars-file", "vars.json", "--var", "message=a=b", "--format", "json")
    assert json.loads(result.out)["variables"] == {"message": "a=b"}
    (initialized / "vars.yaml").write_text("message: |\n  two\n  lines\n", encoding="utf-8")
    result = cli("render", "order-id", "--vars-file", "vars.yaml")
    assert result.code == 0
    assert result.out.endswith("--- user ---\nMessage: two\nlines\n")


@pytest.mark.parametrize(
    ("args", "err"),
    [
        (["order-id"], "error: variable 'message' is required by order-id\n" + HINT),
        (
            ["order-id", "--var", "message="],
            "error: variable 'message' of order-id: '' should be non-empty\n" + HINT,
        ),
        (
            ["order-id", "--var", "message=hi", "--var", "mesage=x"],
            "error: unknown variable 'mesage' for order-id (expected: message)\n" + HINT,
        ),
        (["order-id", "--var", "message"], "error: --var 'message': expected NAME=VALUE\n"),
        (["order-id", "--var", "=x"], "error: --var '=x': empty variable name\n"),
        (["order-id", "--example", "5"], "error: --example 5: order-id has 2 example(s)\nhint: use 0 to 1\n"),
        (["order-id", "--format", "yaml"], "error: --format 'yaml': expected text or json\n"),
        (["order-id", "--vars-file", "nope.json"], "error: nope.json: no such file\n"),
        (
            ["nope"],
            "error: unknown prompt 'nope' (known: order-id)\nhint: expected a file at prompts/nope.yaml\n",
        ),
        (
            ["../promptops"],
            "error: invalid prompt name '../promptops'\n"
            "hint: names are lowercase path segments below prompts/, e.g. order-id or support/triage\n",
        ),
    ],
)
def test_bad_variables_and_flags_exit_2(cli: CLI, initialized: Path, args: list[str], err: str) -> None:
    result = cli("render", *args)
    assert (result.code, result.out, result.err) == (2, "", err)


def test_vars_file_must_be_a_mapping(cli: CLI, initialized: Path) -> None:
    (initialized / "vars.yaml").write_text("- a\n- b\n", encoding="utf-8")
    result = cli("render", "order-id", "--vars-file", "vars.yaml")
    assert (result.code, result.err) == (
        2,
        "error: vars.yaml: expected a mapping of variable names to values\n",
    )


def test_typed_inputs_parse_command_line_values(cli: CLI, initialized: Path) -> None:
    write_prompt(
        initialized,
        "count",
        """\
        name: count
        version: 1.0.0
        model: openai/gpt-4o-mini-2024-07-18
        inputs:
          type: object
          required: [n, items]
          properties:
            n: {type: integer, maximum: 10}
            items: {type: array, items: {type: string}}
        messages:
          - {role: user, content: "{{ n + 1 }} {{ items | join(',') }}"}
        """,
    )
    result = cli("render", "count", "--var", "n=3", "--var", 'items=["a", "b"]')
    assert (result.code, result.out) == (0, "--- user ---\n4 a,b\n")
    result = cli("render", "count", "--var", "n=three", "--var", "items=[]")
    assert (result.code, result.err) == (
        2,
        "error: variable 'n' of count: expected an integer, got a string\nhint: see `inputs` in prompts/count.yaml\n",
    )
    result = cli("render", "count", "--var", "n=11", "--var", "items=[1]")
    assert result.code == 2
    assert result.err == (
        "error: variable 'items[0]' of count: expected a string, got an integer\n"
        "error: variable 'n' of count: 11 is greater than the maximum of 10\n"
        "hint: see `inputs` in prompts/count.yaml\n"
    )


def test_without_inputs_undefined_and_unknown_variables_are_named(cli: CLI, initialized: Path) -> None:
    write_prompt(
        initialized,
        "free",
        """\
        name: free
        version: 1.0.0
        model: openai/gpt-4o-mini-2024-07-18
        messages:
          - role: user
            content: |
              Hello {{ who }}
        """,
    )
    result = cli("render", "free")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "error: prompts/free.yaml:7: 'who' is undefined\n"
        "hint: pass it with --var NAME=VALUE or declare it in `inputs`\n"
    )
    result = cli("render", "free", "--var", "who=x", "--var", "whom=y")
    assert (
        result.err
        == "error: unknown variable 'whom' for free (expected: who)\nhint: see `inputs` in prompts/free.yaml\n"
    )
    assert cli("render", "free", "--var", "who=world").out == "--- user ---\nHello world\n"


def test_template_syntax_error_names_the_file_line(cli: CLI, initialized: Path) -> None:
    write_prompt(
        initialized,
        "bad",
        """\
        name: bad
        version: 1.0.0
        model: openai/gpt-4o-mini-2024-07-18
        messages:
          - role: user
            content: |
              one
              two {% if %}
        """,
    )
    result = cli("render", "bad")
    assert (result.code, result.err) == (
        2,
        "error: prompts/bad.yaml:8: template syntax error: Expected an expression, got 'end of statement block'\n",
    )


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ ''.__class__.__mro__ }}", "access to attribute '__class__' of 'str' object is unsafe."),
        ("{{ cycler.__init__.__globals__ }}", "access to attribute '__init__' of 'type' object is unsafe."),
        (
            "{{ lipsum.__globals__['os'] }}",
            "access to attribute '__globals__' of 'function' object is unsafe.",
        ),
        ("{{ 'x' * 1000000 }}", "repetition would build more than 100000 items"),
        ("{{ 9 ** 99999999 }}", "exponent larger than 1000"),
        ("{{ 'x'.ljust(999999999) }}", "width 999999999 is larger than 100000"),
        ("{{ 'x'|center(999999999) }}", "width 999999999 is larger than 100000"),
        ("{{ '%999999999d' % 1 }}", "format width or precision larger than 100000"),
        ("{{ '{:>999999999}'.format(1) }}", "format width or precision larger than 100000"),
        ("{{ '%.9999999f'|format(1) }}", "format width or precision larger than 100000"),
        ("{{ lipsum(50000) }}", "lipsum is limited to 1000 paragraphs and words"),
        (
            "{{ range(999999)|length + range(999999)|length }}",
            "loops over more than 1000000 items in one render",
        ),
        (
            "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}",
            "more than 200000 loop steps, calls and filters in one render",
        ),
    ],
)
def test_sandbox_refuses_internals_and_exhaustion(
    cli: CLI, initialized: Path, template: str, message: str
) -> None:
    write_prompt(
        initialized,
        "evil",
        f"""\
        name: evil
        version: 1.0.0
        model: openai/gpt-4o-mini-2024-07-18
        messages:
          - role: user
            content: "{template}"
        """,
    )
    result = cli("render", "evil")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"error: prompts/evil.yaml:6: refused unsafe template code: {message}\n"
        "hint: templates may not reach Python internals\n"
    )


def test_sandbox_limits_leave_ordinary_templates_alone(cli: CLI, initialized: Path) -> None:
    write_prompt(
        initialized,
        "ok",
        """\
        name: ok
        version: 1.0.0
        model: openai/gpt-4o-mini-2024-07-18
        messages:
          - role: user
            content: "{% for i in range(3) %}{{ '%5.1f'|format(i) }}|{{ 'ab'.center(6) }}|{{ 2 ** 10 * 'z'|length }}|{{ 250000 }}{% endfor %}"
        """,
    )
    first = cli("render", "ok")
    assert (first.code, first.err) == (0, "")
    assert first.out == "--- user ---\n" + "".join(f"{i:5.1f}|  ab  |1024|250000" for i in range(3)) + "\n"
    assert cli("render", "ok").out == first.out  # the loop budget is per render, not per process


def test_runaway_recursion_is_a_template_error(cli: CLI, initialized: Path) -> None:
    write_prompt(
        initialized,
        "loop",
        """\
        name: loop
        version: 1.0.0
        model: openai/gpt-4o-mini-2024-07-18
        messages:
          - {role: user, content: "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}"}
        """,
    )
    result = cli("render", "loop")
    assert (result.code, result.out) == (2, "")
    assert result.err == "error: prompts/loop.yaml:5: template is nested or recurses too deeply\n"
