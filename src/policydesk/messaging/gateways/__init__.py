"""SMS gateways: the interface the outbox uses (base), and the backends an administrator chooses
from: ``file`` (offline, the default), ``http`` (a generic provider API) and ``smpp``.

``gateway_from_config(kind, config, data_dir=...)`` builds one; ``CONFIG_FIELDS`` lists each kind's
settings for the settings form, and ``validate_config(kind, config)`` gives their errors by field.
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.utils.translation import gettext

from .base import (
    COMMON_STATUS_WORDS,
    DELIVERED,
    FAILED,
    REPORT_STATUSES,
    SENT,
    Balance,
    ConfigField,
    DeliveryReport,
    GatewayConfigError,
    GatewayError,
    IncomingSms,
    OutgoingSms,
    SendResult,
    SmsGateway,
    count_parts,
    report_status,
)
from .file import FileGateway
from .http import HttpGateway, json_path
from .smpp import SmppGateway

BACKENDS: dict[str, type[SmsGateway]] = {
    FileGateway.kind: FileGateway,
    HttpGateway.kind: HttpGateway,
    SmppGateway.kind: SmppGateway,
}
DEFAULT_KIND = FileGateway.kind

CONFIG_FIELDS: dict[str, list[ConfigField]] = {kind: backend.config_fields for kind, backend in BACKENDS.items()}


def validate_config(kind: str, config: Mapping[str, Any]) -> dict[str, str]:
    """The errors of a gateway's settings by field name; empty when they are fine."""
    backend = BACKENDS.get(kind)
    if backend is None:
        return {"kind": gettext("Unknown kind of SMS gateway: %(kind)s.") % {"kind": kind}}
    return backend.clean_config(config)[1]


def gateway_from_config(kind: str, config: Mapping[str, Any], *, data_dir: Path) -> SmsGateway:
    """A gateway of the kind with the settings; GatewayConfigError when they are wrong."""
    backend = BACKENDS.get(kind)
    if backend is None:
        raise GatewayConfigError(validate_config(kind, config))
    return backend(config, data_dir=data_dir)


__all__ = [
    "BACKENDS", "COMMON_STATUS_WORDS", "CONFIG_FIELDS", "DEFAULT_KIND", "DELIVERED", "FAILED",
    "REPORT_STATUSES", "SENT", "Balance", "ConfigField", "DeliveryReport", "FileGateway", "GatewayConfigError",
    "GatewayError", "HttpGateway", "IncomingSms", "OutgoingSms", "SendResult", "SmppGateway", "SmsGateway",
    "count_parts", "gateway_from_config", "json_path", "report_status", "validate_config",
]
