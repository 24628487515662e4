"""The CLI's one error boundary: known errors become a line and an exit code, bugs a traceback."""

from __future__ import annotations

import sys
import traceback

from promptops.errors import ExitCode, PromptOpsError

BUG_HINT = "please report it with the traceback above at https://github.com/promptops/promptops-cli/issues"


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return the process exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return _run(args)
    except BaseException as exc:  # the one place every error ends up
        return _handle(exc, debug="--debug" in args)


def _run(args: list[str]) -> int:
    from promptops.cli import output
    from promptops.cli.app import app

    result = app(args=args, prog_name="promptops", standalone_mode=False)
    if result == ExitCode.INTERRUPTED:  # typer turns a KeyboardInterrupt inside a command into Exit(130)
        output.error(["interrupted"], None)
    return result if isinstance(result, int) else int(ExitCode.OK)


def _handle(exc: BaseException, debug: bool) -> int:
    """Return the exit code for `exc`, after printing what the user needs to see."""
    import typer

    from promptops.cli import output

    if isinstance(exc, PromptOpsError):
        if debug:
            traceback.print_exception(exc)
        output.error(exc.lines(), exc.hint)
        return int(exc.exit_code)
    if isinstance(exc, (typer.Abort, KeyboardInterrupt)):
        output.error(["interrupted"], None)
        return int(ExitCode.INTERRUPTED)
    if isinstance(exc, typer.TyperException):
        output.usage_error(exc)
        return int(ExitCode.BAD_INPUT)
    if isinstance(exc, BrokenPipeError):
        return int(ExitCode.OK)
    if isinstance(exc, SystemExit):
        raise exc
    traceback.print_exception(exc)
    output.error(["internal error: this is a bug in promptops"], BUG_HINT)
    return int(ExitCode.INTERNAL)
