"""A generic HTTP gateway, configured by the administrator, that fits most national SMS providers
(SMS.ru, SMSC, Kavenegar, Twilio-like APIs and the like).

The request: ``url`` (may hold placeholders), ``method``, and ``params`` sent as a form, as JSON or
in the query string. Templates may use ``{to}``, ``{to_digits}`` (no plus), ``{text}``,
``{sender}``, ``{message_id}``, ``{username}``, ``{password}`` and ``{api_key}``; a parameter whose
value comes out empty (``{sender}`` with no sender) is left out. The answer: HTTP 2xx, and when
set, a JSON field with a given value (``success_field``/``success_value``) and/or a regular
expression (``success_regex``). The provider's id of the message is read with ``ref_field`` (a
JSON path: dotted keys and list indices, "data.0.id") or ``ref_regex``; without either, our message
id is the reference (pass ``{message_id}`` as the provider's client reference, and its reports
will name it). The balance is asked with GET at ``balance_url`` (the same credentials and headers)
and read from a JSON field (``balance_field``, its currency from ``balance_currency_field``) or
from an answer that is a plain number. Only the standard library is used.
"""

import base64
import http.client
import json
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .base import (
    REPORT_STATUSES,
    Balance,
    ConfigField,
    DeliveryReport,
    GatewayError,
    IncomingSms,
    OutgoingSms,
    SendResult,
    SmsGateway,
    count_parts,
    rate_field,
    report_status,
    to_decimal,
    trimmed,
)

log = logging.getLogger(__name__)

PLACEHOLDERS = ("to", "to_digits", "text", "sender", "message_id", "username", "password", "api_key")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_MAX_ANSWER = 1024 * 1024
_MISSING = object()


def json_path(data: Any, path: str, default: Any = None) -> Any:
    """The value at a dotted path: "status", "data.0.status", "balance.amount"; keys first, then
    integer indices into lists; ``default`` when any step is missing. A mapping that has the whole
    path as one key (flat webhook data) gives that value."""
    if not path:
        return default
    if isinstance(data, Mapping) and path in data:
        return data[path]
    current = data
    for step in path.split("."):
        if isinstance(current, Mapping) and step in current:
            current = current[step]
        elif isinstance(current, list | tuple) and re.fullmatch(r"-?\d+", step):
            try:
                current = current[int(step)]
            except IndexError:
                return default
        else:
            return default
    return current


def fill(template: Any, values: Mapping[str, str], escape=None) -> Any:
    """The template with its known placeholders replaced (``escape`` applied to each value);
    mappings and lists are filled throughout, other values are returned as they are."""
    if isinstance(template, str):
        def replace(match: re.Match) -> str:
            name = match.group(1)
            if name not in values:
                return match.group(0)
            return escape(values[name]) if escape else values[name]

        return _PLACEHOLDER.sub(replace, template)
    if isinstance(template, Mapping):
        return {key: fill(value, values, escape) for key, value in template.items()}
    if isinstance(template, list | tuple):
        return [fill(value, values, escape) for value in template]
    return template


def unknown_placeholders(template: Any) -> set[str]:
    if isinstance(template, str):
        return {name for name in _PLACEHOLDER.findall(template) if name not in PLACEHOLDERS}
    if isinstance(template, Mapping):
        return set().union(*(unknown_placeholders(value) for value in template.values()))
    if isinstance(template, list | tuple):
        return set().union(*(unknown_placeholders(value) for value in template))
    return set()


