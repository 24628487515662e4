"""The old import path of the litellm callback, kept working (`promptops.observe.logger.TraceLogger`)."""

from promptops.observe.traces.logger import TraceLogger

__all__ = ["TraceLogger"]
