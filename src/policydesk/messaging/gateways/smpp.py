"""An SMPP 3.4 gateway (smpplib): bound as a transceiver, it submits messages and, when polled with
``receive()``, reads delivery receipts and incoming messages from the same connection.

Long texts are split into concatenated parts (a user data header in each), in GSM 7-bit when the
text allows it, else in UCS-2; the first part's id is the message's reference. Every socket
operation has the configured timeout, so nothing waits forever; a connection that failed or timed
out is dropped (a late answer must not be taken for the next message's) and the next call
connects again. The instance is safe to share between threads: calls take turns.
"""

import logging
import re
import select
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import smpplib.client
import smpplib.gsm
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from smpplib import consts, smpp
from smpplib import exceptions as smpp_errors

from .base import (
    DELIVERED,
    FAILED,
    SENT,
    ConfigField,
    DeliveryReport,
    GatewayError,
    IncomingSms,
    OutgoingSms,
    SendResult,
    SmsGateway,
    rate_field,
)

log = logging.getLogger(__name__)

# smpplib dumps every PDU in hex at DEBUG, the bind with its password included: its client logs
# under this name, and the filter below drops those dumps whoever turns DEBUG on.
WIRE_LOGGER = "policydesk.messaging.gateways.smpp.wire"


class _NoPduDumps(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith((">>", "<<")))


logging.getLogger(WIRE_LOGGER).addFilter(_NoPduDumps())

# submit_sm_resp statuses worth another try later; any other refusal is final.
RETRYABLE_SUBMIT_STATUSES = frozenset({consts.SMPP_ESME_RTHROTTLED, consts.SMPP_ESME_RMSGQFUL})
# bind_resp statuses that mean wrong credentials: trying again will not help.
BIND_REFUSALS = frozenset({consts.SMPP_ESME_RBINDFAIL, consts.SMPP_ESME_RINVPASWD, consts.SMPP_ESME_RINVSYSID,
                           consts.SMPP_ESME_RINVSYSTYP})

RECEIPT_STATES = {
    "DELIVRD": DELIVERED,
    "UNDELIV": FAILED, "REJECTD": FAILED, "EXPIRED": FAILED, "DELETED": FAILED, "UNKNOWN": FAILED,
    "ENROUTE": SENT, "ACCEPTD": SENT,
}
MESSAGE_STATES = {  # the message_state TLV
    1: SENT, 2: DELIVERED, 3: FAILED, 4: FAILED, 5: FAILED, 6: SENT, 7: FAILED, 8: FAILED,
}
MESSAGE_STATE_WORDS = {1: "ENROUTE", 2: "DELIVRD", 3: "EXPIRED", 4: "DELETED", 5: "UNDELIV", 6: "ACCEPTD",
                       7: "UNKNOWN", 8: "REJECTD"}
_RECEIPT_ID = re.compile(r"\bid:(\S+)", re.IGNORECASE)
_RECEIPT_STAT = re.compile(r"\bstat:(\w+)", re.IGNORECASE)
_RECEIPT_ERR = re.compile(r"\berr:(\w+)", re.IGNORECASE)

ESM_UDHI = 0x40
ESM_TYPE_MASK = 0x3C  # bits 2-5: 0x04 SMSC delivery receipt, 0x08 SME ack, 0x20 intermediate notification
ENQUIRE_LINK_IDLE_SECONDS = 30
BURST_PAUSE_SECONDS = 0.2  # receive() stops reading after this long without a PDU, once it has some
FRAGMENT_WAIT_SECONDS = 300  # parts of an incoming message that never completes are given out as they are

# What a broken, closed or garbled connection raises (ValueError: select() on a closed socket).
_CONNECTION_ERRORS = (TimeoutError, OSError, ValueError, smpp_errors.ConnectionError, smpp_errors.PDUError,
                      smpp_errors.UnknownCommandError)

_BOUND = (consts.SMPP_CLIENT_STATE_BOUND_TX, consts.SMPP_CLIENT_STATE_BOUND_RX,
          consts.SMPP_CLIENT_STATE_BOUND_TRX)


