"""Security, class 2: every render (CLI, eval, SDK) is bounded in output, memory and work."""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import pytest

from promptops import load_prompt
from promptops.errors import TemplateError
from promptops.prompts.render import render_text
from support.evalproject import write_project
from support.fixtures import CLI
from support.openai_server import FakeOpenAI
from support.tmpdir import TmpDir

REFUSED = "refused unsafe template code: "
VALUE = "would build a value of more than 1000000 characters or items"
STEPS = "more than 200000 loop steps, calls and filters in one render"
CPU = "rendering takes more than 1.0 s of CPU time"
DIGITS = "numbers may have at most 4300 digits"
CPU_OR_STEPS = f"{CPU}|{STEPS}"  # which budget runs out first depends on the machine

PAYLOADS = [
    (
        "{% for a in 'x'*100000 %}{{ 'y'*100000 }}{% endfor %}",
        "the output would be longer than 1000000 characters",
    ),
    ("{{ (['a'*100000]*100000)|join }}", VALUE),
    ("{{ (['a'*1000]*1000)|join('b'*10000) }}", VALUE),
    ("{{ ('a'*100000).replace('a', 'a'*100000) }}", VALUE),
    ("{{ ('a'*100000)|replace('a', 'bb'*50000) }}", VALUE),
    ("{{ ('a'*1000)|replace('', 'b'*10000) }}", VALUE),
    (
        "{% set ns = namespace(s='x'*1000) %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
        VALUE,
    ),
    (
        "{% set ns = namespace(s='x'*1000) %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
        VALUE,
    ),
    (
        "{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}{% endfor %}",
        VALUE,
    ),
    ("{% set s = 'x'*100000 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}", CPU_OR_STEPS),
    ("{% for i in range(1000000) %}{% endfor %}", CPU_OR_STEPS),
    (
        "{% macro f(n) %}{% if n > 0 %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(40) }}",
        CPU_OR_STEPS,
    ),
    ("{{ ((9**1000)**1000)**1000 }}", DIGITS),
    ("{% set ns = namespace(n=2) %}{% for i in range(30) %}{% set ns.n = ns.n * ns.n %}{% endfor %}", DIGITS),
    (
        "{% set x %}{% for i in range(100000) %}{{ 'y'*100000 }}{% endfor %}{% endset %}{{ x|length }}",
        "builds more than 8000000 characters and items in one render",
    ),
    ("{{ ('x'*100000)|wordwrap(1, wrapstring='y'*100000) }}", "wordwrap would make more than 10000 lines"),
    ("{{ ('x'*100000)|wordwrap(50, wrapstring='y'*1000) }}", VALUE),
    ("{{ ('\\n'*100000)|indent(100000) }}", VALUE),
    ("{{ ('\\t'*100000).expandtabs(100000) }}", VALUE),
    ("{{ '{0}{0}{0}{0}{0}{0}{0}{0}{0}{0}{0}{0}'.format('x'*100000) }}", VALUE),
    ("{{ '%s%s%s%s%s%s%s%s%s%s%s' % (('x'*100000),)*11 }}", VALUE),
    ("{{ [1]|batch(100000, 'x'*100000)|list }}", VALUE),
    ("{{ lipsum(1000, max=1000) }}", "lipsum is limited to 10000 words"),
    ("{{ ('a'*99999)|wordwrap(1) }}", "wordwrap would make more than 10000 lines"),
    ("{{ range(100000)|slice(100000)|list }}", "slice would cut more than 10000 pieces"),
    ("{% set a = 'x'*100000 %}{% set b = [a,a,a,a,a,a,a,a,a,a,a] %}{{ b }}", VALUE),
    (
        "{% macro m() %}{% for i in range(100) %}{{ 'x'*100000 }}{% endfor %}{% endmacro %}{{ m() }}",
        "builds more than 8000000 characters and items in one render",
    ),
    (
        "{% filter upper %}{% for i in range(100) %}{{ 'x'*100000 }}{% endfor %}{% endfilter %}",
        "builds more than 8000000 characters and items in one render",
    ),
    ("{{ range(100000)|map('string')|join('x'*100000) }}", CPU_OR_STEPS),
]


def _prompt(root: Path, template: str, name: str = "evil") -> None:
    TmpDir(root).gen(
        {
            f"prompts/{name}.yaml": f"name: {name}\nversion: 1.0.0\nmodel: openai/gpt-4o-mini-2024-07-18\n"
            f"messages:\n  - role: user\n    content: {json.dumps(template)}\n"
        }
    )


@pytest.fixture
def project(cli: CLI, project_dir: Path) -> Path:
    assert cli("init").code == 0
    return project_dir


@pytest.mark.parametrize(("template", "message"), PAYLOADS)
def test_render_refuses_exhaustion_quickly_in_little_memory(
    cli: CLI, project: Path, template: str, message: str
) -> None:
    _prompt(project, template)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = cli("render", "evil")
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    elapsed = time.perf_counter() - started
    assert (result.code, result.out) == (2, "")
    assert result.err in {
        f"error: prompts/evil.yaml:6: {REFUSED}{one}\nhint: templates may not reach Python internals\n"
        for one in message.split("|")
    }, result.err
    assert elapsed < 5  # generous: the refusals take milliseconds, the CPU budget is 1 s
    assert peak < 64_000_000


