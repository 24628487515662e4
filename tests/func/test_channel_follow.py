"""load_prompt(channel=...): following a signed channel, and every pointer or bundle it must refuse."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import promptops
from promptops import load_prompt
from promptops.channel import pollers, signing
from promptops.errors import ChannelUnavailableError, InputError
from support.channels import Channel, bundle_text, put, wait_for
from support.static_server import StaticServer

FAST = {"poll_s": 0.05, "timeout_s": 0.5}


@pytest.fixture(autouse=True)
def _stop_followers() -> Iterator[None]:
    yield
    pollers.stop_all()


@pytest.fixture
def channel(tmp_path: Path) -> Channel:
    made = Channel(root=tmp_path / "site", keys=signing.generate())
    made.publish("1.1.0")
    return made


@pytest.fixture
def server(channel: Channel) -> Iterator[StaticServer]:
    host = StaticServer(channel.root)
    yield host
    host.stop()


def follow(channel: Channel, where: str, tmp_path: Path, **extra: object) -> str:
    options: dict[str, object] = {"public_key": channel.keys.public_pem, "state_dir": tmp_path / "state"}
    options.update(FAST)
    options.update(extra)
    return load_prompt("order-id", env="production", channel=where, **options).version  # type: ignore[arg-type]


def messages(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "promptops.channel"]


def test_an_application_follows_a_rollback_over_http(
    channel: Channel, server: StaticServer, tmp_path: Path
) -> None:
    first = load_prompt(
        "order-id",
        env="production",
        channel=server.url,
        public_key=channel.keys.public_pem,
        state_dir=tmp_path / "state",
        **FAST,
    )
    assert first.version == "1.1.0"
    assert (
        first.attribution["promptops.channel.serial"]
        == json.loads(channel.pointer().read_text())["payload"]["serial"]
    )
    assert first.attribution["promptops.bundle.hash"].startswith("sha256:")
    serial = channel.publish("1.0.0")
    wait_for(lambda: follow(channel, server.url, tmp_path) == "1.0.0")
    now = load_prompt("order-id", env="production", channel=server.url, public_key=channel.keys.public_pem)
    assert now.channel_serial == serial
    assert now.attribution["promptops.channel.serial"] == serial
    # polls after the first carry the ETag they last saw
    assert any(path == "/channels/production.json" and tag for path, tag in server.requests)


def test_a_directory_channel_is_followed_by_modification_time(channel: Channel, tmp_path: Path) -> None:
    assert follow(channel, str(channel.root), tmp_path) == "1.1.0"
    channel.publish("1.0.0")
    wait_for(lambda: follow(channel, str(channel.root), tmp_path) == "1.0.0")


def test_public_key_may_be_a_path(channel: Channel, tmp_path: Path) -> None:
    pub = tmp_path / "promptops-signing.pub"
    pub.write_text(channel.keys.public_pem)
    assert follow(channel, str(channel.root), tmp_path, public_key=str(pub)) == "1.1.0"


def refused(
    channel: Channel, tmp_path: Path, caplog: pytest.LogCaptureFixture, spoil: object, reason: str
) -> None:
    """Follow the channel, spoil it, and check the refusal is logged once while 1.1.0 is still served."""
    caplog.set_level(logging.INFO, logger="promptops.channel")
    assert follow(channel, str(channel.root), tmp_path) == "1.1.0"
    assert callable(spoil)
    spoil()
    wait_for(lambda: any(reason in m for _, m in messages(caplog)))
    polls = len(caplog.records)
    wait_for(lambda: follow(channel, str(channel.root), tmp_path) == "1.1.0", 0.5)
    found = [m for level, m in messages(caplog) if reason in m]
    assert len(found) == 1, found
    assert found[0].startswith(f"channel {channel.root} (env production): refused: ")
    assert found[0].endswith("serving the channel serial " + str(_served_serial(tmp_path)))
    assert len(caplog.records) == polls  # said once, however many polls see it again


def _served_serial(tmp_path: Path) -> int:
    return int(json.loads((tmp_path / "state" / "pointer-production.json").read_text())["payload"]["serial"])


def _rewrite(pointer: Path, change: object) -> None:
    data = json.loads(pointer.read_text())
    assert callable(change)
    change(data)
    put(pointer, json.dumps(data).encode())


def test_an_unsigned_pointer_is_never_served(
    channel: Channel, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def unsign(scratch: Path) -> None:
        _rewrite(scratch / "channels" / "production.json", lambda d: d.pop("signature"))

    def spoil() -> None:
        channel.publish_spoiled("1.0.0", unsign)

    refused(channel, tmp_path, caplog, spoil, "the pointer is unsigned (no signature)")


def test_a_pointer_signed_by_another_key_is_never_served(
    channel: Channel, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    intruder = Channel(root=channel.root, keys=signing.generate())
    refused(
        channel,
        tmp_path,
        caplog,
        lambda: intruder.publish("1.0.0"),
        "the signature does not verify with the public key (pointer key_id ",
    )


def test_a_tampered_payload_fails_its_signature(
    channel: Channel, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def spoil() -> None:
        _rewrite(channel.pointer(), lambda d: d["payload"].update(serial=d["payload"]["serial"] + 10))

    refused(channel, tmp_path, caplog, spoil, "the signature does not verify with the public key")


def test_a_replayed_older_pointer_is_never_served(
    channel: Channel, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    old = channel.pointer().read_bytes()
    channel.publish("1.2.0")

    def spoil() -> None:
        put(channel.pointer(), old)

    caplog.set_level(logging.INFO, logger="promptops.channel")
    assert follow(channel, str(channel.root), tmp_path) == "1.2.0"
    spoil()
    reason = "replayed or older pointer: serial "
    wait_for(lambda: any(reason in m for _, m in messages(caplog)))
    assert follow(channel, str(channel.root), tmp_path) == "1.2.0"
    assert len([m for _, m in messages(caplog) if reason in m]) == 1


def test_a_pointer_for_another_environment_is_never_served(
    channel: Channel, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def spoil() -> None:
        channel.publish("1.0.0", env="staging")
        put(channel.pointer(), channel.pointer("staging").read_bytes())

    refused(channel, tmp_path, caplog, spoil, "the pointer is for environment 'staging', not 'production'")


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b'{"payload": {"env": "produ', "not JSON (truncated or corrupt)"), (b"<html>", "not JSON")],
)
def test_a_truncated_or_non_json_pointer_is_never_served(
    channel: Channel, tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes, reason: str
) -> None:
    refused(channel, tmp_path, caplog, lambda: put(channel.pointer(), content), reason)


def test_a_bundle_whose_hash_does_not_match_is_never_served(
    channel: Channel, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def truncate(scratch: Path) -> None:
        named = json.loads((scratch / "channels" / "production.json").read_text())["payload"]["bundle"]
        path = scratch / "bundles" / f"{named.removeprefix('sha256:')}.json"
        path.write_bytes(path.read_bytes()[:100])  # truncated on upload

    def spoil() -> None:
        channel.publish_spoiled("1.0.0", truncate)

    refused(channel, tmp_path, caplog, spoil, "bundle hash mismatch: the pointer names sha256:")


def test_a_pointer_whose_bundle_is_not_there_yet_is_a_transient_failure(
    channel: Channel, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="promptops.channel")
    assert follow(channel, str(channel.root), tmp_path) == "1.1.0"
    later = tmp_path / "later.json"

    def hold_back(scratch: Path) -> None:  # the pointer is uploaded before its bundle
        named = json.loads((scratch / "channels" / "production.json").read_text())["payload"]["bundle"]
        (scratch / "bundles" / f"{named.removeprefix('sha256:')}.json").rename(later)

    channel.publish_spoiled("1.0.0", hold_back)
    named = json.loads(channel.pointer().read_text())["payload"]
    serial, held = (
        named["serial"],
        channel.root / "bundles" / f"{named['bundle'].removeprefix('sha256:')}.json",
    )
    assert not held.exists()
    wait_for(lambda: any(level == "WARNING" for level, _ in messages(caplog)))
    assert follow(channel, str(channel.root), tmp_path) == "1.1.0"
    later.rename(held)
    wait_for(lambda: follow(channel, str(channel.root), tmp_path) == "1.0.0")
    assert _served_serial(tmp_path) == serial
    levels = [level for level, _ in messages(caplog)]
    assert levels == ["WARNING", "INFO"]


def test_a_channel_down_at_start_with_nothing_to_serve_names_every_source(
    channel: Channel, server: StaticServer, tmp_path: Path
) -> None:
    server.stop()
    with pytest.raises(ChannelUnavailableError) as caught:
        follow(channel, server.url, tmp_path, bundle=tmp_path / "missing.lock.json")
    message = caught.value.message
    assert message.startswith(f"channel {server.url} (env production): nothing to serve; tried saved copy ")
    assert f"saved copy {tmp_path / 'state'}: none; channel {server.url}: " in message
    assert f"; embedded bundle {tmp_path / 'missing.lock.json'}: " in message
    assert caught.value.exit_code == 3


def test_a_channel_down_at_start_serves_the_embedded_bundle_then_the_channel(
    channel: Channel, server: StaticServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="promptops.channel")
    embedded = tmp_path / "prompts.lock.json"
    embedded.write_text(bundle_text({"production": "1.0.0"}))
    server.stop()
    first = load_prompt(
        "order-id",
        env="production",
        channel=server.url,
        public_key=channel.keys.public_pem,
        bundle=embedded,
        state_dir=tmp_path / "state",
        **FAST,
    )
    assert (first.version, first.channel_serial, first.bundle_hash) == ("1.0.0", None, None)
    server.start()
    wait_for(lambda: follow(channel, server.url, tmp_path) == "1.1.0")
    found = messages(caplog)
    assert [level for level, _ in found] == ["WARNING", "INFO"]
    assert found[0][1].startswith(f"channel {server.url} unreachable: ")
    assert found[0][1].endswith("; serving the embedded bundle")
    assert found[1][1] == f"channel {server.url} reachable again"


def test_an_outage_mid_run_is_said_once_and_its_end_once(
    channel: Channel, server: StaticServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="promptops.channel")
    assert follow(channel, server.url, tmp_path) == "1.1.0"
    before = _served_serial(tmp_path)
    server.stop()
    wait_for(lambda: len(messages(caplog)) == 1)
    seen = len(server.requests)
    assert follow(channel, server.url, tmp_path) == "1.1.0"  # served from memory while the channel is down
    channel.publish("1.0.0")
    server.start()
    wait_for(lambda: follow(channel, server.url, tmp_path) == "1.0.0")
    found = messages(caplog)
    assert [level for level, _ in found] == ["WARNING", "INFO"]
    assert found[0][1].startswith(f"channel {server.url} unreachable: {server.url}channels/production.json: ")
    assert found[0][1].endswith(f"; serving the channel serial {before}")
    assert len(server.requests) > seen


def test_a_slow_server_does_not_hold_the_first_load_past_timeout_s(
    channel: Channel, server: StaticServer, tmp_path: Path
) -> None:
    import time

    embedded = tmp_path / "prompts.lock.json"
    embedded.write_text(bundle_text({"production": "1.0.0"}))
    server.delay_s = 3.0
    started = time.monotonic()
    assert follow(channel, server.url, tmp_path, bundle=embedded, timeout_s=0.3) == "1.0.0"
    assert time.monotonic() - started < 2.0
    server.delay_s = 0.0
    wait_for(lambda: follow(channel, server.url, tmp_path) == "1.1.0", 10.0)


def test_a_process_restarted_while_the_channel_is_down_serves_its_last_good_copy(
    channel: Channel, server: StaticServer, tmp_path: Path
) -> None:
    serial = channel.publish("1.0.0")
    assert follow(channel, server.url, tmp_path) == "1.0.0"
    pollers.stop_all()  # the process ends
    server.stop()
    again = load_prompt(
        "order-id",
        env="production",
        channel=server.url,
        public_key=channel.keys.public_pem,
        state_dir=tmp_path / "state",
        **FAST,
    )
    assert (again.version, again.channel_serial) == ("1.0.0", serial)


def test_a_saved_copy_older_than_the_channel_is_replaced_once_the_channel_answers(
    channel: Channel, server: StaticServer, tmp_path: Path
) -> None:
    assert follow(channel, server.url, tmp_path) == "1.1.0"
    pollers.stop_all()
    channel.publish("1.0.0")
    assert follow(channel, server.url, tmp_path) in {"1.1.0", "1.0.0"}  # the saved copy first
    wait_for(lambda: follow(channel, server.url, tmp_path) == "1.0.0")


def test_a_last_good_copy_that_cannot_be_saved_is_said_once_and_served_from_memory(
    channel: Channel, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="promptops.channel")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    state = blocker / "state"  # every write under it fails (ENOTDIR), as on a full or read-only disk
    where = str(channel.root)
    assert follow(channel, where, tmp_path, state_dir=state) == "1.1.0"
    channel.publish("1.0.0")
    wait_for(lambda: follow(channel, where, tmp_path, state_dir=state) == "1.0.0")
    found = [m for _, m in messages(caplog)]
    assert len(found) == 1
    assert found[0].startswith(
        f"channel {where}: cannot save the last good copy in {state} (Not a directory)"
    )


def test_channel_needs_env_and_public_key(channel: Channel) -> None:
    with pytest.raises(InputError) as caught:
        load_prompt("order-id", channel=str(channel.root), public_key=channel.keys.public_pem)
    assert caught.value.message == "load_prompt(..., channel=...) needs env= and public_key=, and no root="


def test_a_public_key_that_is_not_one_is_refused(channel: Channel, tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        follow(channel, str(channel.root), tmp_path, public_key="-----BEGIN PUBLIC KEY-----\nxx\n")
    assert caught.value.message == "public_key: not a PEM public key"


def test_without_the_channel_extra_the_error_names_it(
    channel: Channel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.asymmetric.ed25519", None)
    with pytest.raises(InputError) as caught:
        follow(channel, str(channel.root), tmp_path)
    assert caught.value.message == "signed channels need the `cryptography` package, which is not installed"
    assert caught.value.hint == (
        'install the channel extra: pip install "promptops-cli[channel] @ '
        f'git+https://github.com/promptops/promptops-cli@v{promptops.__version__}"'
    )


def test_a_forked_worker_follows_with_its_own_poller(channel: Channel, tmp_path: Path) -> None:
    import os

    assert follow(channel, str(channel.root), tmp_path) == "1.1.0"
    pid = os.fork()
    if pid == 0:  # the worker: the parent's poller thread did not survive the fork
        code = 1
        try:
            wait_for(lambda: follow(channel, str(channel.root), tmp_path) == "1.0.0")
            code = 0
        finally:
            os._exit(code)
    channel.publish("1.0.0")
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_environments_may_share_a_state_dir(channel: Channel, tmp_path: Path) -> None:
    channel.publish("1.2.0", env="staging")
    options = {
        "channel": str(channel.root),
        "public_key": channel.keys.public_pem,
        "state_dir": tmp_path / "s",
    }
    assert load_prompt("order-id", env="production", **options).version == "1.1.0"  # type: ignore[arg-type]
    assert load_prompt("order-id", env="staging", **options).version == "1.2.0"  # type: ignore[arg-type]
    pollers.stop_all()
    channel.root.rename(tmp_path / "gone")  # the channel is down: both restart from their saved copies
    assert load_prompt("order-id", env="production", **options).version == "1.1.0"  # type: ignore[arg-type]
    assert load_prompt("order-id", env="staging", **options).version == "1.2.0"  # type: ignore[arg-type]
