#!/usr/bin/env bash
# The promptops loop on a real (small, local) model: the released prompt passes its eval gate, a
# change that drops its few-shot examples is blocked, and the report says why.
# Usage: examples/quickstart/demo.sh [DIR]   (PROMPTOPS=path/to/promptops; DIR defaults to a new temp dir)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
promptops="${PROMPTOPS:-promptops}"
work="${1:-$(mktemp -d "${TMPDIR:-/tmp}/promptops-demo.XXXXXX")}"

step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }
say() { printf '%s\n' "$*" >&2; }
run() { printf '$ %s\n' "$*" >&2; "$@"; }
now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

command -v "$promptops" >/dev/null || { say "error: $promptops not found (run \`make demo\`, or set PROMPTOPS)"; exit 2; }
case "$promptops" in */*) promptops="$(cd "$(dirname "$promptops")" && pwd)/$(basename "$promptops")" ;; esac

step "1/4 A project with a released prompt, its golden set and its committed baseline"
mkdir -p "$work"
cd "$work"
tar -C "$here" --exclude=./candidate --exclude=./demo.sh --exclude=./README.md --exclude=./.promptops -cf - . | tar -xf -
git init -q -b main
git config user.name "promptops demo"
git config user.email demo@example.com
git add -A
git commit -q -m "order-id 1.0.0 with its baseline"
run "$promptops" release
say "project: $work (model: local/smollm2-135m-instruct, run in-process; no API key, no network)"

step "2/4 Eval the released prompt against its baseline (expect PASS, exit 0)"
mkdir -p reports
start="$(now)"
set +e
run "$promptops" eval order-id --out reports/main.json --report-md reports/main.md
code=$?
set -e
say "exit $code after $(took "$start")"
if [ "$code" -ne 0 ]; then say "demo: expected exit 0 from the released prompt"; exit 1; fi

step "3/4 A pull request: drop the few-shot examples (order-id 1.1.0)"
git switch -q -c drop-examples
cp "$here/candidate/order-id.yaml" prompts/order-id.yaml
git commit -q -am "order-id 1.1.0: a shorter prompt without the examples"
run "$promptops" diff order-id --base main

step "4/4 Eval the change against the baseline on main (expect FAIL, exit 1)"
start="$(now)"
set +e
run "$promptops" eval order-id --baseline-ref main --out reports/drop-examples.json \
  --report-md reports/drop-examples.md --junit reports/drop-examples.xml
code=$?
set -e
say "exit $code after $(took "$start")"
if [ "$code" -ne 1 ]; then say "demo: expected exit 1 (gate failed) from the change"; exit 1; fi

step "The report (what the pull-request comment would say)"
cat reports/drop-examples.md
say ""
say "The gate blocked the change. Files to look at:"
say "  $work/reports/drop-examples.md    the markdown report above (the PR comment)"
say "  $work/reports/drop-examples.xml   JUnit XML, one testcase per golden case"
say "  $work/reports/drop-examples.json  the results: every case's output and scores"
say "  $work/reports/main.md  main.json  the passing report and results of the released prompt"
