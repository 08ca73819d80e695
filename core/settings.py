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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
