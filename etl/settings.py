"""Where the data lives and the settings people may change.

The data directory comes from `--data-dir`, else `TRUSTDESK_DATA`, else `./data`. Settings are a
small JSON file in it, so that the command line and the dashboard read the same values.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

# The checkout, when TrustDesk runs from one (`pip install -e .`, `./dev`).
REPO_ROOT = Path(__file__).resolve().parent.parent
# The reference data shipped with TrustDesk: `data/` of the checkout, or the copy an installed wheel
# carries inside the package (setup.py puts it there).
SHIPPED_DATA = (
    REPO_ROOT / "data" if (REPO_ROOT / "data" / "markets.csv").is_file() else Path(__file__).resolve().parent / "_data"
)
ENV_VAR = "TRUSTDESK_DATA"


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser().resolve()
    return Path("data").resolve()


def reference_file(root: Path, name: str) -> Path:
    """A reference CSV from the data directory when the user put one there, else the shipped one."""
    own = root / name
    return own if own.exists() else SHIPPED_DATA / name


@dataclass
class Settings:
    """Every setting, with its default. `docs/SETTINGS.md` documents each (a test checks)."""

    quality_min_reached: int = 50
    quality_medium_from: float = 0.02
    quality_low_from: float = 0.05
    load_max_mb: int = 4096
    upload_max_mb: int = 1024
    duckdb_memory_limit: str = "4GB"
    session_idle_minutes: int = 60
    risk_window_days: int = 7
    risk_lookback_days: int = 30
    risk_flag_score: float = 40.0
    claim_minutes: int = 30
    webhook_fold_seconds: int = 60
    escalate_risk_score: float = 95.0
    claim_target_hours: float = 4.0
    decision_target_hours: float = 24.0
    appeal_target_hours: float = 72.0
    strike_days: int = 90
    outbox_url: str = ""
    outbox_ca_file: str = ""
    outbox_max_attempts: int = 10
    outbox_backoff_seconds: float = 5.0
    learn_min_decisions: int = 30

    @classmethod
    def load(cls, root: Path) -> Settings:
        path = root / "settings.json"
        if not path.exists():
            return cls()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path} is not valid JSON ({exc}); fix or delete it") from exc
        known = {f.name: f.type for f in fields(cls)}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise ValueError(f"{path} has unknown settings: {', '.join(unknown)}")
        defaults = cls()
        values = {}
        for name, value in raw.items():
            expected = type(getattr(defaults, name))
            if expected is float and isinstance(value, int):
                value = float(value)
            if not isinstance(value, expected) or isinstance(value, bool):
                raise ValueError(f"{path}: setting {name} must be a {expected.__name__}")
            values[name] = value
        return cls(**values)

    def save(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        tmp = root / "settings.json.tmp"
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, root / "settings.json")
