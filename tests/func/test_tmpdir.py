"""The project builder itself: gen writes files and nested directories, scm_gen commits them."""

from __future__ import annotations

from pathlib import Path

from support.tmpdir import TmpDir


def test_gen_writes_text_bytes_and_nested_directories(tmp_dir: TmpDir) -> None:
    written = tmp_dir.gen({"a.txt": "a\n", "raw.bin": b"\x00\x01", "prompts": {"team": {"b.yaml": "b: 1\n"}}})
    assert [p.relative_to(tmp_dir).as_posix() for p in written] == ["a.txt", "raw.bin", "prompts/team/b.yaml"]
    assert (tmp_dir / "prompts/team/b.yaml").read_text(encoding="utf-8") == "b: 1\n"
    assert (tmp_dir / "raw.bin").read_bytes() == b"\x00\x01"
    assert Path.cwd() == tmp_dir and isinstance(tmp_dir / "x", TmpDir)


def test_gen_dedents_when_asked(tmp_dir: TmpDir) -> None:
    tmp_dir.gen({"p.yaml": "\n    name: x\n    version: 1.0.0\n"}, dedent=True)
    assert (tmp_dir / "p.yaml").read_text(encoding="utf-8") == "\nname: x\nversion: 1.0.0\n"


def test_scm_gen_creates_the_repository_and_commits(tmp_dir: TmpDir) -> None:
    first = tmp_dir.scm_gen({"prompts/a.yaml": "v: 1\n"}, message="a 1")
    second = tmp_dir.scm_gen({"prompts/a.yaml": "v: 2\n"}, message="a 2")
    assert first != second
    assert tmp_dir.git("rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert tmp_dir.git("log", "--format=%s") == "a 2\na 1"
    assert tmp_dir.git("status", "--porcelain") == ""


def test_project_dir_is_the_same_builder(tmp_dir: TmpDir, project_dir: TmpDir) -> None:
    assert project_dir is tmp_dir
