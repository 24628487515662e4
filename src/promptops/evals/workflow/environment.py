"""The minimal environment of a target's child process: no provider keys, base URLs at the proxy (§9.3)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping

# every provider base-URL variable a client library reads; each points at the loopback proxy
BASE_URL_VARIABLES = (
    "OPENAI_BASE_URL",
    "OPENAI_API_BASE",
    "ANTHROPIC_BASE_URL",
    "AZURE_OPENAI_ENDPOINT",
    "MISTRAL_API_BASE",
    "GROQ_API_BASE",
    "LITELLM_API_BASE",
)
PASSED = (
    "PATH",
    "LANG",
    "LC_ALL",
    "SYSTEMROOT",
    "TZ",
)  # SYSTEMROOT: Python cannot start on Windows without it
# what never reaches a target unless the suite lists it in `target.env`
SECRET = re.compile(
    r"(_API_KEY|_TOKEN|_SECRET|_PASSWORD)$|^(AWS_|AZURE_)|^(GOOGLE_APPLICATION_CREDENTIALS|GITHUB_TOKEN)$"
)


def is_secret(name: str) -> bool:
    """Return whether a variable is one a target must not see unless listed."""
    return SECRET.search(name.upper()) is not None


def traceparent(trace_id: str | None = None) -> str:
    """Return a W3C trace context header value for one case run (sampled)."""
    return f"00-{trace_id or secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def child_environment(
    parent: Mapping[str, str],
    *,
    listed: Iterable[str],
    home: str,
    proxy_url: str,
    otlp_url: str,
    trace: str,
) -> dict[str, str]:
    """Return the whole environment of a target's child: the minimal set plus the names the suite lists."""
    env = {name: parent[name] for name in PASSED if name in parent}
    env.update({name: parent[name] for name in listed if name in parent})
    env["HOME"] = home
    env.update(dict.fromkeys(BASE_URL_VARIABLES, proxy_url))
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp_url
    env["TRACEPARENT"] = trace
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env
