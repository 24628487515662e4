"""`promptops keygen`, `publish` and `--publish` on promote, rollback and canary analyze --apply."""

from __future__ import annotations

import base64
import json
import os
import stat
import time
from pathlib import Path

import pytest

from promptops import load_prompt
from promptops.channel import pointer, pollers, signing
from support import releases
from support.canary_traffic import WORSE_QUALITY, fill_store, hours_of, trace_lines
from support.channels import wait_for
from support.fixtures import CLI, GitRepo

KEY = "keys/promptops-signing.key"
PUB = "keys/promptops-signing.pub"


@pytest.fixture
def released(git_repo: GitRepo, cli: CLI) -> GitRepo:
    """A project with order-id 1.0.0 and 1.1.0 released and a key pair in keys/."""
    releases.start_project(git_repo)
    for version in ("1.0.0", "1.1.0"):
        releases.release(git_repo, version)
    assert cli("keygen", "--out", "keys").code == 0
    return git_repo


def read_pointer(root: Path, env: str = "production") -> dict[str, object]:
    data = json.loads((root / "site" / "channels" / f"{env}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def served(root: Path, env: str = "production") -> str:
    """Return the version `env`'s published bundle serves order-id, after checking the pointer's signature."""
    data = read_pointer(root, env)
    found = pointer.parse(json.dumps(data).encode())
    public = (root / PUB).read_text(encoding="ascii")
    assert signing.verify(public, pointer.canonical(found.payload), found.signature)
    assert found.key_id == signing.key_id(public)
    text = (root / "site" / "bundles" / f"{found.payload.digest}.json").read_bytes()
    assert pointer.bundle_digest(text) == found.payload.bundle
    return str(json.loads(text)["environments"][env]["order-id"]["version"])


def test_keygen_writes_a_private_key_only_its_owner_reads(git_repo: GitRepo, cli: CLI) -> None:
    result = cli("keygen", "--out", "keys")
    assert result.code == 0, result.err
    assert result.err == (
        "wrote keys/promptops-signing.key (secret: store it as the CI secret PROMPTOPS_SIGNING_KEY) "
        "and keys/promptops-signing.pub\n"
        "applications verify with it: load_prompt(..., public_key='promptops-signing.pub')\n"
    )
    private = git_repo.root / KEY
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----\n")
    assert (git_repo.root / PUB).read_text().startswith("-----BEGIN PUBLIC KEY-----\n")
    again = cli("keygen", "--out", "keys")
    assert (again.code, again.err) == (
        2,
        f"error: {Path('keys') / 'promptops-signing.key'}: already exists; keygen never overwrites a key\n",
    )


def test_publish_writes_the_bundle_and_a_signed_pointer(released: GitRepo, cli: CLI) -> None:
    released.commit({"environments.yaml": "production:\n  order-id: 1.1.0\n"}, "serve 1.1.0")
    before = int(time.time() * 1000)
    result = cli("publish", "--env", "production", "--to", "site", "--key-file", KEY)
    assert result.code == 0, result.err
    data = read_pointer(released.root)
    payload = data["payload"]
    assert isinstance(payload, dict)
    assert set(data) == {"payload", "signature", "key_id"} and set(payload) == {
        "env",
        "bundle",
        "serial",
        "created",
    }
    assert payload["env"] == "production" and payload["serial"] >= before
    assert len(base64.b64decode(str(data["signature"]))) == 64
    assert served(released.root) == "1.1.0"
    digest = str(payload["bundle"]).removeprefix("sha256:")
    assert result.err == (
        f"wrote site/bundles/{digest}.json and site/channels/production.json\n"
        f"published production: serial {payload['serial']}, bundle sha256:{digest}\n"
    )
    again = cli("publish", "--env", "production", "--to", "site", "--key-file", KEY)
    assert "(already there)" in again.err  # the bundle is content-addressed and never rewritten
    assert read_pointer(released.root)["payload"]["serial"] > payload["serial"]  # type: ignore[index,operator]


def test_publish_reads_the_key_from_the_environment(
    released: GitRepo, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    released.commit({"environments.yaml": "production:\n  order-id: 1.0.0\n"}, "serve 1.0.0")
    monkeypatch.setenv("PROMPTOPS_SIGNING_KEY", (released.root / KEY).read_text())
    assert cli("publish", "--env", "production", "--to", "site").code == 0
    assert served(released.root) == "1.0.0"


def test_a_serial_goes_up_even_when_the_folder_holds_a_later_one(released: GitRepo, cli: CLI) -> None:
    released.commit({"environments.yaml": "production:\n  order-id: 1.0.0\n"}, "serve 1.0.0")
    assert cli("publish", "--env", "production", "--to", "site", "--key-file", KEY).code == 0
    future = int(read_pointer(released.root)["payload"]["serial"]) + 10**9  # type: ignore[index]
    path = released.root / "site" / "channels" / "production.json"
    path.write_text(path.read_text().replace(str(future - 10**9), str(future)))
    assert cli("publish", "--env", "production", "--to", "site", "--key-file", KEY).code == 0
    assert read_pointer(released.root)["payload"]["serial"] == future + 1  # type: ignore[index]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [],
            "error: no signing key: pass --key-file PATH or set PROMPTOPS_SIGNING_KEY to the private key's "
            "PEM text\nhint: `promptops keygen` writes a key pair\n",
        ),
        (["--key-file", PUB], f"error: {PUB}: not an unencrypted PEM private key\n"),
        (
            ["--key-file", "nope.key"],
            "error: nope.key: cannot read the signing key: No such file or directory\n",
        ),
    ],
)
def test_publish_without_a_usable_key_exits_2_and_writes_nothing(
    released: GitRepo, cli: CLI, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.delenv("PROMPTOPS_SIGNING_KEY", raising=False)
    released.commit({"environments.yaml": "production:\n  order-id: 1.0.0\n"}, "serve 1.0.0")
    result = cli("publish", "--env", "production", "--to", "site", *args)
    assert (result.code, result.err) == (2, message)
    assert not (released.root / "site").exists()


def test_publish_of_an_unknown_environment_exits_2(released: GitRepo, cli: CLI) -> None:
    released.commit({"environments.yaml": "production:\n  order-id: 1.0.0\n"}, "serve 1.0.0")
    result = cli("publish", "--env", "staging", "--to", "site", "--key-file", KEY)
    assert (result.code, result.err) == (
        2,
        "error: environments.yaml has no environment 'staging' (it has production); nothing to publish\n",
    )


def test_promote_and_rollback_publish_at_once(released: GitRepo, cli: CLI) -> None:
    """The walkthrough of docs/channels.md: promote --publish, an application follows, rollback --publish."""
    publish = ("--publish", "site", "--key-file", KEY)
    assert cli("promote", "order-id@1.0.0", "--env", "production", "--force", *publish).code == 0
    released.commit(message="promote 1.0.0")
    assert cli("promote", "order-id@1.1.0", "--env", "production", "--force", *publish).code == 0
    released.commit(message="promote 1.1.0")
    assert served(released.root) == "1.1.0"

    app = {
        "env": "production",
        "channel": "site",
        "public_key": PUB,
        "poll_s": 0.05,
        "state_dir": released.root / "state",
    }
    try:
        assert load_prompt("order-id", **app).version == "1.1.0"  # type: ignore[arg-type]
        result = cli("rollback", "order-id", "--env", "production", *publish)
        assert result.code == 0, result.err
        assert "production: order-id 1.1.0 -> 1.0.0\n" in result.err
        assert "published production: serial " in result.err
        assert served(released.root) == "1.0.0"
        wait_for(lambda: load_prompt("order-id", **app).version == "1.0.0")  # type: ignore[arg-type]
    finally:
        pollers.stop_all()


def test_promote_publishes_even_when_nothing_changed(released: GitRepo, cli: CLI) -> None:
    publish = ("--publish", "site", "--key-file", KEY)
    assert cli("promote", "order-id@1.0.0", "--env", "production", "--force", *publish).code == 0
    first = read_pointer(released.root)["payload"]["serial"]  # type: ignore[index]
    result = cli("promote", "order-id@1.0.0", "--env", "production", "--force", *publish)
    assert result.code == 0
    assert "production already serves 1.0.0 of order-id; nothing to do\n" in result.err
    assert read_pointer(released.root)["payload"]["serial"] > first  # type: ignore[index,operator]


def test_a_bad_key_stops_promote_before_it_changes_anything(released: GitRepo, cli: CLI) -> None:
    result = cli(
        "promote", "order-id@1.0.0", "--env", "production", "--force", "--publish", "site", "--key-file", PUB
    )
    assert (result.code, result.err) == (2, f"error: {PUB}: not an unencrypted PEM private key\n")
    assert not (released.root / "environments.yaml").exists()


CANARY_CONFIG = (
    "version: 1\n"
    "rollout:\n"
    "  min_calls_per_arm: 500\n"
    "  max_duration: 72h\n"
    "  quality: {scorer: judge_ok, max_drop: 0.05, critical: true}\n"
)


def test_canary_analyze_apply_publishes_the_rollback(released: GitRepo, cli: CLI) -> None:
    releases.release(released, "1.2.0")
    released.commit(
        {
            "promptops.yaml": CANARY_CONFIG,
            "environments.yaml": "production:\n  order-id: {version: 1.1.0, canary: {version: 1.2.0, percent: 5}}\n",
        },
        "canary 1.2.0",
    )
    versions = {"control": "1.1.0", "canary": "1.2.0", "shadow": "1.2.0"}
    fill_store(released.root, trace_lines(hours_of(WORSE_QUALITY, 1, 17, 300, 100), versions))
    result = cli(
        "canary",
        "analyze",
        "order-id",
        "--env",
        "production",
        "--apply",
        "--publish",
        "site",
        "--key-file",
        KEY,
    )
    assert result.code == 1, result.err
    assert "published production: serial " in result.err
    assert served(released.root) == "1.1.0"


def test_canary_publish_needs_apply(released: GitRepo, cli: CLI) -> None:
    result = cli("canary", "analyze", "order-id", "--env", "production", "--publish", "site")
    assert (result.code, result.err) == (
        2,
        "error: --publish publishes what --apply changed; pass --apply too\n",
    )


def test_the_key_file_is_never_world_readable_even_with_a_loose_umask(git_repo: GitRepo, cli: CLI) -> None:
    old = os.umask(0)
    try:
        assert cli("keygen", "--out", "k").code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((git_repo.root / "k" / "promptops-signing.key").stat().st_mode) == 0o600
