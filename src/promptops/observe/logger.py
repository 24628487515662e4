"""The old import path of the litellm callback, kept working:
`from promptops.observe.logger import TraceLogger`."""

from promptops.observe.traces.logger import TraceLogger

__all__ = ["TraceLogger"]
