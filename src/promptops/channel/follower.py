"""Following a channel: a daemon thread per (channel, env, public key) keeps the newest valid bundle.

A request never waits on the network after the first load. What is never served: an unsigned or wrongly
signed pointer, one for another environment, a serial that goes backwards, a bundle whose hash does not
match, a truncated or non-JSON file. Each refusal is logged once with its reason on `promptops.channel`.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from promptops.channel import signing, state
from promptops.channel.pointer import Pointer, RefusedError, bundle_digest, canonical, parse
from promptops.channel.source import Source, UnreachableError
from promptops.errors import ChannelUnavailableError, PromptOpsError

if TYPE_CHECKING:
    from promptops.deploy.bundle import Bundle

log = logging.getLogger("promptops.channel")
JITTER = 0.2


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    """What a follower serves now: the bundle, and the publication it came from (None: embedded)."""

    bundle: Bundle
    serial: int | None
    bundle_hash: str | None
    source: str  # "channel", "saved copy" or "embedded bundle"


@dataclass(frozen=True, kw_only=True)
class Settings:
    channel: str
    env: str
    public_key: str  # PEM text
    poll_s: float = 10.0
    timeout_s: float = 2.0
    state_dir: Path | None = None
    embedded: Path | None = None


@dataclass(kw_only=True)
class Follower:
    settings: Settings
    source: Source
    folder: Path
    write: state.Writer = state.write_atomic
    _current: Snapshot | None = None
    _floor: int = -1  # the highest serial served or saved: anything below it is a replay
    _tag: str | None = None
    _down: bool = False
    _down_at_start: str | None = None
    _unsaved: bool = False
    _told: set[str] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _rng: random.Random = field(default_factory=random.Random)

    def current(self) -> Snapshot:
        """Return the snapshot being served (never waits on the network)."""
        with self._lock:
            assert self._current is not None  # start() has run
            return self._current

    def start(self) -> Snapshot:
        """Load the first snapshot (saved copy, else channel, else embedded) and start polling."""
        tried: list[str] = []
        first = self._saved(tried)
        immediate = first is not None
        if first is None:
            first = self._from_channel(tried)
        if first is None:
            first = self._embedded(tried)
        if first is None:
            raise ChannelUnavailableError(
                f"channel {self.source.label} (env {self.settings.env}): nothing to serve; tried "
                + "; ".join(tried),
                hint="publish the environment (`promptops publish`), check the URL, or pass bundle=",
            )
        self._serve(first)
        if self._down_at_start is not None:
            self._outage(self._down_at_start)  # said once what is served instead
        thread = threading.Thread(target=self._run, args=(immediate,), daemon=True, name="promptops-channel")
        thread.start()
        return first

    def stop(self) -> None:
        self._stop.set()

    # --- sources at start --------------------------------------------------------------------------

    def _saved(self, tried: list[str]) -> Snapshot | None:
        def digest_of(data: bytes) -> str | None:
            try:
                return parse(data).payload.digest
            except RefusedError:
                return None

        found = state.load(self.folder, self.settings.env, digest_of)
        if found is None:
            tried.append(f"saved copy {self.folder}: none")
            return None
        try:
            pointer = self._verified(found.pointer)
            snapshot = self._snapshot(pointer, found.bundle, "saved copy")
        except RefusedError as exc:
            tried.append(f"saved copy {self.folder}: {exc}")
            self._refuse(f"saved copy {self.folder}", str(exc))
            return None
        self._floor = pointer.payload.serial
        return snapshot

    def _from_channel(self, tried: list[str]) -> Snapshot | None:
        try:
            return self._fetch()
        except UnreachableError as exc:
            tried.append(f"channel {self.source.label}: {exc}")
            self._down_at_start = str(exc)
        except RefusedError as exc:
            tried.append(f"channel {self.source.label}: refused: {exc}")
        return None

    def _embedded(self, tried: list[str]) -> Snapshot | None:
        path = self.settings.embedded
        if path is None:
            tried.append("embedded bundle: none (pass bundle=)")
            return None
        from promptops.deploy import bundle

        try:
            loaded = bundle.read(path)
        except PromptOpsError as exc:
            tried.append(f"embedded bundle {path}: {exc.message}")
            return None
        return Snapshot(bundle=loaded, serial=None, bundle_hash=None, source="embedded bundle")

    # --- polling -------------------------------------------------------------------------------------

    def _run(self, immediate: bool) -> None:
        wait = 0.0 if immediate else self._interval()
        while not self._stop.wait(wait):
            self.poll()
            wait = self._interval()

    def _interval(self) -> float:
        return self.settings.poll_s * self._rng.uniform(1 - JITTER, 1 + JITTER)

    def poll(self) -> None:
        """Check the channel once; swap in a newer valid publication, log a refusal or an outage."""
        try:
            found = self._fetch()
        except UnreachableError as exc:
            self._outage(str(exc))
            return
        except RefusedError:
            return  # logged where it was found
        if found is not None:
            self._serve(found)

    def _fetch(self) -> Snapshot | None:
        """Return the channel's newer publication, None when there is none; raise Unreachable/Refused."""
        got = self.source.pointer(self.settings.env, self._tag)
        self._back()
        if got is None:
            return None
        where = f"channel {self.source.label}"
        try:
            pointer = self._verified(got.data)
            serial = pointer.payload.serial
            with self._lock:
                served = self._current
            if (
                served is not None
                and served.serial == serial
                and served.bundle_hash == pointer.payload.bundle
            ):
                self._tag = got.tag
                return None
            if serial <= self._floor:
                raise RefusedError(
                    f"replayed or older pointer: serial {serial} is not above {self._floor}, "
                    "the highest served or saved"
                )
            data = self.source.bundle(pointer.payload.digest)
            snapshot = self._snapshot(pointer, data, "channel")
        except RefusedError as exc:
            self._refuse(where, str(exc))
            raise
        self._save(got.data, data, pointer)
        self._tag = got.tag
        return snapshot

    def _verified(self, data: bytes) -> Pointer:
        pointer = parse(data)
        if not signing.verify(self.settings.public_key, canonical(pointer.payload), pointer.signature):
            raise RefusedError(
                f"the signature does not verify with the public key (pointer key_id {pointer.key_id})"
            )
        if pointer.payload.env != self.settings.env:
            raise RefusedError(
                f"the pointer is for environment '{pointer.payload.env}', not '{self.settings.env}'"
            )
        return pointer

    def _snapshot(self, pointer: Pointer, data: bytes, source: str) -> Snapshot:
        actual = bundle_digest(data)
        if actual != pointer.payload.bundle:
            raise RefusedError(
                f"bundle hash mismatch: the pointer names {pointer.payload.bundle}, "
                f"the file hashes to {actual}"
            )
        from promptops.deploy.bundle import parse as parse_bundle

        try:
            loaded = parse_bundle(data.decode("utf-8"), f"bundle {actual}")
        except (PromptOpsError, UnicodeDecodeError) as exc:
            raise RefusedError(f"the bundle is invalid: {getattr(exc, 'message', exc)}") from None
        if self.settings.env not in loaded.environments.envs:
            raise RefusedError(f"the bundle has no environment '{self.settings.env}'")
        return Snapshot(bundle=loaded, serial=pointer.payload.serial, bundle_hash=actual, source=source)

    def _serve(self, snapshot: Snapshot) -> None:
        with self._lock:
            self._current = snapshot
            if snapshot.serial is not None:
                self._floor = max(self._floor, snapshot.serial)

    def _save(self, pointer_data: bytes, bundle_data: bytes, pointer: Pointer) -> None:
        try:
            state.save(
                self.folder,
                self.settings.env,
                state.Saved(pointer=pointer_data, bundle=bundle_data),
                pointer.payload.digest,
                self.write,
            )
        except OSError as exc:
            if not self._unsaved:
                log.warning(
                    "channel %s: cannot save the last good copy in %s (%s); serving serial %d from memory",
                    self.source.label,
                    self.folder,
                    exc.strerror or exc,
                    pointer.payload.serial,
                )
            self._unsaved = True
            return
        self._unsaved = False

    # --- telling once --------------------------------------------------------------------------------

    def _refuse(self, where: str, reason: str) -> None:
        if reason not in self._told:
            self._told.add(reason)
            log.warning("%s (env %s): refused: %s; %s", where, self.settings.env, reason, self._serving())

    def _outage(self, reason: str) -> None:
        if not self._down:
            self._down = True
            log.warning("channel %s unreachable: %s; %s", self.source.label, reason, self._serving())

    def _back(self) -> None:
        if self._down:
            self._down = False
            log.info("channel %s reachable again", self.source.label)

    def _serving(self) -> str:
        with self._lock:
            now = self._current
        if now is None:
            return "nothing served yet"
        what = "" if now.serial is None else f" serial {now.serial}"
        return f"serving the {now.source}{what}"
