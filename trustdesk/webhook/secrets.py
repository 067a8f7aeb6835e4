"""The receiver's two secrets: Meta's verify token (the handshake) and the app secret (signatures).

From the environment (`TRUSTDESK_WEBHOOK_VERIFY_TOKEN`, `TRUSTDESK_APP_SECRET`), else from
`.streamlit/secrets.toml` in the working directory or the home directory, as top-level keys of the
same names or as `verify_token` / `app_secret` in a `[webhook]` table. Never from the command line:
arguments show in the process list and in shell history.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENV_VERIFY_TOKEN = "TRUSTDESK_WEBHOOK_VERIFY_TOKEN"
ENV_APP_SECRET = "TRUSTDESK_APP_SECRET"


class WebhookConfigError(Exception):
    """The receiver cannot start; str(exc) is the one sentence that says why and what to do."""


@dataclass(frozen=True)
class Secrets:
    verify_token: str
    app_secret: str

    def __repr__(self) -> str:  # never printed by accident
        return "Secrets(verify_token=***, app_secret=***)"


def default_files() -> list[Path]:
    return [Path.cwd() / ".streamlit" / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml"]


def load_secrets(env: Mapping[str, str] | None = None, files: list[Path] | None = None) -> Secrets:
    env = os.environ if env is None else env
    token, secret = env.get(ENV_VERIFY_TOKEN, "").strip(), env.get(ENV_APP_SECRET, "").strip()
    for path in default_files() if files is None else files:
        if token and secret:
            break
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise WebhookConfigError(
                f"trustdesk webhook: {path.name} in {path.parent.name}/ cannot be read "
                f"as TOML ({exc}); fix it or set the secrets in the environment"
            ) from exc
        table = data.get("webhook") if isinstance(data.get("webhook"), dict) else {}
        token = token or str(data.get(ENV_VERIFY_TOKEN) or table.get("verify_token") or "").strip()
        secret = secret or str(data.get(ENV_APP_SECRET) or table.get("app_secret") or "").strip()
    missing = [n for n, v in ((ENV_VERIFY_TOKEN, token), (ENV_APP_SECRET, secret)) if not v]
    if missing:
        raise WebhookConfigError(
            f"trustdesk webhook: {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: "
            "put them in the environment or in .streamlit/secrets.toml (never on the command line), "
            "then start it again."
        )
    return Secrets(token, secret)
