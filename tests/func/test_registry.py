"""Selectors NAME, NAME@VERSION and NAME@REF on real repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from promptops.errors import InputError, RefError, UnknownPromptError
from promptops.project import Project
from promptops.prompts.registry import Registry, Selector, open_registry, parse_selector, tag_name
from support.fixtures import CLI, GitRepo
from support.promptfiles import CONFIG, prompt_yaml


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("order-id", Selector(name="order-id")),
        ("order-id@1.2.0", Selector(name="order-id", version="1.2.0")),
        ("order-id@1.2.0-rc.1", Selector(name="order-id", version="1.2.0-rc.1")),
        ("team/x@main", Selector(name="team/x", ref="main")),
        ("order-id@v1.2.0", Selector(name="order-id", ref="v1.2.0")),
        ("order-id@HEAD~2", Selector(name="order-id", ref="HEAD~2")),
        ("order-id@HEAD@{1}", Selector(name="order-id", ref="HEAD@{1}")),
    ],
)
def test_parse_selector(text: str, expected: Selector) -> None:
    assert parse_selector(text) == expected
    assert str(expected) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("@1.0.0", "'@1.0.0': expected NAME, NAME@VERSION or NAME@REF"),
        ("order-id@", "'order-id@': nothing after '@'"),
    ],
)
def test_bad_selector(text: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_selector(text)
    assert info.value.message == message


@pytest.fixture
def three_versions(git_repo: GitRepo) -> dict[str, str]:
    """order-id 1.0.0 (tagged), 1.1.0 (untagged, then a patch-free edit), 1.2.0 at HEAD."""
    shas = {
        "1.0.0": git_repo.commit({"promptops.yaml": CONFIG, "prompts/order-id.yaml": prompt_yaml()}, "v1")
    }
    git_repo.git("tag", "-a", "prompts/order-id/v1.0.0", "-m", "release")
    shas["1.1.0"] = git_repo.commit(
        {"prompts/order-id.yaml": prompt_yaml(version="1.1.0", system="Find the ID.")}, "v1.1"
    )
    git_repo.commit(
        {"prompts/order-id.yaml": prompt_yaml(version="1.1.0", system="Find the ID!")}, "v1.1 again"
    )
    shas["1.2.0"] = git_repo.commit(
        {"prompts/order-id.yaml": prompt_yaml(version="1.2.0", temperature=0.5)}, "v1.2"
    )
    return shas


def _registry(root: Path) -> Registry:
    return open_registry(Project.load(root))


def test_version_resolves_through_its_tag(git_repo: GitRepo, three_versions: dict[str, str]) -> None:
    git_repo.commit({"prompts/order-id.yaml": prompt_yaml(version="1.0.0", system="moved tag content")}, "x")
    git_repo.git("tag", "-f", "-a", "prompts/order-id/v1.0.0", "-m", "retag")  # the tag wins over history
    resolved = _registry(git_repo.root).resolve("order-id@1.0.0")
    assert resolved.spec.messages[0].content == "moved tag content"
    assert resolved.tag is not None and resolved.tag.name == "prompts/order-id/v1.0.0"
    assert resolved.spec.source == "prompts/order-id/v1.0.0:prompts/order-id.yaml"


def test_untagged_version_is_the_first_commit_carrying_it(
    git_repo: GitRepo, three_versions: dict[str, str]
) -> None:
    resolved = _registry(git_repo.root).resolve("order-id@1.1.0")
    assert resolved.sha == three_versions["1.1.0"]
    assert resolved.tag is None
    assert resolved.spec.messages[0].content == "Find the ID."
    assert resolved.spec.source == f"{three_versions['1.1.0'][:12]}:prompts/order-id.yaml"


def test_ref_and_working_tree(git_repo: GitRepo, three_versions: dict[str, str]) -> None:
    git_repo.write({"prompts/order-id.yaml": prompt_yaml(version="1.3.0")})
    registry = _registry(git_repo.root)
    assert registry.load("order-id").version == "1.3.0"
    assert registry.load("order-id@HEAD").version == "1.2.0"
    assert registry.load("order-id@HEAD~1").messages[0].content == "Find the ID!"
    assert registry.load(f"order-id@{three_versions['1.0.0'][:8]}").version == "1.0.0"


def test_versions_lists_each_version_once_oldest_first(
    git_repo: GitRepo, three_versions: dict[str, str]
) -> None:
    entries = _registry(git_repo.root).versions("order-id")
    assert [
        (e.version, e.revision.sha if e.revision else None, e.tag.name if e.tag else None) for e in entries
    ] == [
        ("1.0.0", three_versions["1.0.0"], "prompts/order-id/v1.0.0"),
        ("1.1.0", three_versions["1.1.0"], None),
        ("1.2.0", three_versions["1.2.0"], None),
    ]
    assert entries[0].revision is not None and entries[0].revision.subject == "v1"


def test_version_follows_a_renamed_file(git_repo: GitRepo, three_versions: dict[str, str]) -> None:
    git_repo.git("mv", "prompts/order-id.yaml", "prompts/order-ref.yaml")
    git_repo.commit({"prompts/order-ref.yaml": prompt_yaml(name="order-ref", version="2.0.0")}, "rename")
    registry = _registry(git_repo.root)
    assert [e.version for e in registry.versions("order-ref")] == ["1.0.0", "1.1.0", "1.2.0", "2.0.0"]
    assert registry.load("order-ref@1.1.0").name == "order-id"  # the content as it was


def test_unknown_version(git_repo: GitRepo, three_versions: dict[str, str]) -> None:
    with pytest.raises(UnknownPromptError) as info:
        _registry(git_repo.root).load("order-id@9.9.9")
    assert (
        info.value.message
        == "unknown version 9.9.9 of prompt 'order-id' (known versions: 1.0.0, 1.1.0, 1.2.0)"
    )
    assert info.value.hint == (
        "no tag prompts/order-id/v9.9.9 and no commit where prompts/order-id.yaml has version 9.9.9; "
        "if it was released elsewhere, run `git fetch --tags`"
    )


def test_unknown_prompt_at_ref(git_repo: GitRepo, three_versions: dict[str, str]) -> None:
    with pytest.raises(UnknownPromptError) as info:
        _registry(git_repo.root).load("nope@HEAD")
    assert info.value.message == "unknown prompt 'nope' at HEAD: no file prompts/nope.yaml there"
    assert info.value.hint == "prompts at HEAD: order-id"


def test_unknown_ref(git_repo: GitRepo, three_versions: dict[str, str]) -> None:
    with pytest.raises(RefError) as info:
        _registry(git_repo.root).load("order-id@no-such-branch")
    assert info.value.message == "unknown git ref 'no-such-branch'"


def test_tag_format_from_config(git_repo: GitRepo) -> None:
    git_repo.commit(
        {
            "promptops.yaml": 'version: 1\ntag_format: "{name}@{version}"\n',
            "prompts/order-id.yaml": prompt_yaml(version="3.0.0"),
        },
        "one",
    )
    git_repo.git("tag", "-a", "order-id@3.0.0", "-m", "r")
    registry = _registry(git_repo.root)
    assert tag_name(registry.project.config, "order-id", "3.0.0") == "order-id@3.0.0"
    entries = registry.versions("order-id")
    assert [(e.version, e.tag.name if e.tag else None) for e in entries] == [("3.0.0", "order-id@3.0.0")]


def test_render_cli_takes_selectors(cli: CLI, git_repo: GitRepo, three_versions: dict[str, str]) -> None:
    result = cli("render", "order-id@1.1.0", "--example", "0")
    assert (result.code, result.err) == (0, "")
    assert result.out == "--- system ---\nFind the ID.\n\n--- user ---\nMessage: Where is ORD-12345?\n"
    bad = cli("render", "order-id@7.0.0")
    assert bad.code == 2
    assert bad.err.startswith(
        "error: unknown version 7.0.0 of prompt 'order-id' (known versions: 1.0.0, 1.1.0, 1.2.0)\n"
    )
    assert "Traceback" not in bad.err


def test_shallow_clone_unknown_version_hints_full_fetch(
    cli: CLI,
    git_repo: GitRepo,
    three_versions: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "--no-tags", f"file://{git_repo.root}", str(clone)], check=True
    )
    monkeypatch.chdir(clone)
    result = cli("render", "order-id@1.1.0", "--example", "0")
    assert result.code == 2
    assert result.err == (
        "error: unknown version 1.1.0 of prompt 'order-id' (known versions: 1.2.0)\n"
        "hint: this is a shallow clone: fetch the full history with `git fetch --unshallow --tags` "
        "(GitHub Actions: `actions/checkout` with `fetch-depth: 0`)\n"
    )
