"""`traces stats --from` on 10 million records in Parquet (day partitions), beside the SQLite store.

Generates `--records` trace records (DESIGN §8.1 fields; ts_start a timestamp) spread evenly over `--days`
days, written by DuckDB as Parquet below `lake/day=YYYY-MM-DD/`, then times `promptops traces stats`
reading them in place, and the same question asked of the SQLite store after `traces import` of the
newest day (the store holds what was imported; importing 10 million records takes ~8 minutes).
Wall time and peak RSS are those of each promptops process (os.wait4).

Targets (issue 29): `traces stats --by version --since 1d` over the 10 million in <= 5 s and <= 1 GB.
Run: PYTHONPATH=src python benchmarks/traces_windows.py [--records 10000000] [--days 10] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from traces_speed import build

START = "2026-11-20 00:00:00+00"


def generate(lake: Path, count: int, days: int, hashes: dict[str, str]) -> None:
    """Write `count` records over `days` days as Parquet partitioned by day (one DuckDB statement)."""
    step_ms = days * 86_400_000 // count
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        f"""
        COPY (
          SELECT
            'call-' || i AS id,
            TIMESTAMPTZ '{START}' + to_milliseconds(i * {step_ms}) AS ts_start,
            'promptops' AS source,
            {{'name': 'order-id',
              'version': CASE WHEN hash(i) % 10 = 0 THEN '1.1.0' ELSE '1.0.0' END,
              'hash': CASE WHEN hash(i) % 10 = 0 THEN '{hashes["1.1.0"]}' ELSE '{hashes["1.0.0"]}' END,
              'environment': 'production',
              'arm': CASE WHEN hash(i) % 10 = 0 THEN 'canary' ELSE 'control' END}} AS prompt,
            {{'requested': 'openai/gpt-4o-mini-2024-07-18', 'served': 'gpt-4o-mini-2024-07-18',
              'provider': 'openai'}} AS model,
            {{'input': 200 + hash(i * 3) % 700, 'output': 3 + hash(i * 5) % 10, 'cache_read': 0}} AS usage,
            CASE WHEN hash(i * 7) % 100 = 0 THEN NULL ELSE 0.00005 + (hash(i * 11) % 15000) / 1e8 END
              AS cost_usd,
            round(exp(6.2 + 0.4 * sqrt(-2 * ln((hash(i * 13) % 999999 + 1) / 1e6))
              * cos(2 * pi() * (hash(i * 17) % 1000000) / 1e6)), 1) AS latency_ms,
            CASE WHEN hash(i * 19) % 3 = 0 THEN 80 + hash(i * 23) % 400 END AS ttft_ms,
            CASE WHEN hash(i * 7) % 100 = 0 THEN 'error' ELSE 'ok' END AS status,
            strftime(TIMESTAMPTZ '{START}' + to_milliseconds(i * {step_ms}), '%Y-%m-%d') AS day
          FROM range({count}) t(i)
        ) TO '{lake}' (FORMAT parquet, PARTITION_BY (day), ROW_GROUP_SIZE 122880)
        """
    )
    con.close()


def export_day(lake: Path, day: str, target: Path) -> int:
    """Write the records of `day` as record-format JSON Lines (for `traces import`); return how many."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        f"COPY (SELECT * REPLACE (strftime(ts_start, '%Y-%m-%dT%H:%M:%S.%gZ') AS ts_start) "
        f"FROM read_parquet('{lake}/day={day}/*.parquet')) TO '{target}' (FORMAT json)"
    )
    (count,) = con.execute(f"SELECT count(*) FROM read_parquet('{lake}/day={day}/*.parquet')").fetchone()
    con.close()
    return int(count)


def run(root: Path, *args: str) -> tuple[float, float, str]:
    """Run promptops in a fresh process; return its wall seconds, its peak RSS in MB and its stdout.

    The peak comes from GNU time (`/usr/bin/time -f %M`): a forked child's own rusage would count this
    process's pages (the generator's DuckDB) until its exec.
    """
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    began = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "promptops", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - began
    if proc.returncode not in (0, 1):  # 1: a canary verdict of ROLLBACK is an answer, not a failure
        raise SystemExit(f"promptops {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
    return wall, int(proc.stderr.strip().splitlines()[-1]) / 1024, proc.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--keep", type=Path, help="build in this directory and keep it")
    parser.add_argument("--skip-sqlite", action="store_true", help="time only the Parquet window")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="promptops-windows-"))
    root.mkdir(parents=True, exist_ok=True)
    lake = root / "lake"
    if not lake.exists():
        hashes = build(root)
        began = time.perf_counter()
        generate(lake, args.records, args.days, hashes)
        size = sum(f.stat().st_size for f in lake.rglob("*.parquet")) / 1e6
        took = time.perf_counter() - began
        print(f"generated {args.records:,} records in Parquet ({size:.0f} MB) in {took:.0f} s")
    # a 10% canary of 1.1.0 beside 1.0.0, for `canary analyze`
    envs = "production:\n  order-id: {version: 1.0.0, canary: {version: 1.1.0, percent: 10}}\n"
    (root / "environments.yaml").write_text(envs, encoding="utf-8")
    source = "lake/**/*.parquet"
    print("| store | command | wall | peak RSS |")
    print("|---|---|---:|---:|")
    asks = (("--by", "version", "--since", "1d"), ("--by", "day"), ("--by", "arm", "--since", "7d"))
    for ask in asks:
        wall, rss, _ = run(root, "traces", "stats", *ask, "--from", source)
        print(
            f"| Parquet, {args.records:,} records | `traces stats {' '.join(ask)} --from {source}` "
            f"| {wall:.2f} s | {rss:.0f} MB |"
        )
    canary = ("canary", "analyze", "order-id", "--env", "production")
    for since in ("1h", "24h"):
        wall, rss, _ = run(root, *canary, "--since", since, "--from", source)
        print(
            f"| Parquet, {args.records:,} records | `{' '.join(canary)} --since {since} --from {source}` "
            f"| {wall:.2f} s | {rss:.0f} MB |"
        )
    if not args.skip_sqlite:
        newest = max(p.name.removeprefix("day=") for p in lake.iterdir())
        count = export_day(lake, newest, root / "day.jsonl")
        wall, rss, _ = run(root, "traces", "import", "day.jsonl")
        what = f"`traces import` of the newest day ({count:,} records)"
        print(f"| SQLite store | {what} | {wall:.1f} s | {rss:.0f} MB |")
        wall, rss, _ = run(root, "traces", "stats", "--by", "version", "--since", "1d")
        what = "`traces stats --by version --since 1d`"
        print(f"| SQLite store, {count:,} records | {what} | {wall:.2f} s | {rss:.0f} MB |")
        wall, rss, _ = run(root, *canary, "--since", "24h")
        what = f"`{' '.join(canary)} --since 24h`"
        print(f"| SQLite store, {count:,} records | {what} | {wall:.2f} s | {rss:.0f} MB |")
    if args.keep is None:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    sys.exit(main())
