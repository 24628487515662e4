"""The bundle (prompts.lock.json): the environments and the released content of every version they serve."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptops.deploy.environments import Assignment, Canary, Environments
from promptops.errors import FileFormatError, Problem, UnknownPromptError
from promptops.formats import (
    Document,
    content_hash,
    decode,
    dump_json,
    key_path,
    load_json,
    schema,
    validate_data,
)
from promptops.project import read_bytes, write_atomic
from promptops.prompts.promptfile import check, to_spec
from promptops.spec import PromptSpec
from promptops.version import __version__

SCHEMA_VERSION = 1
MAX_BUNDLE_BYTES = 50_000_000
REBUILD = "rebuild it with `promptops bundle --out FILE` from the repository"


@dataclass(frozen=True, kw_only=True)
class BundledPrompt:
    """One released prompt version: its content, the hash of that content and the tag it was read from."""

    spec: PromptSpec
    content_hash: str
    tag: str


@dataclass(frozen=True, kw_only=True)
class Bundle:
    environments: Environments
    prompts: Mapping[tuple[str, str], BundledPrompt]  # by (name, version)
    file: str = ""

    def prompt(self, name: str, version: str) -> BundledPrompt:
        """Return the bundled `name@version`, or raise naming the versions the bundle holds."""
        found = self.prompts.get((name, version))
        if found is None:
            held = sorted(v for n, v in self.prompts if n == name)
            what = f"versions {', '.join(held)}" if held else "no version of it"
            raise UnknownPromptError(
                f"{self.file}: the bundle does not hold {name}@{version} (it holds {what})",
                hint="bundles hold the versions environments serve; promote it, then " + REBUILD,
            )
        return found


Resolve = Callable[[str, str], tuple[PromptSpec, str]]


def build(environments: Environments, resolve: Resolve) -> Bundle:
    """Return the bundle of `environments`; `resolve(name, version)` gives a released spec and its tag."""
    prompts = {}
    for name, version in environments.references():
        spec, tag = resolve(name, version)
        prompts[(name, version)] = BundledPrompt(
            spec=spec, content_hash=content_hash(spec.content()), tag=tag
        )
    return Bundle(environments=environments, prompts=prompts)


def to_data(bundle: Bundle) -> dict[str, Any]:
    """Return the bundle as plain data (the JSON file's content)."""
    envs: dict[str, dict[str, Any]] = {}
    for env, prompts in bundle.environments.envs.items():
        envs[env] = {name: _assignment_data(a) for name, a in prompts.items()}
    held: dict[str, dict[str, Any]] = {}
    for (name, version), entry in bundle.prompts.items():
        held.setdefault(name, {})[version] = {
            "content": entry.spec.content(),
            "content_hash": entry.content_hash,
            "tag": entry.tag,
        }
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_by": f"promptops {__version__}",
        "environments": envs,
        "prompts": held,
    }


def _assignment_data(assignment: Assignment) -> dict[str, Any]:
    data: dict[str, Any] = {"version": assignment.version}
    if assignment.canary is not None:
        data["canary"] = {"version": assignment.canary.version, "percent": assignment.canary.percent}
    return data


def dump(bundle: Bundle) -> str:
    """Return the deterministic JSON text of the bundle."""
    return dump_json(to_data(bundle))


def write(path: Path, bundle: Bundle) -> None:
    write_atomic(path, dump(bundle))


def read(path: Path, label: str | None = None) -> Bundle:
    """Return the verified bundle at `path`; raise FileFormatError when it is invalid or tampered with."""
    label = label or str(path)
    return parse(decode(read_bytes(path, label, MAX_BUNDLE_BYTES), label), label)


def parse(text: str, file: str) -> Bundle:
    """Return the verified bundle in `text`: every content hash and every environment reference checked."""
    data = load_json(text, file, hint=REBUILD)
    problems = validate_data(data, schema("bundle"), file=file)
    if problems:
        raise FileFormatError(problems, hint=REBUILD)
    prompts = {}
    for name, versions in data["prompts"].items():
        for version, entry in versions.items():
            prompts[(name, version)] = _verified(file, name, version, entry)
    environments = _environments(file, data["environments"], prompts)
    return Bundle(environments=environments, prompts=prompts, file=file)


def _verified(file: str, name: str, version: str, entry: dict[str, Any]) -> BundledPrompt:
    where = ("prompts", name, version)
    actual = content_hash(entry["content"])
    if actual != entry["content_hash"]:
        message = (
            f"content hash mismatch for {name}@{version}: the bundle records {entry['content_hash']}, "
            f"the content hashes to {actual}; the bundle was edited or corrupted"
        )
        raise FileFormatError(
            [Problem(file=file, line=None, path=key_path(where), message=message)], hint=REBUILD
        )
    doc = Document(file=f"{file}#{name}@{version}", data=entry["content"], lines={})
    problems = check(doc)
    if problems:
        raise FileFormatError(problems, hint=REBUILD)
    spec = to_spec(doc)
    if (spec.name, spec.version) != (name, version):
        message = f"holds {spec.name}@{spec.version} under the key {name}@{version}"
        raise FileFormatError(
            [Problem(file=file, line=None, path=key_path(where), message=message)], hint=REBUILD
        )
    return BundledPrompt(spec=spec, content_hash=actual, tag=entry["tag"])


def _environments(
    file: str, data: dict[str, dict[str, Any]], prompts: Mapping[tuple[str, str], BundledPrompt]
) -> Environments:
    envs: dict[str, dict[str, Assignment]] = {}
    for env, assignments in data.items():
        envs[env] = {}
        for name, value in assignments.items():
            canary = value.get("canary")
            assignment = Assignment(
                version=value["version"],
                canary=None
                if canary is None
                else Canary(version=canary["version"], percent=canary["percent"]),
            )
            for version in [assignment.version] + ([canary["version"]] if canary else []):
                if (name, version) not in prompts:
                    path = key_path(("environments", env, name))
                    message = f"serves {name}@{version}, which the bundle does not hold"
                    raise FileFormatError(
                        [Problem(file=file, line=None, path=path, message=message)], hint=REBUILD
                    )
            envs[env][name] = assignment
    return Environments(file=file, envs=envs)
