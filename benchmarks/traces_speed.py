"""Wall time and peak memory of `promptops traces import` on 1,000,000 records, and of `traces stats` on them.

Targets: import under 60 s and under 300 MB peak RSS; stats under 2 s.
Run: python benchmarks/traces_speed.py [--records 1000000] [--keep DIR]
     python benchmarks/traces_speed.py --workflows  (the records are 100,000 agent runs of 10 calls each,
     with tool calls; also times `traces stats --workflows` and `--by tool`)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROMPT = """\
name: order-id
version: {version}
model: openai/gpt-4o-mini-2024-07-18
params: {{temperature: 0, max_tokens: 16}}
messages:
  - role: system
    content: "Extract the order ID (v{version}). Reply with the ID only."
  - role: user
    content: "Message: {{{{ message }}}}"
"""
VERSIONS = ("1.0.0", "1.1.0")


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def build(root: Path) -> dict[str, str]:
    """Create a project with two released versions; return their content hashes."""
    from promptops.formats import content_hash
    from promptops.prompts.promptfile import read_prompt

    git(root, "init", "-q", "-b", "main")
    (root / "promptops.yaml").write_text("version: 1\n")
    (root / ".gitignore").write_text(".promptops/\n*.jsonl\n")
    (root / "prompts").mkdir()
    hashes = {}
    for version in VERSIONS:
        text = PROMPT.format(version=version)
        (root / "prompts/order-id.yaml").write_text(text)
        git(root, "add", "-A")
        who = ("-c", "user.name=b", "-c", "user.email=b@b")
        git(root, *who, "commit", "-q", "-m", version)
        git(root, *who, "tag", "-a", f"prompts/order-id/v{version}", "-m", version)
        hashes[version] = content_hash(read_prompt(text.encode(), "x").content())
    return hashes


RUN_CALLS = 10  # --workflows: calls per agent run (1,000,000 records are 100,000 runs)
TOOLS = ("search_orders", "lookup_customer", "issue_refund")


def agent(rng: random.Random, i: int, record: dict[str, object]) -> None:
    """Make `record` (call i) step i % RUN_CALLS of run i // RUN_CALLS; all but its last step call a tool."""
    run, step = divmod(i, RUN_CALLS)
    last = step == RUN_CALLS - 1
    timeout = last and run % 200 == 0
    record["workflow"] = {
        "id": f"run-{run:07d}",
        "name": "support-agent",
        "step": step + 1,
        "status": "error" if timeout else "ok",
        "error_type": "timeout" if timeout else None,
    }
    if not last:
        failed = rng.random() < 0.02
        record["tool_calls"] = [
            {
                "name": TOOLS[step % len(TOOLS)],
                "id": f"call-{i}",
                "status": "error" if failed else "ok",
                "error_type": "TimeoutError" if failed else None,
                "latency_ms": round(rng.lognormvariate(4.5, 0.5), 1),
            }
        ]


def generate(path: Path, count: int, hashes: dict[str, str], workflows: bool = False) -> None:
    rng = random.Random(7)
    start = 1_796_000_000_000
    with path.open("w", encoding="utf-8") as out:
        canary = False
        for i in range(count):
            if not workflows or i % RUN_CALLS == 0:  # a run is served by one arm
                canary = rng.random() < 0.1
            version = VERSIONS[1] if canary else VERSIONS[0]
            ts = start + i * 600  # a week of traffic
            error = rng.random() < 0.01
            record = {
                "id": f"call-{i:08d}",
                "trace_id": f"{i:032x}",
                "response_id": f"chatcmpl-{i:08d}",
                "ts_start": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts / 1000)) + f".{ts % 1000:03d}Z",
                "source": "promptops",
                "prompt": {
                    "name": "order-id",
                    "version": version,
                    "hash": hashes[version],
                    "environment": "production",
                    "arm": "canary" if canary else "control",
                },
                "model": {
                    "requested": "openai/gpt-4o-mini-2024-07-18",
                    "served": "gpt-4o-mini-2024-07-18",
                    "provider": "openai",
                },
                "usage": {"input": rng.randint(200, 900), "output": rng.randint(3, 12), "cache_read": 0},
                "cost_usd": None if error else round(rng.uniform(0.00005, 0.0002), 8),
                "cost_source": "unknown" if error else "computed",
                "latency_ms": round(rng.lognormvariate(6.2, 0.4), 1),
                "status": "error" if error else "ok",
                "error_type": "RateLimitError" if error else None,
                "finish_reason": None if error else "stop",
                "variables": {"message": f"Where is my order ORD-{rng.randint(10000, 99999)}?"},
                "output": None if error else f"ORD-{rng.randint(10000, 99999)}",
            }
            if workflows:
                agent(rng, i, record)
            out.write(json.dumps(record, separators=(",", ":")) + "\n")


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(root: Path, *args: str) -> tuple[str, str, str]:
    """Run promptops; return its wall and CPU time (a shared machine skews only the first), stdout, stderr."""
    began, cpu_began = time.perf_counter(), cpu()
    command = [sys.executable, "-m", "promptops", *args]
    proc = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    elapsed, used = time.perf_counter() - began, cpu() - cpu_began
    if proc.returncode != 0:
        raise SystemExit(f"promptops {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
    return f"{elapsed:.2f} s wall, {used:.2f} s CPU", proc.stdout, proc.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="build in this directory and keep it")
    parser.add_argument("--stats-only", action="store_true", help="time stats on the store kept in --keep")
    parser.add_argument("--workflows", action="store_true", help="records in agent runs of 10 calls")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="promptops-traces-"))
    root.mkdir(parents=True, exist_ok=True)
    if args.stats_only:
        return stats(root, args.workflows)
    hashes = build(root)
    file = root / "traces.jsonl"
    began = time.perf_counter()
    generate(file, args.records, hashes, args.workflows)
    size = file.stat().st_size / 1e6
    print(f"generated {args.records} records ({size:.0f} MB) in {time.perf_counter() - began:.1f} s")

    elapsed, _, err = run(root, "traces", "import", "traces.jsonl")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kB on Linux
    print(err.strip())
    print(f"traces import: {elapsed}, peak RSS {peak_mb:.0f} MB (targets: 60 s, 300 MB)")
    stats(root, args.workflows)
    if args.keep is None:
        subprocess.run(["rm", "-rf", str(root)], check=False)
    return 0


def stats(root: Path, workflows: bool = False) -> int:
    runs = (("--workflows",), ("--workflows", "--format", "json"), ("--by", "tool")) if workflows else ()
    for extra in ((), ("--by", "arm"), ("--since", "1d", "--by", "day"), ("--format", "json"), *runs):
        elapsed, out, _ = run(root, "traces", "stats", "order-id", *extra)
        print(f"traces stats order-id {' '.join(extra)}: {elapsed} (target: 2 s)")
        if not extra or extra in (("--workflows",), ("--by", "tool")):
            print(out.rstrip())
    return 0


if __name__ == "__main__":
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    sys.exit(main())