class SmppGateway(SmsGateway):
    kind = "smpp"
    default_rate = 5.0
    config_fields = [
        ConfigField("host", _("SMSC host"), required=True),
        ConfigField("port", _("Port"), type="integer", default=2775, min_value=1, max_value=65535),
        ConfigField("system_id", _("System id (login)"), required=True, max_length=15),
        ConfigField("password", _("Password"), secret=True, max_length=8,
                    help=_("SMPP 3.4 allows at most 8 characters.")),
        ConfigField("system_type", _("System type"), max_length=12),
        ConfigField("source_addr", _("Default sender"), max_length=20,
                    help=_("A name (up to 11 letters) or a number; a message's own sender wins.")),
        ConfigField("source_addr_ton", _("Sender TON"), type="integer", min_value=0, max_value=6,
                    help=_("Empty: 5 for a name, 1 for an international number, 3 for a short code.")),
        ConfigField("source_addr_npi", _("Sender NPI"), type="integer", min_value=0, max_value=18,
                    help=_("Empty: 0 for a name or a short code, 1 for a number.")),
        ConfigField("dest_addr_ton", _("Recipient TON"), type="integer", default=1, min_value=0, max_value=6),
        ConfigField("dest_addr_npi", _("Recipient NPI"), type="integer", default=1, min_value=0, max_value=18),
        ConfigField("registered_delivery", _("Ask for delivery receipts"), type="boolean", default=True),
        ConfigField("timeout", _("Timeout (seconds)"), type="number", default=10.0, min_value=0.05,
                    max_value=120),
        rate_field(5.0),
    ]

    def __init__(self, config: Mapping[str, Any] | None = None, *, data_dir: Path | None = None):
        super().__init__(config, data_dir=data_dir)
        self.timeout = float(self._config["timeout"])
        self._client: smpplib.client.Client | None = None
        self._lock = threading.RLock()
        self._pending: list[DeliveryReport | IncomingSms] = []  # read while waiting for a submit_sm_resp
        self._fragments: dict[tuple, dict] = {}
        self._last_traffic = 0.0

    # -- the connection ---------------------------------------------------------------------------

    def open(self) -> None:
        with self._lock:
            if self._client is not None:
                return
            config = self._config
            client = smpplib.client.Client(config["host"], config["port"], timeout=self.timeout,
                                           logger_name=WIRE_LOGGER, allow_unknown_opt_params=True)
            try:
                client.connect()
                client.bind_transceiver(system_id=config["system_id"], password=config["password"] or "",
                                        system_type=config["system_type"] or "")
            except smpp_errors.PDUError as error:
                self._drop(client)
                status = error.args[1] if len(error.args) > 1 else None
                raise GatewayError(
                    gettext("The SMSC refused the login: %(reason)s") % {"reason": _status_text(status)},
                    retryable=status not in BIND_REFUSALS,
                ) from error
            except (smpp_errors.ConnectionError, OSError, smpp_errors.UnknownCommandError) as error:
                self._drop(client)
                raise GatewayError(
                    gettext("Could not connect to the SMSC at %(host)s:%(port)s.")
                    % {"host": config["host"], "port": config["port"]},
                    retryable=True,
                ) from error
            self._client = client
            self._last_traffic = time.monotonic()

    def close(self) -> None:
        with self._lock:
            if self._pending:
                log.warning("%d delivery receipts or incoming SMS read while sending were not collected with "
                            "receive() before close(); they are lost", len(self._pending))
                self._pending = []
            client, self._client = self._client, None
            if client is None:
                return
            try:
                if client.state in _BOUND:
                    unbind = smpp.make_pdu("unbind", client=client)
                    client.send_pdu(unbind)
                    client._socket.settimeout(min(self.timeout, 2.0))
                    # Whatever comes before unbind_resp is not acknowledged: the SMSC delivers it again.
                    for _attempt in range(20):
                        if client.read_pdu().command == "unbind_resp":
                            break
            except (smpp_errors.ConnectionError, smpp_errors.PDUError, smpp_errors.UnknownCommandError, OSError):
                pass
            finally:
                self._drop(client)

    @staticmethod
    def _drop(client: smpplib.client.Client) -> None:
        client.state = consts.SMPP_CLIENT_STATE_OPEN  # spares smpplib's "disconnecting while bound" warning
        try:
            client.disconnect()
        except OSError:
            client._socket = None

    def _connection_lost(self, error: BaseException) -> GatewayError:
        client, self._client = self._client, None
        if client is not None:
            self._drop(client)
        if isinstance(error, TimeoutError):
            message = gettext("The SMSC did not answer within %(seconds)s seconds.") % {"seconds": f"{self.timeout:g}"}
        else:
            message = gettext("The connection to the SMSC at %(host)s:%(port)s was lost.") % {
                "host": self._config["host"], "port": self._config["port"]}
        return GatewayError(message, retryable=True)

    # -- sending ----------------------------------------------------------------------------------

    def send(self, sms: OutgoingSms) -> SendResult:
        destination = sms.to.strip().removeprefix("+")
        if not destination.isdigit():
            raise GatewayError(gettext("Not a phone number: %(number)s") % {"number": sms.to}, retryable=False)
        try:
            parts, data_coding, esm_class = smpplib.gsm.make_parts(sms.text)
        except smpp_errors.MessageTooLong as error:
            raise GatewayError(gettext("The text is too long for an SMS."), retryable=False) from error
        source, source_ton, source_npi = self._source(sms.sender)
        config = self._config
        with self._lock:
            self.open()
            self._drain()
            refs = []
            for part in parts:
                pdu = smpp.make_pdu(
                    "submit_sm", client=self._client,
                    source_addr_ton=source_ton, source_addr_npi=source_npi, source_addr=source,
                    dest_addr_ton=config["dest_addr_ton"], dest_addr_npi=config["dest_addr_npi"],
                    destination_addr=destination,
                    esm_class=esm_class, data_coding=data_coding, short_message=part,
                    registered_delivery=(consts.SMPP_SMSC_DELIVERY_RECEIPT_BOTH if config["registered_delivery"]
                                         else consts.SMPP_SMSC_DELIVERY_RECEIPT_NONE),
                    user_message_reference=sms.message_id & 0xFFFF,  # our reference, as far as 16 bits go
                )
                answer = self._request(pdu, "submit_sm_resp")
                if answer.status != consts.SMPP_ESME_ROK:
                    raise GatewayError(
                        gettext("The SMSC refused the message: %(reason)s") % {"reason": _status_text(answer.status)},
                        retryable=answer.status in RETRYABLE_SUBMIT_STATUSES,
                    )
                refs.append(_text(answer.message_id))
        return SendResult(provider_ref=refs[0], parts=len(parts))

    def _source(self, sender: str) -> tuple[str, int, int]:
        """The sender's address with its type of number and numbering plan: those configured, else
        what the address looks like (a name, an international number, a short code)."""
        address = (sender or self._config["source_addr"] or "").strip()
        digits = address.removeprefix("+")
        if not address:
            ton, npi = 0, 0
        elif not digits.isdigit():
            ton, npi = 5, 0  # alphanumeric
        elif address.startswith("+") or len(digits) > 8:
            ton, npi = 1, 1
        else:
            ton, npi = 3, 0  # a short code
        configured_ton, configured_npi = self._config["source_addr_ton"], self._config["source_addr_npi"]
        return (digits if digits.isdigit() else address,
                ton if configured_ton is None else configured_ton,
                npi if configured_npi is None else configured_npi)

    def _drain(self) -> None:
        """Serve what the SMSC sent since the last call (receipts are kept for ``receive``); a
        connection it closed meanwhile is opened again, so the message goes on a live one."""
        try:
            while self._client is not None and select.select([self._client._socket], [], [], 0)[0]:
                self._client._socket.settimeout(self.timeout)
                self._pending.extend(self._serve(self._client.read_pdu()))
        except _CONNECTION_ERRORS as error:
            self._connection_lost(error)
        self.open()

    def _request(self, pdu, answer_command: str):
        """Send a PDU and wait for its answer, meanwhile serving what the SMSC sends on its own."""
        client = self._client
        deadline = time.monotonic() + self.timeout
        try:
            client._socket.settimeout(self.timeout)
            client.send_pdu(pdu)
            self._last_traffic = time.monotonic()
            while True:
                if time.monotonic() > deadline:
                    raise TimeoutError
                answer = client.read_pdu()
                if answer.sequence == pdu.sequence and answer.command in (answer_command, "generic_nack"):
                    return answer
                self._pending.extend(self._serve(answer))
                if self._client is None:  # the SMSC unbound instead of answering
                    raise smpp_errors.ConnectionError()
        except _CONNECTION_ERRORS as error:
            raise self._connection_lost(error) from error

    # -- receiving --------------------------------------------------------------------------------

    def receive(self, timeout: float = 0) -> list[DeliveryReport | IncomingSms]:
        """Delivery receipts and incoming messages, each acknowledged as it is read: those read while
        sending, else those that come within ``timeout`` seconds. Once something came, reading goes on
        while more follows within a short pause (an SMSC delivers what it held in a burst after a
        bind), but never past the timeout; ``timeout=0`` takes only what is already waiting."""
        with self._lock:
            events, self._pending = self._pending, []
            try:
                self.open()
            except GatewayError:
                if events:
                    return events
                raise
            deadline = time.monotonic() + max(0.0, timeout)
            try:
                self._keep_alive()
                while True:
                    remaining = max(0.0, deadline - time.monotonic())
                    wait = min(remaining, BURST_PAUSE_SECONDS) if events else remaining
                    readable, _writable, _failed = select.select([self._client._socket], [], [], wait)
                    if not readable:
                        break
                    self._client._socket.settimeout(self.timeout)
                    events.extend(self._serve(self._client.read_pdu()))
                    if self._client is None:  # the SMSC unbound
                        break
            except _CONNECTION_ERRORS as error:
                lost = self._connection_lost(error)
                if not events:
                    raise lost from error
            events.extend(self._stale_fragments())
            return events

    def _keep_alive(self) -> None:
        if time.monotonic() - self._last_traffic > ENQUIRE_LINK_IDLE_SECONDS:
            self._client.send_pdu(smpp.make_pdu("enquire_link", client=self._client))
            self._last_traffic = time.monotonic()

    def _serve(self, pdu) -> list[DeliveryReport | IncomingSms]:
        """Act on a PDU the SMSC sent on its own: acknowledge deliveries, answer enquire_link and unbind."""
        client = self._client
        self._last_traffic = time.monotonic()
        if pdu.command == "deliver_sm":
            try:
                events = self._deliveries(pdu)
            except Exception:  # a malformed PDU must not stop the others: acknowledge it and go on
                log.exception("A deliver_sm PDU that could not be read was dropped")
                events = []
            answer = smpp.make_pdu("deliver_sm_resp", client=client)
            answer.sequence = pdu.sequence
            client.send_pdu(answer)
            return events
        if pdu.command == "enquire_link":
            answer = smpp.make_pdu("enquire_link_resp", client=client)
            answer.sequence = pdu.sequence
            client.send_pdu(answer)
        elif pdu.command == "unbind":
            answer = smpp.make_pdu("unbind_resp", client=client)
            answer.sequence = pdu.sequence
            client.send_pdu(answer)
            self._client = None
            self._drop(client)
        elif pdu.command not in ("enquire_link_resp", "unbind_resp"):
            log.info("An SMPP %s PDU was ignored", pdu.command)
        return []

    def _deliveries(self, pdu) -> list[DeliveryReport | IncomingSms]:
        esm_class = pdu.esm_class or 0
        payload = pdu.short_message or pdu.message_payload or b""
        receipted = _text(pdu.receipted_message_id)
        if esm_class & ESM_TYPE_MASK or receipted:
            report = self._receipt(pdu, payload, receipted)
            return [report] if report else []
        header = b""
        if esm_class & ESM_UDHI and payload:
            header, payload = payload[1: 1 + payload[0]], payload[1 + payload[0]:]
        text = decode_short_message(payload, pdu.data_coding or 0)
        if not (esm_class & ESM_TYPE_MASK) and _RECEIPT_STAT.search(text) and _RECEIPT_ID.search(text):
            report = self._receipt(pdu, payload, receipted)  # a receipt from an SMSC that does not flag it
            if report:
                return [report]
        sender = _text(pdu.source_addr)
        if pdu.source_addr_ton == 1 and sender.isdigit():
            sender = "+" + sender
        concatenation = _concatenation(header) or _sar(pdu)
        if concatenation is None:
            return [IncomingSms(sender=sender, text=text)]
        reference, total, number = concatenation
        key = (sender, reference, total)
        entry = self._fragments.setdefault(key, {"parts": {}, "since": time.monotonic()})
        entry["parts"][number] = text
        if len(entry["parts"]) < total:
            return []
        del self._fragments[key]
        return [IncomingSms(sender=sender, text="".join(entry["parts"][n] for n in sorted(entry["parts"])))]

    def _stale_fragments(self) -> list[IncomingSms]:
        now = time.monotonic()
        stale = [key for key, entry in self._fragments.items() if now - entry["since"] > FRAGMENT_WAIT_SECONDS]
        messages = []
        for key in stale:
            parts = self._fragments.pop(key)["parts"]
            messages.append(IncomingSms(sender=key[0], text="".join(parts[n] for n in sorted(parts))))
        return messages

    @staticmethod
    def _receipt(pdu, payload: bytes, receipted: str) -> DeliveryReport | None:
        text = payload.decode("latin-1")
        found_id, found_stat, found_err = (_RECEIPT_ID.search(text), _RECEIPT_STAT.search(text),
                                           _RECEIPT_ERR.search(text))
        ref = receipted or (found_id.group(1) if found_id else "")
        word = found_stat.group(1).upper() if found_stat else MESSAGE_STATE_WORDS.get(pdu.message_state or 0, "")
        status = RECEIPT_STATES.get(word) or MESSAGE_STATES.get(pdu.message_state or 0)
        if not ref or status is None:
            log.info("A delivery receipt without a message id or a known state was dropped")
            return None
        error = ""
        if status == FAILED:
            code = found_err.group(1) if found_err else ""
            error = f"{word} (err:{code})" if code and code.strip("0") else word
        return DeliveryReport(provider_ref=ref, status=status, error=error)


