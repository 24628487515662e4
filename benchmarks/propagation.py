"""How fast a published rollback reaches running applications that follow a channel, and what they refuse.

N application processes (default 1, 10, 50) follow `production` on a channel served from 127.0.0.1 by a
static HTTP server (http.server in a thread of this process, ETag and If-None-Match). Each process calls
load_prompt() in a loop and reports every change of the version it serves. A rollback is published; the
figure is the time from the pointer being written until every process serves the old version.
Promise: <= poll_s x 1.2 + 2 s at every N. Then the fault cases, each with its own assertion.

Run: python benchmarks/propagation.py [--processes 1,10,50] [--poll-s 10] [--fault-poll-s 1] [--skip-faults]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from promptops.channel import signing
from support.channels import Channel, bundle_text
from support.static_server import StaticServer

HERE = Path(__file__).resolve()
SRC = HERE.parents[1] / "src"


# --- an application process ---------------------------------------------------------------------------


def app(channel: str, public_key: str, state_dir: str, poll_s: float, embedded: str) -> None:
    """Serve load_prompt in a loop; print a JSON line at every change and a heartbeat every 0.5 s."""
    import logging

    from promptops import load_prompt

    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(message)s")
    options = {
        "env": "production",
        "channel": channel,
        "public_key": public_key,
        "poll_s": poll_s,
        "state_dir": state_dir,
        "bundle": embedded or None,
    }
    load_prompt("order-id", **options)  # type: ignore[arg-type]  # the first load may wait on the network
    last: tuple[str, int | None] | None = None
    slowest, beat = 0.0, time.monotonic()
    while True:
        started = time.perf_counter()
        prompt = load_prompt("order-id", **options)  # type: ignore[arg-type]
        slowest = max(slowest, time.perf_counter() - started)
        now = (prompt.version, prompt.channel_serial)
        if now != last or time.monotonic() - beat > 0.5:
            # slowest_s: the slowest call since the previous line (calls after the first load)
            print(
                json.dumps({"t": time.time(), "version": now[0], "serial": now[1], "slowest_s": slowest}),
                flush=True,
            )
            last, beat, slowest = now, time.monotonic(), 0.0
        time.sleep(0.02)


# --- the harness -------------------------------------------------------------------------------------


@dataclass
class Proc:
    popen: subprocess.Popen[str]
    log: Path
    seen: list[dict[str, object]] = field(default_factory=list)

    def latest(self) -> dict[str, object] | None:
        return self.seen[-1] if self.seen else None

    def first_time(self, version: str) -> float | None:
        return next((float(s["t"]) for s in self.seen if s["version"] == version), None)  # type: ignore[arg-type]

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start(  # noqa: PLR0917
    channel: str,
    keys: signing.KeyPair,
    state: Path,
    poll_s: float,
    embedded: Path | None = None,
    wrap: list[str] | None = None,
    home: Path | None = None,
) -> Proc:
    """Start an application process; its public key file and its log (stderr) live in `home`."""
    home = home or state.parent
    pub = home / "pub.pem"
    pub.write_text(keys.public_pem)
    log = home / f"{state.name}.log"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    argv = [
        *(wrap or []),
        sys.executable,
        str(HERE),
        "--app",
        channel,
        str(pub),
        str(state),
        str(poll_s),
        str(embedded or ""),
    ]
    popen = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log.open("w"), text=True, env=env)
    proc = Proc(popen=popen, log=log)

    def read() -> None:
        assert popen.stdout is not None
        for line in popen.stdout:
            proc.seen.append(json.loads(line))

    threading.Thread(target=read, daemon=True).start()
    return proc


def wait(check: Callable[[], bool], timeout_s: float, what: str) -> float:
    """Return the seconds waited until check() held; raise AssertionError naming `what` at the deadline."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - started


def stop(procs: list[Proc]) -> None:
    for proc in procs:
        proc.popen.terminate()
    for proc in procs:
        proc.popen.wait(10)


def serving(procs: list[Proc], version: str) -> bool:
    return all((p.latest() or {}).get("version") == version for p in procs)


# --- propagation -------------------------------------------------------------------------------------


