"""What every SMS gateway offers the outbox: send a message, tell the balance, read delivery reports
and incoming messages (from a webhook's data, or by polling for backends that keep a connection).

A backend is a subclass of ``SmsGateway`` that declares the settings an administrator fills in
(``config_fields``) and checks them (``check_config``); the instance gets the cleaned values. One
instance serves one thread at a time.
"""

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, ClassVar, NamedTuple
from urllib.parse import urlsplit

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from smpplib.gsm import gsm_encode

DELIVERED = "delivered"
FAILED = "failed"
SENT = "sent"
REPORT_STATUSES = (DELIVERED, FAILED, SENT)

# Status words providers commonly use, lower case. A gateway's own map is looked at first.
COMMON_STATUS_WORDS = {
    "delivered": DELIVERED, "delivrd": DELIVERED, "delivery_success": DELIVERED, "read": DELIVERED,
    "failed": FAILED, "undelivered": FAILED, "undeliv": FAILED, "undeliverable": FAILED,
    "rejected": FAILED, "rejectd": FAILED, "expired": FAILED, "deleted": FAILED, "error": FAILED,
    "sent": SENT, "accepted": SENT, "acceptd": SENT, "enroute": SENT, "queued": SENT,
    "sending": SENT, "submitted": SENT, "buffered": SENT, "pending": SENT,
}


@dataclass(frozen=True)
class OutgoingSms:
    message_id: int  # our Message id: sent to the gateway as the client reference where it allows one
    to: str  # E.164, e.g. "+79161234567"
    text: str
    sender: str = ""  # sender name or number; "" = the gateway's default


@dataclass(frozen=True)
class SendResult:
    provider_ref: str  # the gateway's id of the message (for delivery reports)
    cost: Decimal | None = None
    parts: int | None = None


class Balance(NamedTuple):
    """What is left on the account with the SMS provider."""

    amount: Decimal
    currency: str = ""  # "" when the provider does not say: the currency of SMS costs


@dataclass(frozen=True)
class DeliveryReport:
    provider_ref: str
    status: str  # "delivered" | "failed" | "sent" (accepted by the network, not yet delivered)
    error: str = ""


@dataclass(frozen=True)
class IncomingSms:
    sender: str  # the phone number as the gateway gives it
    text: str
    provider_ref: str = ""
    received_at: datetime | None = None


class GatewayError(Exception):
    """The gateway did not take the message (or could not be asked).

    ``retryable`` is True when trying again later may succeed (timeout, 5xx, connection refused,
    throttling), False when it never will (invalid number, a 4xx other than 429, auth failure).
    ``retry_after`` is the pause in seconds the gateway asked for, when it said (HTTP Retry-After).
    The message is for people and never contains a password or key.
    """

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None):
        super().__init__(message)
        self.message = str(message)
        self.retryable = retryable
        self.retry_after = retry_after


class GatewayConfigError(ValueError):
    """The gateway's settings are missing or wrong; ``errors`` maps field names to messages."""

    def __init__(self, errors: Mapping[str, str]):
        self.errors = dict(errors)
        details = "; ".join(f"{name}: {message}" for name, message in self.errors.items())
        super().__init__(gettext("The SMS gateway's settings are incomplete or wrong: %(details)s")
                         % {"details": details})


@dataclass(frozen=True)
class ConfigField:
    """One setting of a gateway, as the settings form shows it.

    ``type``: "text", "url", "choice" (one of ``choices``), "integer", "number", "boolean" or
    "mapping" (a JSON object; the form may hand it over as JSON text). ``default`` is what an empty
    value means; ``secret`` fields are never shown back or put into messages.
    """

    name: str
    label: Any
    required: bool = False
    secret: bool = False
    help: Any = ""
    type: str = "text"
    choices: tuple[tuple[str, Any], ...] = ()
    default: Any = None
    min_value: float | None = None
    max_value: float | None = None
    max_length: int | None = None


def rate_field(default: float) -> ConfigField:
    return ConfigField(
        "rate", _("Messages per second"), type="number", default=default, min_value=0.001,
        help=_("The most messages the gateway accepts per second; sending is slowed to this."),
    )


_TRUE_WORDS = {"1", "true", "yes", "on"}
_FALSE_WORDS = {"0", "false", "no", "off"}


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_field(field: ConfigField, raw: Any) -> Any:
    """The value of one setting in its type; raises ValueError with a message for people."""
    if field.type == "boolean":
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word in _TRUE_WORDS | _FALSE_WORDS:
            return word in _TRUE_WORDS
        raise ValueError(gettext("Enter yes or no."))
    if field.type == "integer":
        if isinstance(raw, bool):
            raise ValueError(gettext("Enter a whole number."))
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise ValueError(gettext("Enter a whole number.")) from None
        return _in_range(field, value)
    if field.type == "number":
        try:
            value = float(str(raw).strip())
        except ValueError:
            raise ValueError(gettext("Enter a number.")) from None
        if not math.isfinite(value):
            raise ValueError(gettext("Enter a number."))
        return _in_range(field, value)
    if field.type == "mapping":
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                raw = None
        if not isinstance(raw, Mapping) or not all(isinstance(key, str) for key in raw):
            raise ValueError(gettext('Enter a JSON object, for example {"to": "{to}"}.'))
        return dict(raw)
    value = str(raw).strip()
    if field.max_length is not None and len(value) > field.max_length:
        raise ValueError(gettext("At most %(count)d characters.") % {"count": field.max_length})
    if field.type == "choice":
        for choice, _label in field.choices:
            if value.lower() == choice.lower():
                return choice
        raise ValueError(gettext("Choose one of: %(choices)s.")
                         % {"choices": ", ".join(choice for choice, _label in field.choices)})
    if field.type == "url":
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(gettext("Enter an address starting with http:// or https://."))
    return value


