"""The `llm_judge` scorer: a pinned judge model grades the output against a rubric."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from promptops.evals.calls import CallRequest
from promptops.evals.scoring.base import Outcome, ScorerError, Subject, Unchecked, register, text_of
from promptops.formats import find

INSTRUCTIONS = (
    "You are a strict evaluator. Grade the RESPONSE against the RUBRIC. Reply with only a JSON object: "
    '{"score": <a number from 0 to 1>, "reason": "<one sentence>"}.'
)
_OBJECT = re.compile(r"\{.*\}", re.DOTALL)
_WORD = re.compile(r"^\W*(PASS|FAIL)\b", re.IGNORECASE)


def parse_verdict(text: str) -> Outcome:
    """Return the judge's score and reason; raise ScorerError when the verdict cannot be read."""
    try:
        match = find(_OBJECT.pattern, text, _OBJECT.flags)  # bounded: a judge's answer can be steered
    except TimeoutError as exc:
        raise ScorerError(f"{exc} reading the judge verdict") from None
    if match is not None:
        try:
            data = json.loads(match.group(0))
        except ValueError:
            data = None
        if isinstance(data, dict):
            score = data.get("score", data.get("pass"))
            reason = data.get("reason")
            detail = None if reason is None else str(reason)
            if isinstance(score, bool):
                return Outcome(value=1.0 if score else 0.0, detail=detail)
            if isinstance(score, int | float) and 0 <= score <= 1:
                return Outcome(value=float(score), detail=detail)
    word = _WORD.match(text)
    if word is not None:
        return Outcome(
            value=1.0 if word.group(1).upper() == "PASS" else 0.0, detail=text.strip()[:200] or None
        )
    raise ScorerError(f"judge verdict could not be parsed: {text.strip()[:120]!r}")


class LlmJudge(Unchecked):
    """Asks `model` (pinned) whether the output meets `rubric`; default pass mark 0.5."""

    schema: Mapping[str, Any] = {
        "required": ["rubric", "model"],
        "properties": {
            "rubric": {"type": "string", "minLength": 1},
            "model": {"type": "string", "minLength": 1},
            "params": {"type": "object"},
        },
    }
    threshold: float = 0.5

    def request(self, options: Mapping[str, Any], subject: Subject) -> CallRequest:
        """Return the judge call for `subject` (deterministic, so it is cached like any call)."""
        question = next((c for r, c in reversed(subject.messages) if r == "user"), "")
        parts = [f"RUBRIC:\n{options['rubric']}", f"INPUT:\n{question}"]
        if subject.case.expected is not None:
            parts.append(f"EXPECTED:\n{text_of(subject.case.expected)}")
        parts.append(f"RESPONSE:\n{subject.output}")
        params = {"temperature": 0, **dict(options.get("params") or {})}
        return CallRequest(
            model=options["model"],
            messages=(("system", INSTRUCTIONS), ("user", "\n\n".join(parts))),
            params=params,
        )

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        if subject.judge is None:
            raise ScorerError("no judge model available in this context")
        reply = await subject.judge(self.request(options, subject))
        return parse_verdict(reply.text)


register("llm_judge", LlmJudge())