def propagation(root: Path, n: int, poll_s: float) -> tuple[float, float]:
    """Return (seconds until all N serve the rollback, slowest load_prompt call in any process)."""
    channel = Channel(root=root / f"site-{n}", keys=signing.generate())
    channel.publish("1.0.0")
    channel.publish("1.1.0")
    server = StaticServer(channel.root)
    procs = [start(server.url, channel.keys, root / f"state-{n}-{i}", poll_s) for i in range(n)]
    try:
        wait(lambda: serving(procs, "1.1.0"), 120, f"{n} processes to load 1.1.0")
        time.sleep(poll_s * 0.5)  # the pollers are mid-interval, as in production
        published = time.time()
        channel.publish("1.0.0")
        wait(lambda: serving(procs, "1.0.0"), poll_s * 3 + 30, "every process to serve the rollback")
        times = [p.first_time("1.0.0") for p in procs]
        slowest = max(float(s["slowest_s"]) for p in procs for s in p.seen)  # type: ignore[arg-type]
        return max(t for t in times if t is not None) - published, slowest
    finally:
        stop(procs)
        server.stop()


# --- fault cases -------------------------------------------------------------------------------------


def fault_cases(root: Path, poll_s: float) -> list[tuple[str, str]]:
    bound = poll_s * 1.2 + 2
    results: list[tuple[str, str]] = []
    keys = signing.generate()
    channel = Channel(root=root / "faults", keys=keys)
    channel.publish("1.0.0")
    embedded = root / "prompts.lock.json"
    embedded.write_text(bundle_text({"production": "1.0.0"}))
    server = StaticServer(channel.root)

    # 1. down at start: the embedded bundle is served, then the channel once it answers
    server.stop()
    proc = start(server.url, keys, root / "state-down-start", poll_s, embedded)
    wait(lambda: (proc.latest() or {}).get("serial", 0) is None, 30, "the embedded bundle")
    channel.publish("1.1.0")
    server.start()
    took = wait(
        lambda: (proc.latest() or {}).get("version") == "1.1.0", bound + 1, "the channel after the outage"
    )
    assert "WARNING channel" in proc.stderr() and "reachable again" in proc.stderr()
    results.append(
        ("channel down at start", f"embedded bundle served; channel's 1.1.0 {took:.1f} s after it came up")
    )

    # 2. down mid-run: the last good version keeps being served; the new one arrives after the outage
    server.stop()
    channel.publish("1.2.0")
    time.sleep(poll_s * 2.5)
    assert (proc.latest() or {}).get("version") == "1.1.0", "served something else while the channel was down"
    server.start()
    took = wait(
        lambda: (proc.latest() or {}).get("version") == "1.2.0", bound + 1, "the channel after the outage"
    )
    assert proc.stderr().count("unreachable") == 2, proc.stderr()  # once per outage, not per poll
    results.append(
        ("channel down mid-run", f"1.1.0 served through the outage; 1.2.0 {took:.1f} s after it came up")
    )

    # 3. slow server (10 s per answer): no load_prompt call waits; the new version arrives once it is fast
    server.delay_s = 10.0
    channel.publish("1.0.0")
    mark = len(proc.seen)
    time.sleep(poll_s * 3)
    slow = max(float(s["slowest_s"]) for s in proc.seen[mark:])  # type: ignore[arg-type]
    assert (proc.latest() or {}).get("version") == "1.2.0"
    server.delay_s = 0.0
    took = wait(
        lambda: (proc.latest() or {}).get("version") == "1.0.0",
        10 + bound + 2,
        "the channel after the slow spell",
    )
    assert slow < 0.05, f"a load_prompt call took {slow:.3f} s while the server was slow"
    results.append(
        (
            "slow server (10 s)",
            f"slowest load_prompt {slow * 1000:.2f} ms; 1.0.0 {took:.1f} s after it sped up",
        )
    )

    # 4-6. what is never served: corrupt bundle, wrong signature, replayed older pointer
    def never(name: str, spoil: Callable[[], None], reason: str) -> None:
        before = (proc.latest() or {}).get("version")
        spoil()
        time.sleep(poll_s * 3)
        assert all(s["version"] == before for s in proc.seen[-3:]), f"{name}: served it"
        assert proc.stderr().count(reason) == 1, f"{name}: not said exactly once:\n{proc.stderr()}"
        results.append((name, f"never served ({poll_s * 3:g} s, ~{3} polls); logged once: '{reason}'"))

    def truncate(scratch: Path) -> None:
        named = json.loads((scratch / "channels" / "production.json").read_text())["payload"]["bundle"]
        target = scratch / "bundles" / f"{named.removeprefix('sha256:')}.json"
        target.write_bytes(target.read_bytes()[:-40])

    def corrupt() -> None:
        # published into a copy, truncated there, then moved in: no poll sees the good bundle first
        channel.publish_spoiled("1.1.0", truncate)

    never("corrupt bundle", corrupt, "bundle hash mismatch")
    never(
        "wrong signature",
        lambda: Channel(root=channel.root, keys=signing.generate()).publish("1.2.0"),
        "the signature does not verify",
    )
    channel.publish("1.0.0")
    wait(
        lambda: (
            (proc.latest() or {}).get("serial")
            == json.loads(channel.pointer().read_text())["payload"]["serial"]
        ),
        bound + 1,
        "a good publication",
    )
    old = channel.pointer().read_bytes()
    channel.publish("1.2.0")
    wait(lambda: (proc.latest() or {}).get("version") == "1.2.0", bound + 1, "1.2.0")
    never("replayed older pointer", lambda: channel.pointer().write_bytes(old), "replayed or older pointer")

    # 7. a process restarted while the channel is down: its last good copy on disk, with its serial
    serial = (proc.latest() or {}).get("serial")
    stop([proc])
    server.stop()
    again = start(server.url, keys, root / "state-down-start", poll_s)
    wait(lambda: again.latest() is not None, 30, "the restarted process")
    assert (again.latest() or {}).get("serial") == serial and (again.latest() or {}).get("version") == "1.2.0"
    results.append(("restarted while the channel is down", f"served its saved copy (1.2.0, serial {serial})"))
    stop([again])

    # 8. disk full when saving the last good copy
    server.start()
    results.append(("disk full saving the last good copy", disk_full(root, channel, server, poll_s)))
    server.stop()
    return results