# -- decoding -------------------------------------------------------------------------------------

def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("latin-1").strip("\x00").strip()
    return str(value).strip()


def _status_text(status: int | None) -> str:
    if status is None:
        return gettext("no reason given")
    return "%s (0x%02X)" % (consts.DESCRIPTIONS.get(status, gettext("unknown status")), status)


def gsm_decode(data: bytes) -> str:
    """GSM 03.38 default alphabet, one septet a byte (as SMPP carries it), with the escape table."""
    table = smpplib.gsm.GSM_CHARACTER_TABLE
    characters = []
    escaped = False
    for byte in data:
        if escaped:
            index = 0x80 + byte
            characters.append(table[index] if index < len(table) and table[index] != "`" else "?")
            escaped = False
        elif byte == 0x1B:
            escaped = True
        else:
            characters.append(table[byte] if byte < 0x80 else "?")
    return "".join(characters)


def decode_short_message(data: bytes, data_coding: int) -> str:
    if data_coding == consts.SMPP_ENCODING_ISO10646 or data_coding & 0xEC == 0x08:  # UCS-2 (also as a class)
        return data.decode("utf-16-be", errors="replace")
    if data_coding == consts.SMPP_ENCODING_DEFAULT:
        return gsm_decode(data)
    if data_coding == consts.SMPP_ENCODING_IA5:
        return data.decode("ascii", errors="replace")
    if data_coding == consts.SMPP_ENCODING_ISO88595:
        return data.decode("iso8859-5", errors="replace")
    return data.decode("latin-1")


def _concatenation(header: bytes) -> tuple[int, int, int] | None:
    """(reference, total, number) from a user data header's concatenation element, 8- or 16-bit."""
    position = 0
    while position + 2 <= len(header):
        element, length = header[position], header[position + 1]
        value = header[position + 2: position + 2 + length]
        if element == 0x00 and length == 3 and len(value) == 3:
            return value[0], value[1], value[2]
        if element == 0x08 and length == 4 and len(value) == 4:
            return (value[0] << 8) | value[1], value[2], value[3]
        position += 2 + length
    return None


def _sar(pdu) -> tuple[int, int, int] | None:
    if pdu.sar_msg_ref_num is None or not pdu.sar_total_segments or not pdu.sar_segment_seqnum:
        return None
    return pdu.sar_msg_ref_num, pdu.sar_total_segments, pdu.sar_segment_seqnum
