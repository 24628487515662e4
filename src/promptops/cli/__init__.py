"""The CLI's one error boundary: known errors become a line and an exit code, bugs a traceback."""

from __future__ import annotations

import sys
import traceback

from promptops.errors import ExitCode, PromptOpsError


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return the process exit code."""
    import typer

    from promptops.cli import output
    from promptops.cli.app import app

    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        result = app(args=args, prog_name="promptops", standalone_mode=False)
    except PromptOpsError as exc:
        if debug:
            traceback.print_exc()
        output.error(exc.lines(), exc.hint)
        return int(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        output.error(["interrupted"], None)
        return int(ExitCode.INTERRUPTED)
    except typer.TyperException as exc:
        output.usage_error(exc)
        return int(ExitCode.BAD_INPUT)
    except BrokenPipeError:
        return int(ExitCode.OK)
    except Exception:
        traceback.print_exc()
        output.error(
            ["internal error: this is a bug in promptops"],
            "please report it with the traceback above at https://github.com/promptops/promptops-cli/issues",
        )
        return int(ExitCode.INTERNAL)
    if result == ExitCode.INTERRUPTED:  # typer turns a KeyboardInterrupt inside a command into Exit(130)
        output.error(["interrupted"], None)
    if isinstance(result, int):
        return result
    return int(ExitCode.OK)
