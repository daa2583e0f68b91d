"""All defaults and environment settings in one place.

Settings come from the environment (a ``.env`` file in the working directory may hold the same
variables). With nothing set, drill runs on its embedded defaults: offline engines, a local
Chroma directory and SQLite under ``~/.drill``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import load_dotenv

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
SCHEMA_DIR = PACKAGE_DIR / "schemas"
PROMPT_DIR = PACKAGE_DIR / "prompts"
LEXICON_DIR = PACKAGE_DIR / "lexicons"
# The real chat logs of the grader eval are third-party public data: they live in the shared/
# folder beside the checkout, never in this repository (docs/grader-data.md says why).
DEFAULT_REAL_LOGS_DIR = PROJECT_DIR.parent / "shared" / "grader_real"
#: Where an installed wheel keeps the shipped personas/ and casebank/ (setup.py copies them in).
PACKAGED_CONTENT_DIR = PACKAGE_DIR / "shipped"
#: The value of DRILL_SHIPPED_CONTENT_DIR that turns the shipped content off.
NO_SHIPPED_CONTENT = "none"

# Named sentinels the customer ends a conversation with (tau2-bench style); never shown to the trainee.
STOP_RESOLVED = "###RESOLVED###"
STOP_GAVE_UP = "###GAVE_UP###"
STOP_ESCALATE = "###ESCALATE###"


@dataclass(frozen=True)
class Settings:
    """Resolved configuration for one process."""

    data_dir: Path
    #: The writable content directory: trainers' saves go here and override shipped files by id.
    content_dir: Path
    #: The read-only content underneath ``content_dir`` (None: ``content_dir`` is all there is).
    shipped_content_dir: Path | None = None
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_model: str = "gpt-4o-mini"
    grader_model: str | None = None
    embedding_model: str | None = None
    structured_output_method: str = "json_schema"
    llm_timeout_s: float = 60.0
    llm_max_retries: int = 3
    #: The most one customer reply may take, retries included: a trainee is watching "typing…".
    llm_reply_timeout_s: float = 60.0
    #: The most one request to the judge may take. The verdict is not streamed: it arrives whole,
    #: up to ``judge_max_tokens`` of it, so a local model needs minutes where a customer line needs
    #: seconds.
    judge_timeout_s: float = 180.0
    database_url: str | None = None
    chroma_host: str | None = None
    chroma_port: int = 8000
    users_file: Path | None = None
    real_logs_dir: Path = DEFAULT_REAL_LOGS_DIR
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def llm_configured(self) -> bool:
        """True when an LLM endpoint is configured (otherwise offline engines are used)."""
        return bool(self.llm_base_url or self.llm_api_key)

    @property
    def judge_model(self) -> str:
        """Model used by the grader (falls back to the customer model)."""
        return self.grader_model or self.llm_model

    @property
    def content_roots(self) -> tuple[Path, ...]:
        """The content roots in overlay order: shipped first, the writable directory last (it wins)."""
        shipped = self.shipped_content_dir
        if shipped is None or shipped.resolve() == self.content_dir.resolve():
            return (self.content_dir,)
        return (shipped, self.content_dir)

    @property
    def personas_dir(self) -> Path:
        """The writable directory for persona YAML files (trainers' saves)."""
        return self.content_dir / "personas"

    @property
    def casebank_dir(self) -> Path:
        """The writable directory for case YAML files (trainers' saves)."""
        return self.content_dir / "casebank"

    @property
    def sqlalchemy_url(self) -> str:
        """Database URL (SQLite in the data directory by default)."""
        return self.database_url or f"sqlite:///{self.data_dir / 'drill.db'}"

    @property
    def chroma_dir(self) -> Path:
        """Local Chroma persistence directory."""
        return self.data_dir / "chroma"


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def _seconds(name: str, default: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise ValueError(f"{name} must be a positive number of seconds, got {raw!r}")
    return value


#: Judge settings a deployment may need to change for its model, kept in ``Settings.extra``.
_JUDGE_ENV = {"judge_max_tokens": "DRILL_JUDGE_MAX_TOKENS", "judge_max_attempts": "DRILL_JUDGE_MAX_ATTEMPTS"}


def _whole_numbers(names: dict[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, name in names.items():
        raw = _env(name)
        if raw is None:
            continue
        if not raw.isdigit() or int(raw) < 1:
            raise ValueError(f"{name} must be a positive whole number, got {raw!r}")
        found[key] = raw
    return found


def default_shipped_content_dir() -> Path:
    """The content shipped with drill: package data in an installed wheel, else the checkout."""
    return PACKAGED_CONTENT_DIR if PACKAGED_CONTENT_DIR.is_dir() else PROJECT_DIR


def _shipped_content_dir() -> Path | None:
    raw = _env("DRILL_SHIPPED_CONTENT_DIR")
    if raw is None:
        return default_shipped_content_dir()
    if raw.lower() == NO_SHIPPED_CONTENT:
        return None
    return Path(raw).expanduser()


def load_settings() -> Settings:
    """Read settings from the environment (and ``.env``), applying the embedded defaults."""
    load_dotenv(Path.cwd() / ".env", override=False)
    data_dir = Path(_env("DRILL_DATA_DIR") or Path.home() / ".drill").expanduser()
    content_dir = Path(_env("DRILL_CONTENT_DIR") or data_dir / "content").expanduser()
    users = _env("DRILL_USERS_FILE")
    return Settings(
        data_dir=data_dir,
        content_dir=content_dir,
        shipped_content_dir=_shipped_content_dir(),
        llm_base_url=_env("DRILL_LLM_BASE_URL"),
        llm_api_key=_env("DRILL_LLM_API_KEY") or _env("OPENAI_API_KEY"),
        llm_model=_env("DRILL_LLM_MODEL") or "gpt-4o-mini",
        grader_model=_env("DRILL_GRADER_MODEL"),
        embedding_model=_env("DRILL_EMBEDDING_MODEL"),
        structured_output_method=_env("DRILL_STRUCTURED_OUTPUT") or "json_schema",
        llm_timeout_s=_seconds("DRILL_LLM_TIMEOUT", 60.0),
        llm_max_retries=int(_env("DRILL_LLM_MAX_RETRIES") or 3),
        llm_reply_timeout_s=_seconds("DRILL_LLM_REPLY_TIMEOUT", 60.0),
        judge_timeout_s=_seconds("DRILL_JUDGE_TIMEOUT", 180.0),
        database_url=_env("DRILL_DATABASE_URL"),
        chroma_host=_env("DRILL_CHROMA_HOST"),
        chroma_port=int(_env("DRILL_CHROMA_PORT") or 8000),
        users_file=Path(users).expanduser() if users else data_dir / "users.yaml",
        real_logs_dir=Path(_env("DRILL_REAL_LOGS_DIR") or DEFAULT_REAL_LOGS_DIR).expanduser(),
        extra=_whole_numbers(_JUDGE_ENV),
    )
