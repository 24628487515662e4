"""The working tree's prompt files: a prompt read by name, and the `use:` tools it reads beside it."""

from __future__ import annotations

from promptops.errors import InputError
from promptops.project import PROMPT_NAME, Project, read_bytes
from promptops.prompts.promptfile import ToolSource, read_prompt
from promptops.spec import PromptSpec


def load_prompt(project: Project, name: str) -> PromptSpec:
    """Return the working-tree PromptSpec of `name`."""
    if not PROMPT_NAME.fullmatch(name):
        # also keeps `../x` from reading files outside prompts/
        raise InputError(
            f"invalid prompt name '{name}'",
            hint="names are lowercase path segments below prompts/, e.g. order-id or support/triage",
        )
    path = project.prompt_path(name)
    if not path.exists():
        known = ", ".join(project.prompt_names()) or "none"
        raise InputError(
            f"unknown prompt '{name}' (known: {known})", hint=f"expected a file at {project.relative(path)}"
        )
    label = project.relative(path)
    return read_prompt(read_bytes(path, label), label, tool_source(project))


def tool_source(project: Project) -> ToolSource:
    """Return where working-tree prompts read their `use:` tools (tools_dir, inside the project)."""

    def read(relative: str) -> bytes | None:
        path = project.contained(project.root / relative)
        return read_bytes(path, relative) if path.is_file() else None

    return ToolSource(read=read, directory=project.config.tools_dir)
