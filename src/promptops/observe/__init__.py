"""Observe: production calls as trace records, attributed to prompt versions, in a local store.

The pieces:
- `record`: the trace record (DESIGN §8.1, `schemas/trace.schema.json`): `TraceRecord`, `from_data`,
  `to_data`.
- `otlp`, `litellm_payload`, `reader`: OTLP JSON lines, litellm standard logging payloads and the record
  format itself, read line by line; `logger.TraceLogger`: a litellm callback writing records
  (it imports litellm).
- `ingest.import_files`: files into the store, redacted, checked by `attribution.Attribution` against the
  released versions' content hashes; `feedback.import_file`: user ratings joined by id or response id.
- `store.TraceStore`: `.promptops/traces/` (JSONL segments + SQLite index). The query API later stations
  (canary analysis, scoring, the flywheel, cost) use:

      with TraceStore.open(location(project)) as store:
          window = Window(prompt="order-id", env="production", arm="canary", since_ms=..., until_ms=...)
          store.count(window); store.newest_ms(); store.unattributed(window)
          for record in store.records(window): ...        # full records, oldest first, scores attached
          store.add_scores([(record.id, Score("judge_ok", 1.0, "judge", "gpt-4o", at))])  # idempotent
          store.scores([record_id, ...]); store.find(response_id="chatcmpl-...")

  `Window(attributed=True)` (the default) reads only records attributed to their version; `None` reads all.
  For aggregates, `store.db` is the SQLite connection (table `records`, columns `store.COLUMNS`; `scores`).
- `feed.read_calls`, `flywheel`, `proposals`, `placeholders`: production records become proposed cases
  (`cases propose`), reviewed ones golden (`cases accept`); `spend`: `cost project` and `budget check`.
- `summary.compute`: the `traces stats` figures (Wilson intervals for rates, order-statistic intervals for
  latency percentiles) and their text, markdown and JSON forms.
- Evaluating in production: `scoring` (the suite's scorers on sampled records), `window` (a canary's
  calls read from the store), `metric`, `canary` and `latency` (per-metric always-valid comparisons),
  `verdict` (PROMOTE / CONTINUE / ROLLBACK / INCONCLUSIVE) and `canary_report` (text, markdown, JSON).
"""
