"""Settings from ``HOTLINE_*`` environment variables and an optional ``.env`` file.

One object, read once per process (``get_settings``); tests build their own ``Settings``
instead of patching the environment.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_file=".env", env_ignore_empty=True, extra="ignore")

    database_url: str = "sqlite:///hotline.db"
    # Empty means the machine's local zone; reports and times without an offset use it.
    timezone: str = ""

    # The AMI bridge runs only when a host is set.
    ami_host: str = ""
    ami_port: int = 5038
    ami_username: str = ""
    ami_secret: SecretStr = SecretStr("")
    # Tags every journal row and fact, so several PBXs share one database.
    server_id: str = "pbx1"
    ami_ping_interval_s: float = Field(20.0, gt=0)
    ami_reconnect_max_s: float = Field(30.0, gt=0)

    # SIP endpoints that are IVRs (the pyVoIP endpoint): a call they answer is not "answered".
    ivr_endpoints: list[str] = ["ivr"]

    # Callers who hang up sooner than this after joining a queue are short abandons.
    short_abandon_s: float = Field(5.0, ge=0)
    # Used when Asterisk has not told us a queue's servicelevel yet (QueueParams).
    default_service_level_s: int = Field(20, gt=0)
    # Pause reasons that mean after-call work; such a pause right after a call is its wrap-up.
    wrapup_reasons: list[str] = ["wrapup", "wrap-up", "acw", "话后处理", "整理"]
    # Queue → its queues.conf ``wrapuptime`` (Asterisk does not report it over AMI).
    queue_wrapup_s: dict[str, float] = {}

    # IVR: the FastAGI server (``hotline agi``) and the flows it serves.
    agi_host: str = "127.0.0.1"
    agi_port: int = Field(4573, gt=0, lt=65536)
    # Flow files, one per AGI script name: AGI(agi://host:4573/NAME) runs NAME.yaml.
    ivr_flows_dir: str = "deploy/flows"
    # The announcement flow ``hotline ivr emergency on`` sends every new call to.
    ivr_emergency_flow: str = "emergency-zh"
    # Where Asterisk writes voicemails (a path on the PBX, not on this machine).
    ivr_record_dir: str = "/var/spool/asterisk/hotline"
    ivr_record_format: str = "wav"
    # Played before hanging up when a call asks for a flow that does not exist.
    ivr_error_prompt: str = "an-error-has-occured"
    # Dialplan context a transfer node sends calls to (deploy/asterisk/extensions.conf).
    ivr_transfer_context: str = "hotline-transfer"

    # --- The service (``hotline serve``): HTTP, identity, masking, live feed, wallboard ---
    http_host: str = "127.0.0.1"
    http_port: int = Field(8000, ge=1, le=65535)
    # Set to fan the live feed out through Redis pub/sub, so several API processes serve one center.
    redis_url: str = ""
    redis_channel: str = "hotline:live"
    # Roles that see callers' full numbers; every other role sees them masked (138****8000).
    full_number_roles: list[str] = ["admin", "supervisor"]
    # Browser sessions and API tokens.
    session_ttl_s: int = Field(12 * 3600, gt=0)
    token_ttl_days: int = Field(90, gt=0)
    # Send cookies only over HTTPS; turn on behind a TLS-terminating proxy.
    cookie_secure: bool = False
    # Failed logins allowed per account and per address within the window.
    login_max_failures_per_account: int = Field(5, gt=0)
    login_max_failures_per_address: int = Field(20, gt=0)
    login_window_s: int = Field(900, gt=0)
    # Wallboard colours: amber/red when a queue's answer rate or service level today falls
    # below these percentages, or its longest wait passes its service-level time (amber)
    # or that time multiplied by ``wallboard_wait_red_factor`` (red).
    wallboard_answer_rate_amber: float = Field(90.0, ge=0, le=100)
    wallboard_answer_rate_red: float = Field(80.0, ge=0, le=100)
    wallboard_service_level_amber: float = Field(80.0, ge=0, le=100)
    wallboard_service_level_red: float = Field(60.0, ge=0, le=100)
    wallboard_wait_red_factor: float = Field(2.0, ge=1)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