def disk_full(root: Path, channel: Channel, server: StaticServer, poll_s: float) -> str:
    """Follow with state_dir on a full tmpfs (a private mount namespace); else on a path under a file."""
    mount = root / "full"
    mount.mkdir()
    fill = f"head -c 1000000 /dev/zero > {mount}/filler 2>/dev/null"  # fails once the disk is full
    shell = f'mount -t tmpfs -o size=64k tmpfs {mount} && {{ {fill}; exec "$@"; }}'
    how = "a 64 KiB tmpfs filled up (unshare -rm, private mount namespace)"
    wrap = ["unshare", "-rm", "sh", "-c", shell, "sh"]
    if shutil.which("unshare") is None or subprocess.run([*wrap, "true"], check=False).returncode != 0:
        (root / "blocker").write_text("a file where the folder should be")
        mount, wrap, how = root / "blocker", [], "state_dir below a regular file (no tmpfs: ENOTDIR)"
    proc = start(server.url, channel.keys, mount / "state", poll_s, wrap=wrap, home=root)
    wait(lambda: proc.latest() is not None, 30, "the process on a full disk")
    channel.publish("1.1.0")
    took = wait(
        lambda: (proc.latest() or {}).get("version") == "1.1.0", poll_s * 1.2 + 3, "1.1.0 on a full disk"
    )
    log = proc.stderr()
    stop([proc])
    assert log.count("cannot save the last good copy") == 1, log
    reason = "No space left on device" if "tmpfs" in how else "Not a directory"
    assert reason in log, log
    return f"{how}: served from memory, new version {took:.1f} s; logged once: '{reason}'"


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--app":
        app(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]), sys.argv[6])
        return 0
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", default="1,10,50")
    parser.add_argument("--poll-s", type=float, default=10.0)
    parser.add_argument("--fault-poll-s", type=float, default=1.0)
    parser.add_argument("--skip-faults", action="store_true")
    args = parser.parse_args()
    bound = args.poll_s * 1.2 + 2
    root = Path(tempfile.mkdtemp(prefix="promptops-propagation-"))
    failed = False
    try:
        print("| processes | poll_s | all serving the rollback after | bound | slowest load_prompt |")
        print("|---:|---:|---:|---:|---:|")
        for n in (int(x) for x in args.processes.split(",")):
            took, slowest = propagation(root, n, args.poll_s)
            ok = took <= bound
            failed |= not ok
            print(
                f"| {n} | {args.poll_s:g} s | {took:.2f} s {'ok' if ok else 'OVER'} | {bound:g} s "
                f"| {slowest * 1000:.2f} ms |",
                flush=True,
            )
        if not args.skip_faults:
            print(f"\nfault cases (poll_s {args.fault_poll_s:g} s):\n")
            print("| case | result |\n|---|---|")
            for name, result in fault_cases(root, args.fault_poll_s):
                print(f"| {name} | {result} |", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