def _plain(value: Any) -> str:
    """A flat parameter value as text (forms and query strings know no types)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    text: str
    headers: Mapping[str, str]

    def json(self) -> Any:
        try:
            return json.loads(self.text)
        except ValueError:
            return None


TEMPLATE_HELP = _("Placeholders: {to}, {to_digits}, {text}, {sender}, {message_id}, {username}, "
                  "{password}, {api_key}.")


class HttpGateway(SmsGateway):
    kind = "http"
    default_rate = 10.0
    config_fields = [
        ConfigField("url", _("Sending address"), required=True, type="url",
                    help=_("The provider's address for sending, e.g. https://sms.ru/sms/send. May hold "
                           "placeholders such as {api_key}.")),
        ConfigField("method", _("HTTP method"), type="choice", default="POST",
                    choices=(("POST", "POST"), ("GET", "GET"))),
        ConfigField("body", _("Parameters sent as"), type="choice", default="form",
                    choices=(("form", _("form")), ("json", _("JSON")), ("query", _("query string"))),
                    help=_("A GET request carries them in the query string.")),
        ConfigField("params", _("Parameters"), type="mapping", default={},
                    help=_('A JSON object of names and value templates, e.g. {"to": "{to_digits}", '
                           '"msg": "{text}", "api_id": "{api_key}"}.')),
        ConfigField("username", _("User name")),
        ConfigField("password", _("Password"), secret=True),
        ConfigField("api_key", _("API key"), secret=True),
        ConfigField("auth", _("Authentication"), type="choice", default="none",
                    choices=(("none", _("none, or in the parameters")), ("basic", _("basic (user name and "
                             "password)")), ("bearer", _("bearer token (the API key)")))),
        ConfigField("headers", _("Extra headers"), type="mapping", default={},
                    help=_('A JSON object, e.g. {"X-Api-Key": "{api_key}"}.')),
        ConfigField("timeout", _("Timeout (seconds)"), type="number", default=10.0, min_value=0.05,
                    max_value=120),
        ConfigField("success_field", _("Success field"),
                    help=_('The JSON path that tells success, e.g. "status" or "data.0.status". Empty: '
                           'any 2xx answer is a success.')),
        ConfigField("success_value", _("Success value"),
                    help=_('What the success field holds on success, e.g. "OK". Empty: any true value.')),
        ConfigField("success_regex", _("Success pattern"),
                    help=_("A regular expression the answer's text must contain on success.")),
        ConfigField("ref_field", _("Message id field"),
                    help=_('The JSON path of the provider\'s message id, e.g. "id" or '
                           '"sms.{to_digits}.sms_id".')),
        ConfigField("ref_regex", _("Message id pattern"),
                    help=_("A regular expression whose first group is the provider's message id.")),
        ConfigField("cost_field", _("Cost field"), help=_('The JSON path of the cost, e.g. "cost".')),
        ConfigField("parts_field", _("Parts field"),
                    help=_("The JSON path of the number of SMS parts charged.")),
        ConfigField("balance_url", _("Balance address"), type="url",
                    help=_("Asked with GET, with the same authentication and headers.")),
        ConfigField("balance_answer", _("Balance answer"), type="choice", default="json",
                    choices=(("json", _("JSON")), ("number", _("a plain number"))),
                    help=_('"json": the amount is read at the balance field; "number": the whole answer is '
                           'the amount.')),
        ConfigField("balance_field", _("Balance field"),
                    help=_('The JSON path of the balance, e.g. "balance" or "data.balance".')),
        ConfigField("balance_currency_field", _("Balance currency field"),
                    help=_('The JSON path of the balance\'s currency, e.g. "currency". Empty: the currency '
                           'of SMS costs.')),
        ConfigField("report_ref_field", _("Report: message id field"), default="ref",
                    help=_("Where a delivery report names the provider's message id.")),
        ConfigField("report_status_field", _("Report: status field"), default="status"),
        ConfigField("report_status_map", _("Report: statuses"), type="mapping", default={},
                    help=_('A JSON object mapping the provider\'s statuses to delivered, failed or sent, '
                           'e.g. {"103": "delivered", "104": "failed"}. Common words are understood '
                           'without it.')),
        ConfigField("report_error_field", _("Report: error field"), default="error"),
        ConfigField("incoming_from_field", _("Incoming SMS: sender field"), default="from"),
        ConfigField("incoming_text_field", _("Incoming SMS: text field"), default="text"),
        ConfigField("incoming_ref_field", _("Incoming SMS: id field"), default="id"),
        rate_field(10.0),
    ]

    @classmethod
    def check_config(cls, values: dict[str, Any]) -> dict[str, str]:
        errors: dict[str, str] = {}
        if values["method"] == "GET" and values["body"] != "query":
            errors["body"] = gettext("A GET request carries its parameters in the query string; choose "
                                     "the query string.")
        for name in ("url", "balance_url", "params", "headers"):
            unknown = unknown_placeholders(values[name])
            if unknown:
                errors[name] = gettext("Unknown placeholders: %(names)s. Use %(known)s.") % {
                    "names": ", ".join("{%s}" % item for item in sorted(unknown)),
                    "known": ", ".join("{%s}" % item for item in PLACEHOLDERS),
                }
        if values["body"] != "json" and "params" not in errors:
            nested = [key for key, value in values["params"].items() if isinstance(value, Mapping | list)]
            if nested:
                errors["params"] = gettext("Only a JSON body can carry nested values (%(names)s).") % {
                    "names": ", ".join(nested)}
        if "headers" not in errors and not all(isinstance(value, str) for value in values["headers"].values()):
            errors["headers"] = gettext("Each header's value must be text.")
        if values["auth"] == "basic" and not (values["username"] and values["password"]):
            errors["auth"] = gettext("Basic authentication needs the user name and the password.")
        if values["auth"] == "bearer" and not values["api_key"]:
            errors["auth"] = gettext("A bearer token needs the API key.")
        for name in ("success_regex", "ref_regex"):
            if values[name]:
                try:
                    re.compile(values[name])
                except re.error as error:
                    errors[name] = gettext("Not a valid regular expression: %(error)s") % {"error": error}
        if values["success_value"] and not values["success_field"]:
            errors["success_field"] = gettext("Say which field holds the success value.")
        plain_balance = values["balance_answer"] == "number"
        if values["balance_url"] and not values["balance_field"] and not plain_balance:
            errors["balance_field"] = gettext("The balance needs both its address and its field.")
        elif (values["balance_field"] or values["balance_currency_field"]) and not values["balance_url"]:
            errors["balance_url"] = gettext("The balance needs both its address and its field.")
        if plain_balance and (values["balance_field"] or values["balance_currency_field"]):
            name = "balance_field" if values["balance_field"] else "balance_currency_field"
            errors.setdefault(name, gettext("A plain-number answer has no fields; leave this empty or "
                                            "choose JSON."))
        wrong = sorted({str(status) for status in values["report_status_map"].values()} - set(REPORT_STATUSES))
        if wrong:
            errors["report_status_map"] = gettext("Map statuses to delivered, failed or sent, not: %(wrong)s.") % {
                "wrong": ", ".join(wrong)}
        return errors

    def __init__(self, config: Mapping[str, Any] | None = None, **kwargs: Any):
        super().__init__(config, **kwargs)
        self.timeout = float(self._config["timeout"])
        # Proxies from the environment are honoured, as for any other HTTP client on the host.
        self._opener = urllib.request.build_opener()

    # -- sending ----------------------------------------------------------------------------------

    def send(self, sms: OutgoingSms) -> SendResult:
        values = self._template_values(sms)
        answer = self._exchange(self._send_request(values))
        self._check_status(answer)
        document = answer.json()
        if not self._succeeded(answer, document, values):
            raise GatewayError(
                gettext("The SMS gateway did not accept the message: %(answer)s")
                % {"answer": self._quoted(answer)},
                retryable=False,
            )
        return SendResult(
            provider_ref=self._provider_ref(answer, document, values) or str(sms.message_id),
            cost=to_decimal(self._field(document, "cost_field", values)),
            parts=self._parts(document, values) or count_parts(sms.text),
        )

    def _template_values(self, sms: OutgoingSms) -> dict[str, str]:
        config = self._config
        return {
            "to": sms.to,
            "to_digits": re.sub(r"\D", "", sms.to),
            "text": sms.text,
            "sender": sms.sender,
            "message_id": str(sms.message_id),
            "username": config["username"] or "",
            "password": config["password"] or "",
            "api_key": config["api_key"] or "",
        }

    def _credentials(self) -> dict[str, str]:
        config = self._config
        return {name: config[name] or "" for name in ("username", "password", "api_key")}

    def _send_request(self, values: Mapping[str, str]) -> urllib.request.Request:
        config = self._config
        url = fill(config["url"], values, escape=lambda value: quote(value, safe=""))
        params = {}
        for name, template in config["params"].items():
            value = fill(template, values)
            if value == "" and template != "":
                continue  # "{sender}" for a message without a sender: let the provider use its default
            params[name] = value
        headers = self._headers(values)
        data = None
        if config["body"] == "query" or config["method"] == "GET":
            if params:
                url += ("&" if "?" in url else "?") + urlencode({k: _plain(v) for k, v in params.items()})
        elif config["body"] == "json":
            data = json.dumps(params, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        else:
            data = urlencode({k: _plain(v) for k, v in params.items()}).encode("ascii")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return urllib.request.Request(url, data=data, method=config["method"], headers=headers)

    def _headers(self, values: Mapping[str, str]) -> dict[str, str]:
        config = self._config
        headers = {"Accept": "application/json, text/plain, */*", "User-Agent": "PolicyDesk"}
        if config["auth"] == "basic":
            pair = f"{config['username']}:{config['password']}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        elif config["auth"] == "bearer":
            headers["Authorization"] = f"Bearer {config['api_key']}"
        for name, template in config["headers"].items():
            headers[name] = fill(template, values)
        return headers

    def _exchange(self, request: urllib.request.Request, timeout: float | None = None) -> HttpAnswer:
        """The provider's answer, whatever its status; GatewayError (retryable) when there is none."""
        host = _host(request.full_url)
        timeout = self.timeout if timeout is None else timeout
        try:
            with self._opener.open(request, timeout=timeout) as response:
                return HttpAnswer(response.status, self._read(response), response.headers)
        except urllib.error.HTTPError as error:
            try:
                text = self._read(error)
            except (OSError, http.client.HTTPException):
                text = ""
            return HttpAnswer(error.code, text, error.headers or {})
        except TimeoutError as error:
            raise self._timeout_error(host, timeout) from error
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise self._timeout_error(host, timeout) from error
            reason = error.reason.strerror if isinstance(error.reason, OSError) else str(error.reason)
            raise GatewayError(
                gettext("Could not reach the SMS gateway at %(host)s: %(reason)s")
                % {"host": host, "reason": self._scrub(str(reason or error.reason))},
                retryable=True,
            ) from error
        except (OSError, http.client.HTTPException) as error:
            raise GatewayError(
                gettext("The connection to the SMS gateway at %(host)s failed: %(reason)s")
                % {"host": host, "reason": error.__class__.__name__},
                retryable=True,
            ) from error
        except ValueError as error:  # a header value the HTTP client refuses (a newline in a key)
            raise GatewayError(
                gettext("The SMS gateway's settings make an invalid request: %(reason)s")
                % {"reason": self._scrub(str(error))},
                retryable=False,
            ) from error

    def _timeout_error(self, host: str, timeout: float) -> GatewayError:
        return GatewayError(
            gettext("The SMS gateway at %(host)s did not answer within %(seconds)s seconds.")
            % {"host": host, "seconds": f"{timeout:g}"},
            retryable=True,
        )

    @staticmethod
    def _read(response) -> str:
        raw = response.read(_MAX_ANSWER)
        charset = response.headers.get_content_charset() if response.headers else None
        return raw.decode(charset or "utf-8", errors="replace")

    def _check_status(self, answer: HttpAnswer) -> None:
        if 200 <= answer.status < 300:
            return
        details = {"status": answer.status, "answer": self._quoted(answer)}
        if answer.status == 429:
            raise GatewayError(
                gettext("The SMS gateway asks to slow down (HTTP 429): %(answer)s") % details,
                retryable=True, retry_after=_retry_after(answer.headers),
            )
        if answer.status >= 500 or answer.status == 408:
            raise GatewayError(
                gettext("The SMS gateway failed (HTTP %(status)s): %(answer)s") % details,
                retryable=True, retry_after=_retry_after(answer.headers),
            )
        if answer.status in (401, 403):
            raise GatewayError(
                gettext("The SMS gateway refused the credentials (HTTP %(status)s): %(answer)s") % details,
                retryable=False,
            )
        raise GatewayError(
            gettext("The SMS gateway refused the request (HTTP %(status)s): %(answer)s") % details,
            retryable=False,
        )

    def _succeeded(self, answer: HttpAnswer, document: Any, values: Mapping[str, str]) -> bool:
        config = self._config
        if config["success_field"]:
            found = json_path(document, fill(config["success_field"], values), _MISSING)
            if found is _MISSING:
                return False
            if config["success_value"]:
                if _plain(found).strip().lower() != config["success_value"].strip().lower():
                    return False
            elif not found or _plain(found).strip().lower() in ("false", "0", "error"):
                return False
        if config["success_regex"] and not re.search(config["success_regex"], answer.text):
            return False
        return True

    def _field(self, document: Any, setting: str, values: Mapping[str, str]) -> Any:
        path = self._config[setting]
        return json_path(document, fill(path, values)) if path else None

    def _provider_ref(self, answer: HttpAnswer, document: Any, values: Mapping[str, str]) -> str:
        ref = self._field(document, "ref_field", values)
        if ref is None and self._config["ref_regex"]:
            match = re.search(self._config["ref_regex"], answer.text)
            if match:
                ref = match.group(1) if match.groups() else match.group(0)
        if ref is None and (self._config["ref_field"] or self._config["ref_regex"]):
            log.warning("The SMS gateway's answer has no message id where the settings say; using ours.")
        return "" if ref is None else _plain(ref).strip()

    def _parts(self, document: Any, values: Mapping[str, str]) -> int | None:
        value = self._field(document, "parts_field", values)
        try:
            return int(value) if value is not None and not isinstance(value, bool) else None
        except (TypeError, ValueError):
            return None

    def _quoted(self, answer: HttpAnswer) -> str:
        """The answer for an error message: JSON with its escapes undone (\\u0410 as А), on one line."""
        document = answer.json()
        text = answer.text if document is None else json.dumps(document, ensure_ascii=False)
        return self._scrub(trimmed(text)) or gettext("(empty answer)")

    def _scrub(self, text: str) -> str:
        """The text without the password or the key (a provider may echo them back)."""
        for name in ("password", "api_key"):
            secret = self._config[name] or ""
            if len(secret) >= 4:
                text = text.replace(secret, "***").replace(quote(secret, safe=""), "***")
        return text

    # -- balance ----------------------------------------------------------------------------------

    def account_balance(self, *, timeout: float | None = None) -> Balance | None:
        config = self._config
        if not config["balance_url"]:
            return None
        values = self._credentials()
        url = fill(config["balance_url"], values, escape=lambda value: quote(value, safe=""))
        answer = self._exchange(urllib.request.Request(url, method="GET", headers=self._headers(values)),
                                timeout=self.timeout if timeout is None else min(self.timeout, timeout))
        self._check_status(answer)
        if config["balance_answer"] == "number":
            amount, currency = to_decimal(answer.text.strip()), None
            missing = gettext("The SMS gateway's balance answer is not a number: %(answer)s")
        else:
            document = answer.json()
            amount = to_decimal(json_path(document, config["balance_field"]))
            currency = json_path(document, config["balance_currency_field"] or "")
            missing = gettext("The SMS gateway's balance answer has no amount at %(field)s: %(answer)s")
        if amount is None:
            raise GatewayError(missing % {"field": config["balance_field"], "answer": self._quoted(answer)},
                               retryable=False)
        # The provider's currency word is shown as it is: kept short and on one line.
        return Balance(amount, trimmed(currency, 10) if isinstance(currency, str) else "")

    # -- webhooks ---------------------------------------------------------------------------------

    def parse_report(self, data: Mapping[str, Any]) -> DeliveryReport | None:
        config = self._config
        ref = json_path(data, config["report_ref_field"])
        raw_status = json_path(data, config["report_status_field"])
        if ref is None or _plain(ref).strip() == "":
            return None
        status = report_status(raw_status, config["report_status_map"])
        if status is None:
            log.info("A delivery report with a status the SMS gateway's settings do not map: %r", raw_status)
            return None
        error = json_path(data, config["report_error_field"]) if config["report_error_field"] else None
        if status == "failed" and not error:
            error = raw_status
        return DeliveryReport(provider_ref=_plain(ref).strip(), status=status,
                              error=_plain(error).strip() if status == "failed" else "")

    def parse_incoming(self, data: Mapping[str, Any]) -> IncomingSms | None:
        config = self._config
        sender = json_path(data, config["incoming_from_field"])
        text = json_path(data, config["incoming_text_field"])
        if sender is None or _plain(sender).strip() == "" or text is None:
            return None
        ref = json_path(data, config["incoming_ref_field"]) if config["incoming_ref_field"] else None
        return IncomingSms(sender=_plain(sender).strip(), text=_plain(text), provider_ref=_plain(ref).strip())


def _host(url: str) -> str:
    """The host (and port) of an address, for messages: never the whole address, which may hold
    the key in its path or query, nor a user and password before the host."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.hostname}:{port}" if port else str(parts.hostname)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After") if headers else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: rare for SMS providers, let the sender's own pause apply
