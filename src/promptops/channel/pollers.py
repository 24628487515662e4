"""This process's followers: one started poller per (channel, env, public key), also after a fork."""

from __future__ import annotations

import os
import threading

from promptops.channel import signing, state
from promptops.channel.follower import Follower, Settings
from promptops.channel.source import open_source

_FOLLOWERS: dict[tuple[str, str, str], Follower] = {}
_REGISTRY = threading.Lock()


def follow(settings: Settings) -> Follower:
    """Return this process's follower of (channel, env, public key), started on first use."""
    key = (settings.channel, settings.env, settings.public_key)
    with _REGISTRY:
        found = _FOLLOWERS.get(key)
        if found is not None:
            return found
        follower = Follower(
            settings=settings,
            source=open_source(settings.channel, settings.timeout_s),
            folder=settings.state_dir or state.default_dir(settings.channel, settings.env),
        )
        follower.start()  # raises ChannelUnavailableError: the next call tries again
        _FOLLOWERS[key] = follower
        return follower


def _forked() -> None:
    # a forked worker (gunicorn --preload, uWSGI) has no poller thread: it starts its own on first use
    global _REGISTRY  # noqa: PLW0603 (a lock held by another thread at fork time stays held)
    _FOLLOWERS.clear()
    _REGISTRY = threading.Lock()


os.register_at_fork(after_in_child=_forked)


def stop_all() -> None:
    """Stop every follower of this process (tests; an application never needs to)."""
    with _REGISTRY:
        for follower in _FOLLOWERS.values():
            follower.stop()
        _FOLLOWERS.clear()


def public_key_pem(value: str | os.PathLike[str]) -> str:
    """Return the verified public key PEM of `public_key=` (PEM text or a path)."""
    text = signing.public_key_text(value)
    signing.check_public(text)
    return text
