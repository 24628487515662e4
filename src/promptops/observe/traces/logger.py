"""A litellm callback that appends one trace record per call to a JSON Lines file.

For applications that already use litellm (importing this module imports it):

    from promptops.observe.traces.logger import TraceLogger
    litellm.callbacks = [TraceLogger("traces.jsonl")]

then `promptops traces import traces.jsonl`. Secrets are scrub_result before a line is written.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from litellm.integrations.custom_logger import CustomLogger

from promptops.observe.traces import litellm_payload
from promptops.observe.traces.record import RecordError, to_data
from promptops.observe.traces.redaction import scrub_record
from promptops.secrets import secret_values


class TraceLogger(CustomLogger):
    """Appends the trace record of every successful and failed litellm call to `path`."""

    def __init__(self, path: str | os.PathLike[str], *, content: bool = True) -> None:
        super().__init__()
        self.path = Path(path)
        self.content = content  # False: no variables, messages or output in the file
        self._lock = threading.Lock()
        self._secrets = secret_values()

    def line(self, kwargs: dict[str, Any]) -> str | None:
        """Return the JSON line for one callback's kwargs, None when litellm gave no standard payload."""
        payload = kwargs.get("standard_logging_object")
        try:
            record = litellm_payload.record(payload)
        except RecordError:
            return None
        data = to_data(scrub_record(record, self._secrets))
        if not self.content:
            for key in ("variables", "input_messages", "output"):
                data.pop(key, None)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    def _write(self, kwargs: dict[str, Any]) -> None:
        text = self.line(kwargs)
        if text is None:
            return
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(text + "\n")

    def log_success_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        self._write(kwargs)

    def log_failure_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        self._write(kwargs)

    async def async_log_success_event(
        self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        self._write(kwargs)

    async def async_log_failure_event(
        self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        self._write(kwargs)