def _in_range(field: ConfigField, value: float) -> float:
    if field.min_value is not None and value < field.min_value:
        raise ValueError(gettext("At least %(minimum)s.") % {"minimum": _number_text(field.min_value)})
    if field.max_value is not None and value > field.max_value:
        raise ValueError(gettext("At most %(maximum)s.") % {"maximum": _number_text(field.max_value)})
    return value


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def clean_fields(fields: list[ConfigField], config: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The settings in their types with defaults filled in, and the errors by field name."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in fields:
        raw = config.get(field.name)
        if _is_empty(raw) or (field.type == "mapping" and raw == {}):
            if field.required:
                errors[field.name] = gettext("This field is required.")
            values[field.name] = field.default
            continue
        try:
            values[field.name] = clean_field(field, raw)
        except ValueError as error:
            errors[field.name] = str(error)
            values[field.name] = field.default
    return values, errors


class SmsGateway:
    """The base of the backends. Subclasses set ``kind``, ``default_rate`` and ``config_fields``,
    and implement ``send``; the rest has sensible defaults."""

    kind: ClassVar[str] = ""
    default_rate: ClassVar[float] = 1.0
    config_fields: ClassVar[list[ConfigField]] = []

    def __init__(self, config: Mapping[str, Any] | None = None, *, data_dir: Path | None = None):
        values, errors = self.clean_config(config or {})
        if errors:
            raise GatewayConfigError(errors)
        self._config = values
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.rate_per_second = float(values.get("rate") or self.default_rate)

    # -- settings ---------------------------------------------------------------------------------

    @classmethod
    def clean_config(cls, config: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        values, errors = clean_fields(cls.config_fields, config)
        # Rules across fields run on the defaults of the wrong ones, so that every error shows at once.
        for name, message in cls.check_config(values).items():
            errors.setdefault(name, message)
        return values, errors

    @classmethod
    def check_config(cls, values: dict[str, Any]) -> dict[str, str]:
        """Rules that span fields, on values already in their types."""
        return {}

    def __repr__(self) -> str:  # never the settings: they hold secrets
        return f"<{type(self).__name__} kind={self.kind!r}>"

    # -- the connection ---------------------------------------------------------------------------

    def open(self) -> None:
        """Connect (and sign in) when the backend keeps a connection."""

    def close(self) -> None:
        """Let go of the connection, if any."""

    def __enter__(self) -> "SmsGateway":
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- what the outbox calls ----------------------------------------------------------------------

    def send(self, sms: OutgoingSms) -> SendResult:
        raise NotImplementedError

    def balance(self) -> Decimal | None:
        """The amount left on the account; None when the gateway does not report one."""
        found = self.account_balance()
        return None if found is None else found.amount

    def account_balance(self, *, timeout: float | None = None) -> Balance | None:
        """The amount left on the account with its currency, None when the gateway does not report
        one (the file outbox, SMPP); GatewayError when it could not be read. ``timeout`` shortens the
        wait of a gateway that asks over the network (the dashboard must not hang on it)."""
        return None

    def parse_report(self, data: Mapping[str, Any]) -> DeliveryReport | None:
        return None

    def parse_incoming(self, data: Mapping[str, Any]) -> IncomingSms | None:
        return None

    def receive(self, timeout: float = 0) -> list[DeliveryReport | IncomingSms]:
        """Delivery reports and incoming messages that arrived on the connection (polled backends)."""
        return []


# -- helpers the backends share -------------------------------------------------------------------

def report_status(value: Any, status_map: Mapping[str, str] | None = None) -> str | None:
    """A provider's status word as "delivered", "failed" or "sent"; None when it is not known.
    The gateway's own map (matched without regard to case) wins over the common words."""
    if value is None:
        return None
    word = str(value).strip()
    for provider_word, status in (status_map or {}).items():
        if str(provider_word).strip().lower() == word.lower() and status in REPORT_STATUSES:
            return status
    return COMMON_STATUS_WORDS.get(word.lower())


def count_parts(text: str) -> int:
    """How many SMS a text takes: 160 GSM 7-bit characters in one (153 a part when longer; an
    extension character such as € counts twice), else 70 UCS-2 characters in one (67 a part)."""
    try:
        septets = len(gsm_encode(text))
    except UnicodeError:
        units = len(text.encode("utf-16-be")) // 2
        return 1 if units <= 70 else math.ceil(units / 67)
    return 1 if septets <= 160 else math.ceil(septets / 153)


def to_decimal(value: Any) -> Decimal | None:
    """A money amount from a provider's answer ("1.50", 1.5, "1,50"), None when it is not one."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip().replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def trimmed(text: str, limit: int = 200) -> str:
    """A provider's answer fit for an error message: one line, at most ``limit`` characters."""
    line = re.sub(r"\s+", " ", text or "").strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


def parse_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def __getattr__(name: str) -> Any:
    """The registry (``gateway_from_config``, ``validate_config``, ``CONFIG_FIELDS``) lives in the
    package, since it imports the backends that import this module; it can be imported from here too."""
    if name in ("BACKENDS", "CONFIG_FIELDS", "gateway_from_config", "validate_config"):
        from policydesk.messaging import gateways

        return getattr(gateways, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
