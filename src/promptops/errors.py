"""ExitCode and the one exception hierarchy every user-facing error belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    BAD_INPUT = 2
    UNAVAILABLE = 3
    INTERNAL = 4
    INTERRUPTED = 130


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One located problem in an input file: `file:line: key path: what`."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        what = f"{self.path}: {self.message}" if self.path else self.message
        return f"{where}: {what}" if where else what


class PromptOpsError(Exception):
    """Base of every error a user can cause or fix; the CLI prints it without a traceback."""

    exit_code: ExitCode = ExitCode.BAD_INPUT

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def lines(self) -> list[str]:
        """Return the message lines to print after `error: `."""
        return [self.message]


class InputError(PromptOpsError):
    """Bad input: usage, an invalid file, an unknown prompt or ref (exit 2)."""


class FileFormatError(InputError):
    """One or more located problems in input files, reported all at once."""

    def __init__(self, problems: list[Problem], *, hint: str | None = None) -> None:
        if not problems:
            raise ValueError("FileFormatError needs at least one problem")
        super().__init__(str(problems[0]), hint=hint)
        self.problems = list(problems)

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class UnknownPromptError(InputError):
    """A prompt name or version that does not exist."""


class RefError(InputError):
    """A git ref, tag or repository problem."""


class TemplateError(InputError):
    """A template that cannot be parsed or rendered, or that reached for Python internals."""


class IncomparableBaselineError(InputError):
    """The baseline was produced from a different dataset or scorer configuration."""


class UnavailableError(PromptOpsError):
    """Could not evaluate: provider unreachable, auth, rate limits, too many errors (exit 3)."""

    exit_code = ExitCode.UNAVAILABLE


class ChannelUnavailableError(UnavailableError):
    """A channel-following load_prompt has nothing to serve: every source it tried failed (exit 3)."""
