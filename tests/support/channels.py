"""Channel folders for tests: key pairs, bundles of `order-id` built in memory, publications."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from promptops.channel import publish, signing
from promptops.deploy import bundle
from promptops.deploy.environments import Assignment, Environments
from promptops.prompts.promptfile import read_prompt
from support import releases


@dataclass
class Channel:
    """A channel folder and the key pair that signs it."""

    root: Path
    keys: signing.KeyPair

    def publish(self, version: str, env: str = "production", serial_from: float | None = None) -> int:
        """Publish a bundle where `env` serves order-id@version (staging serves 1.0.0); return the serial."""
        text = bundle_text({env: version, "staging" if env != "staging" else "production": "1.0.0"})
        done = publish.publish(self.root, text, env, (self.keys.private_pem, "test key"), now=serial_from)
        return done.serial

    def pointer(self, env: str = "production") -> Path:
        return self.root / "channels" / f"{env}.json"

    def publish_spoiled(self, version: str, spoil: Callable[[Path], None], env: str = "production") -> None:
        """Publish into a copy of the folder, `spoil(copy)`, then move its files in: bundles, then pointer.

        So a poller never sees the good publication between the publish and the spoiling.
        """
        scratch = self.root.parent / f"scratch-{uuid.uuid4().hex}"
        shutil.copytree(self.root, scratch)
        Channel(root=scratch, keys=self.keys).publish(version, env)
        spoil(scratch)
        for made in sorted((scratch / "bundles").iterdir()):
            target = self.root / "bundles" / made.name
            if not target.exists() or target.read_bytes() != made.read_bytes():
                put(target, made.read_bytes())
        put(self.pointer(env), (scratch / "channels" / f"{env}.json").read_bytes())
        shutil.rmtree(scratch)


def put(path: Path, data: bytes) -> None:
    """Replace `path` atomically (a rename), as a static host's upload does."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def bundle_text(serves: dict[str, str]) -> str:
    envs = Environments(
        file="environments.yaml",
        envs={env: {"order-id": Assignment(version=version)} for env, version in serves.items()},
    )

    def resolve(name: str, version: str) -> tuple[object, str]:
        spec = read_prompt(releases.prompt_text(version).encode(), f"prompts/{name}.yaml")
        return spec, f"prompts/{name}/v{version}"

    return bundle.dump(bundle.build(envs, resolve))  # type: ignore[arg-type]


def wait_for(check: Callable[[], bool], timeout_s: float = 5.0) -> None:
    """Return once `check()` holds; fail after `timeout_s` (a deadline, never a fixed sleep)."""
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)