@pytest.mark.parametrize(("template", "message"), PAYLOADS[::4])
def test_the_sdk_refuses_the_same(project: Path, template: str, message: str) -> None:
    _prompt(project, template)
    with pytest.raises(TemplateError) as caught:
        load_prompt("evil", root=project).render()
    assert caught.value.message in {f"prompts/evil.yaml:6: {REFUSED}{one}" for one in message.split("|")}


def test_eval_refuses_a_template_that_exhausts_the_budget(
    cli: CLI, project_dir: Path, openai_server: FakeOpenAI
) -> None:
    write_project(project_dir, count=2)
    bomb = "{% for a in 'x'*100000 %}{{ 'y'*100000 }}{% endfor %}{{ message }}"
    prompt = project_dir / "prompts" / "order-id.yaml"
    prompt.write_text(
        prompt.read_text(encoding="utf-8").replace('"Message: {{ message }}"', json.dumps(bomb)),
        encoding="utf-8",
    )
    started = time.perf_counter()
    result = cli("eval", "order-id")
    assert time.perf_counter() - started < 10
    assert result.code == 2, result.err
    assert "prompts/order-id.yaml" in result.err
    assert f"{REFUSED}the output would be longer than 1000000 characters" in result.err
    assert "Traceback" not in result.err
    assert openai_server.count == 0


def test_scorer_templates_are_bounded_too() -> None:
    with pytest.raises(TemplateError, match="scorer s: refused unsafe template code: would build a value"):
        render_text("{{ [expected] * 100000 }}", {"expected": "x" * 100}, "scorer s")


def test_ordinary_templates_are_untouched(cli: CLI, project: Path) -> None:
    _prompt(
        project,
        "{% for item in ['p', 'q'] %}{{ loop.index }}/{{ loop.length }} {{ item|upper }}"
        "{{ ', ' if not loop.last }}{% else %}none{% endfor %}|{{ 'ab' ~ 'cd' }}|"
        "{{ ['x', 'y']|join('-') }}|{{ 'a-b'.replace('-', '+') }}|{{ 2 ** 64 }}",
    )
    result = cli("render", "evil")
    assert result.code == 0, result.err
    assert result.out == "--- user ---\n1/2 P, 2/2 Q|abcd|x-y|a+b|18446744073709551616\n"
    many = "{% for i in range(50000) %}{{ i % 10 }}{% endfor %}"
    assert len(render_text(many, {}, "t")) == 50000
    assert (
        render_text(
            "{% for i in range(3) %}{% endfor %}empty{% for x in [] %}{% else %}!{% endfor %}", {}, "t"
        )
        == "empty!"
    )


def test_all_messages_of_a_prompt_share_one_budget(cli: CLI, project: Path) -> None:
    big = json.dumps("{% for i in range(10) %}{{ 'y' * 10000 }}{% endfor %}")  # 100,000 characters each
    messages = "".join(f"  - role: user\n    content: {big}\n" for _ in range(20))
    (project / "prompts" / "many.yaml").write_text(
        f"name: many\nversion: 1.0.0\nmodel: openai/gpt-4o-mini-2024-07-18\nmessages:\n{messages}",
        encoding="utf-8",
    )
    result = cli("render", "many")
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith("error: prompts/many.yaml:")
    assert f"{REFUSED}the output would be longer than 1000000 characters" in result.err
    assert render_text(json.loads(big), {}, "t") == "y" * 100_000  # one message alone is fine


@pytest.mark.parametrize(
    "template",
    [
        "{{ %s|string }}",
        "{{ %s|tojson }}",
        "{{ %s }}",
        "{{ (%s)|join }}",
        "{{ '%%s' %% (%s,) }}",
        "{{ '{}'.format(%s) }}",
        "{{ 'x'.join(%s) }}",
        "{{ %s ~ '' }}",
    ],
)
def test_many_references_to_one_long_value_are_sized_before_they_become_text(template: str) -> None:
    many = "[" + ",".join(["v"] * 1000) + "]"
    tracemalloc.start()
    try:
        with pytest.raises(TemplateError, match=f"{REFUSED}would build a value of more than 1000000"):
            render_text(template % many, {"v": "x" * 999_000}, "t")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32_000_000


@pytest.mark.parametrize(
    "template",
    [
        "{{ '%*d' % (100000000, 1) }}",
        "{{ '{:{}}'.format(1, 100000000) }}",
        "{{ '%.*f'|format(99999999, 1.0) }}",
        "{{ '{:{w}}'.format(1, w=99999999) }}",
    ],
)
def test_widths_taken_from_arguments_are_refused_before_formatting(template: str) -> None:
    with pytest.raises(
        TemplateError, match=f"{REFUSED}width 9+9? is larger than 100000|{REFUSED}width 100000000"
    ):
        render_text(template, {}, "t")
    assert render_text("{{ '%*d|{:{}}' % (3, 1) }}", {}, "t") == "  1|{:{}}"
    assert render_text("{{ docs|length }}", {"docs": ["x" * 600_000] * 3}, "t") == "3"
