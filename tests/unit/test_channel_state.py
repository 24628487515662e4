"""The last good copy of a channel on disk: where it lives, what a partial copy loads as, atomic writes."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from promptops.channel import state


def test_default_dir_is_under_the_cache_home_keyed_by_channel_and_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    key = hashlib.sha256(b"https://x/ch\x00prod").hexdigest()[:16]
    assert state.default_dir("https://x/ch", "prod") == tmp_path / "cache" / "promptops" / "channels" / key
    assert state.default_dir("https://x/ch", "staging") != state.default_dir("https://x/ch", "prod")
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert (
        state.default_dir("https://x/ch", "prod")
        == tmp_path / "home" / ".cache" / "promptops" / "channels" / key
    )


def test_load_without_a_pointer_is_none_and_without_its_bundle_is_empty(tmp_path: Path) -> None:
    assert state.load(tmp_path, "prod", lambda _: "abc") is None
    state.pointer_file(tmp_path, "prod").write_bytes(b"POINTER")
    assert state.load(tmp_path, "prod", lambda _: None) == state.Saved(pointer=b"POINTER", bundle=b"")
    assert state.load(tmp_path, "prod", lambda _: "abc") == state.Saved(pointer=b"POINTER", bundle=b"")


def test_save_then_load_round_trips_and_keeps_each_env_apart(tmp_path: Path) -> None:
    state.save(tmp_path, "prod", state.Saved(pointer=b"P1", bundle=b"B1"), "d1")
    state.save(tmp_path, "dev", state.Saved(pointer=b"P2", bundle=b"B2"), "d2")
    state.save(tmp_path, "dev", state.Saved(pointer=b"P3", bundle=b"IGNORED"), "d1")  # content-addressed
    digests = {b"P1": "d1", b"P2": "d2", b"P3": "d1"}
    assert state.load(tmp_path, "prod", digests.get) == state.Saved(pointer=b"P1", bundle=b"B1")
    assert state.load(tmp_path, "dev", digests.get) == state.Saved(pointer=b"P3", bundle=b"B1")
    assert oct((tmp_path / "pointer-prod.json").stat().st_mode & 0o777) == "0o644"


def test_save_prunes_only_bundles_older_than_the_grace_period(tmp_path: Path) -> None:
    old, recent = tmp_path / "bundle-old.json", tmp_path / "bundle-recent.json"
    old.write_bytes(b"x")
    recent.write_bytes(b"y")
    stale = time.time() - state.KEEP_OLD_S - 60
    os.utime(old, (stale, stale))
    state.save(tmp_path, "prod", state.Saved(pointer=b"P", bundle=b"B"), "new")
    assert sorted(p.name for p in tmp_path.glob("bundle-*.json")) == ["bundle-new.json", "bundle-recent.json"]


def test_a_failed_write_leaves_no_temporary_file_and_the_old_copy(tmp_path: Path) -> None:
    path = tmp_path / "pointer-prod.json"
    state.write_atomic(path, b"GOOD")

    class Boom(Exception):
        pass

    def fsync(_: int) -> None:
        raise Boom

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "fsync", fsync)
        with pytest.raises(Boom):
            state.write_atomic(path, b"HALF")
    assert path.read_bytes() == b"GOOD"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pointer-prod.json"]
