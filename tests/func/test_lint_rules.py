"""Rule behaviour from YAML case files (tests/fixtures/lint_rules/PO*.yaml), sqlfluff style.

A case has `pass:` or `fail:` (the text of one prompt file at `path`, default prompts/example.yaml)
or `files:` (several files, promptops.yaml included); a failing case lists its exact `findings`.
A case with `git:` first commits `git.base` (files) and creates the tags in `git.tags`, then writes the
case's files over it and lints with `--base HEAD` (the version rules PO101-PO103).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from promptops.prompts import lint
from support.paths import TESTS
from support.tmpdir import TmpDir

CASES_DIR = TESTS / "fixtures" / "lint_rules"
DEFAULT_PATH = "prompts/example.yaml"


def _load_cases() -> list[Any]:
    params = []
    for case_file in sorted(CASES_DIR.glob("*.yaml")):
        spec = yaml.safe_load(case_file.read_text("utf-8"))
        for case in spec["cases"]:
            params.append(pytest.param(spec["rule"], case, id=f"{spec['rule']}-{case['name']}"))
    return params


def _rule(code: str) -> lint.Rule:
    return next(r for r in lint.RULES if r.code == code)


def _write(root: Path, case: dict[str, Any]) -> dict[str, str]:
    files: dict[str, str] = dict(case.get("files") or {})
    if "pass" in case or "fail" in case:
        files[case.get("path", DEFAULT_PATH)] = case.get("pass", case.get("fail"))
    files.setdefault("promptops.yaml", "version: 1\n")
    TmpDir(root).gen(files)
    return files


def _commit_base(root: Path, git: dict[str, Any]) -> None:
    def run(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, timeout=60)

    run("init", "-q", "-b", "main")
    _write(root, {"files": git["base"]})
    run("add", "-A")
    run("commit", "-q", "-m", "base")
    for tag in git.get("tags", []):
        run("tag", "-a", tag, "-m", tag)


@pytest.mark.parametrize(("code", "case"), _load_cases())
def test_rule_case(code: str, case: dict[str, Any], tmp_path: Path) -> None:
    if "git" in case:
        _commit_base(tmp_path, case["git"])
    _write(tmp_path, case)
    project, config_findings = lint.load_project(tmp_path)
    report = lint.lint(project, (), config_findings, base="HEAD" if "git" in case else None)
    rule = _rule(code)
    got = [(f.file, f.line, f.severity, f.slug, f.message, f.hint) for f in report.findings if f.code == code]
    expected_file = case.get("path", DEFAULT_PATH)
    want = [
        (
            item.get("file", expected_file),
            item["line"],
            item.get("severity", rule.severity),
            rule.slug,
            item["message"],
            item.get("hint"),
        )
        for item in case.get("findings", [])
    ]
    if "pass" in case or ("files" in case and "findings" not in case):
        assert want == [], "a passing case lists no findings"
    else:
        assert want, "a failing case lists its findings"
    assert got == want


def test_every_rule_has_pass_and_fail_cases() -> None:
    for rule in lint.RULES:
        case_file = CASES_DIR / f"{rule.code}.yaml"
        assert case_file.is_file(), f"no case file for {rule.code}"
        spec = yaml.safe_load(case_file.read_text("utf-8"))
        assert spec["rule"] == rule.code
        kinds = {("fail" if "findings" in c else "pass") for c in spec["cases"]}
        assert kinds == {"pass", "fail"}, rule.code


def test_rule_codes_and_slugs_are_unique_and_stable() -> None:
    assert [(r.code, r.slug, r.severity) for r in lint.RULES] == [
        ("PO001", "schema", "error"),
        ("PO002", "template-syntax", "error"),
        ("PO003", "undeclared-variable", "error"),
        ("PO004", "unused-input", "warning"),
        ("PO005", "name-mismatch", "error"),
        ("PO006", "duplicate-name", "error"),
        ("PO007", "floating-model", "error"),
        ("PO008", "secret", "error"),
        ("PO009", "invalid-example", "error"),
        ("PO010", "unsafe-template", "error"),
        ("PO011", "strict-schema", "error"),
        ("PO012", "model-capability", "error"),
        ("PO101", "version-bump-insufficient", "error"),
        ("PO102", "version-decreased", "error"),
        ("PO103", "tagged-version-changed", "error"),
    ]
