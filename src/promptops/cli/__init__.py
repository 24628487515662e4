"""The CLI's one error boundary: known errors become a line and an exit code, bugs a traceback."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from types import FrameType

from promptops.errors import ExitCode, PromptOpsError

BUG_HINT = "please report it with the traceback above at https://github.com/promptops/promptops-cli/issues"
TERMINATED = 143  # 128 + SIGTERM: what a shell reports for a job that was told to stop


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return the process exit code."""
    debug, args = _debug(list(sys.argv[1:] if argv is None else argv))
    with _sigterm_as_interrupt() as stopped:
        try:
            result = _run(args)
        except BaseException as exc:  # the one place every error ends up
            return _handle(exc, debug=debug, stopped=bool(stopped))
    if stopped and result == int(ExitCode.INTERRUPTED):
        return TERMINATED  # typer answered the interrupt with 130 itself
    return result


def _run(args: list[str]) -> int:
    from promptops.cli import output
    from promptops.cli.app import app

    result = app(args=args, prog_name="promptops", standalone_mode=False)
    if result == ExitCode.INTERRUPTED:  # typer turns a KeyboardInterrupt inside a command into Exit(130)
        output.error(["interrupted"], None)
    return result if isinstance(result, int) else int(ExitCode.OK)


def _handle(exc: BaseException, *, debug: bool, stopped: bool) -> int:
    """Return the exit code for `exc`, after printing what the user needs to see."""
    import typer

    from promptops.cli import output

    if isinstance(exc, PromptOpsError):
        if debug:
            traceback.print_exception(exc)
        output.error(exc.lines(), exc.hint)
        return int(exc.exit_code)
    if isinstance(exc, (typer.Abort, KeyboardInterrupt)):
        output.error(["terminated" if stopped else "interrupted"], None)
        return TERMINATED if stopped else int(ExitCode.INTERRUPTED)
    if isinstance(exc, typer.TyperException):
        output.usage_error(exc)
        return int(ExitCode.BAD_INPUT)
    if isinstance(exc, BrokenPipeError):
        return _closed_pipe()
    if isinstance(exc, SystemExit):
        # click and rich turn a closed stdout (EPIPE) into exit 1, which reads as "the check said no"
        if hasattr(sys.stdout, "wrapped") or isinstance(exc.__context__, BrokenPipeError):
            return _closed_pipe()
        raise exc
    traceback.print_exception(exc)
    output.error(["internal error: this is a bug in promptops"], BUG_HINT)
    return int(ExitCode.INTERNAL)


def _debug(args: list[str]) -> tuple[bool, list[str]]:
    """Return whether `--debug` was given anywhere before `--`, and the arguments without it."""
    end = args.index("--") if "--" in args else len(args)
    kept = [a for a in args[:end] if a != "--debug"] + args[end:]
    return len(kept) != len(args), kept


def _closed_pipe() -> int:
    # `promptops log x | head -1`: the reader has what it wanted; point stdout at /dev/null so the
    # interpreter's last flush cannot fail again, and report success
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return int(ExitCode.OK)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[list[bool]]:
    """Treat SIGTERM (what CI runners send on cancel) as Ctrl-C: finished results are kept.

    Yields a list that is non-empty once SIGTERM arrived, so the exit code can say which signal it was.
    """
    stopped: list[bool] = []
    if threading.current_thread() is not threading.main_thread():
        yield stopped
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        stopped.append(True)
        if signal.getsignal(signal.SIGINT) in (signal.SIG_IGN, signal.SIG_DFL, None):
            raise KeyboardInterrupt  # SIGINT is ignored (a background job): interrupt directly
        signal.raise_signal(signal.SIGINT)  # the same path as Ctrl-C, inside asyncio too

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield stopped
    finally:
        signal.signal(signal.SIGTERM, previous)
