"""How closely `eval --latency-profile` measures a known time to first token, on both provider paths.

The local server (tests/support/openai_server.py) sends its role chunk at once, the first content token
after `--first-token-delay` seconds and the rest a word every `--chunk-delay` seconds; the measured
first chunk, TTFT p50/p95 and output rate are set beside those known values. Each eval runs in a
fresh process (as CI runs it); wall time includes the interpreter start and the two warm-up calls.

Run: PYTHONPATH=src python benchmarks/latency_profile.py [--cases 50] [--first-token-delay 0.2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.evalproject import order_id_answer, write_project
from support.openai_server import FakeOpenAI


def profile(root: Path, server: FakeOpenAI, litellm: bool) -> tuple[dict[str, float], float]:
    src = str(Path(__file__).resolve().parents[1] / "src")  # this tree's promptops, from any cwd
    env = {**os.environ, "OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "bench", "PYTHONPATH": src}
    if litellm:
        env["PROMPTOPS_PROVIDER"] = "litellm"
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "promptops", "eval", "order-id", "--latency-profile"],
        cwd=root,
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode not in (0, 1):  # 1: the answers fail the suite's scorers, which is not measured here
        raise SystemExit(done.stderr)
    wall = time.perf_counter() - start
    data = json.loads((root / ".promptops/runs/latest.json").read_text(encoding="utf-8"))
    return data["suites"]["order-id"]["summary"], wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--first-token-delay", type=float, default=0.2)
    parser.add_argument("--chunk-delay", type=float, default=0.02)
    args = parser.parse_args()
    server = FakeOpenAI(answers=lambda m: order_id_answer(m) + " is on its way to you")
    server.first_token_delay, server.chunk_delay = args.first_token_delay, args.chunk_delay
    server.start()
    print(
        f"{args.cases} cases; first token after {args.first_token_delay * 1000:.0f} ms, "
        f"then 5 more words {args.chunk_delay * 1000:.0f} ms apart"
    )
    print("| path | first chunk p50 | TTFT p50 | TTFT p95 | output tok/s | wall |")
    print("|---|---:|---:|---:|---:|---:|")
    try:
        for name, litellm in (("fast path (aiohttp)", False), ("litellm", True)):
            with tempfile.TemporaryDirectory() as tmp:
                root = write_project(Path(tmp), count=args.cases)
                s, wall = profile(root, server, litellm)
                print(
                    f"| {name} | {s['first_chunk_p50_ms']:.1f} ms | {s['ttft_p50_ms']:.1f} ms "
                    f"| {s['ttft_p95_ms']:.1f} ms | {s['output_tokens_per_s']:.0f} | {wall:.1f} s |"
                )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
