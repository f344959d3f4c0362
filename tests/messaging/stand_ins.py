"""Real servers on 127.0.0.1 that stand in for SMS providers in tests: nothing of the network is mocked.

``HttpGatewayStandIn`` answers like a typical HTTP SMS provider; ``SmppStandIn`` is a small SMPP 3.4
SMSC. Both run in threads, are context managers, record what they receive and can be told to fail.
Point a gateway at them::

    with HttpGatewayStandIn() as provider:
        gateway = gateway_from_config("http", {"url": provider.send_url, "params": {...}}, data_dir=tmp)
        provider.fail_next(2, status=500)        # the next two requests answer 500
        provider.slow(0.5)                       # every request waits half a second before answering
        ...
        provider.requests[-1].params["to"]       # what the provider received

    with SmppStandIn(system_id="policydesk", password="secret") as smsc:
        gateway = gateway_from_config("smpp", {"host": smsc.host, "port": smsc.port, ...}, data_dir=tmp)
        smsc.fail_next_submit(0x58)              # ESME_RTHROTTLED for the next submit_sm
        smsc.push_receipt("1001", "DELIVRD")     # a delivery receipt to the bound client
        smsc.submitted[-1].text                  # what the client submitted, decoded

Everything waits with a timeout; the ``wait_for_*`` helpers help tests that send from other threads.
"""

import itertools
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import smpplib.gsm
from smpplib import command_codes, consts, smpp
from smpplib.client import SimpleSequenceGenerator


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (for "connection refused")."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


# -- HTTP -----------------------------------------------------------------------------------------

@dataclass
class RecordedRequest:
    """One request as the provider received it."""

    method: str
    path: str  # without the query string
    query: dict[str, str]  # the last value of each name
    headers: dict[str, str]
    body: bytes
    form: dict[str, str] = field(default_factory=dict)  # an application/x-www-form-urlencoded body
    json: Any = None  # a JSON body
    received_at: float = 0.0  # time.monotonic()

    def header(self, name: str, default: str | None = None) -> str | None:
        """A header's value whatever the case of its name."""
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return default

    @property
    def params(self) -> dict[str, Any]:
        """The parameters wherever they were sent: the JSON object, else the form, else the query."""
        if isinstance(self.json, dict):
            return self.json
        return self.form or self.query


@dataclass
class _Failure:
    status: int
    body: str
    headers: dict[str, str]


class HttpGatewayStandIn:
    """An HTTP SMS provider on 127.0.0.1 (a free port), answering from a thread per request.

    * Any path but ``/balance`` sends: the answer is ``{"status": "OK", "id": "<n>", "cost": "1.50"}``
      (n counts the successful sends from 1), or what ``success_body`` returns.
    * ``/balance`` answers ``{"status": "OK", "balance": "<balance>"}``, or what ``balance_body``
      returns (a JSON dict/list or text, e.g. ``"42.10"`` for a plain-number answer).
    * ``fail_next(n, status=..., body=...)`` makes the next n requests answer with that status
      (500, 429, 400...); ``slow(seconds)`` delays every answer (0 to stop); ``require_auth(value)``
      answers 401 to requests whose Authorization header is not exactly ``value``.
    * ``requests`` records every request, failed and slow ones included, as it arrives.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._failures: list[_Failure] = []
        self._delay = 0.0
        self._sends = itertools.count(1)
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.required_authorization: str | None = None
        self.balance = Decimal("100.00")
        self.cost = "1.50"
        # (request, n) -> the JSON (dict/list) or text of a successful send's answer
        self.success_body: Callable[[RecordedRequest, int], Any] = self._typical_answer
        # request -> the JSON (dict/list) or text of the balance's answer
        self.balance_body: Callable[[RecordedRequest], Any] = self._typical_balance

    # -- running --

    def start(self) -> "HttpGatewayStandIn":
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stand_in._handle(self)

            do_POST = do_PUT = do_DELETE = do_GET

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False  # a slow answer must not hold up the test's end
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="http-gateway-stand-in", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=2)
            self._server = None

    def __enter__(self) -> "HttpGatewayStandIn":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def send_url(self) -> str:
        return self.url + "/send"

    @property
    def balance_url(self) -> str:
        return self.url + "/balance"

    # -- behaviour --

    def fail_next(self, count: int = 1, *, status: int = 500, body: Any = None,
                  headers: dict[str, str] | None = None) -> None:
        """The next ``count`` requests answer ``status`` with ``body`` (JSON when not text)."""
        if body is None:
            body = {"status": "ERROR", "error": f"stand-in failure {status}"}
        text = body if isinstance(body, str) else json.dumps(body)
        with self._lock:
            self._failures.extend(_Failure(status, text, dict(headers or {})) for _ in range(count))

    def slow(self, seconds: float) -> None:
        """Every request waits this long before its answer (0: answer at once again)."""
        self._delay = seconds

    def require_auth(self, authorization: str | None) -> None:
        """Answer 401 unless the Authorization header is exactly this (None: anything goes)."""
        self.required_authorization = authorization

    # -- what it received --

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def last_request(self) -> RecordedRequest:
        requests = self.requests
        assert requests, "the stand-in received no request"
        return requests[-1]

    def wait_for_requests(self, count: int, timeout: float = 2.0) -> list[RecordedRequest]:
        return _wait_until(lambda: len(self.requests) >= count and self.requests, timeout, f"{count} requests")

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._failures.clear()
        self._delay = 0.0
        self.required_authorization = None

    # -- answering --

    def _typical_answer(self, request: RecordedRequest, number: int) -> Any:
        return {"status": "OK", "id": str(number), "cost": self.cost}

    def _typical_balance(self, request: RecordedRequest) -> Any:
        return {"status": "OK", "balance": str(self.balance)}

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        request = self._record(handler)
        if self._delay:
            self._stopping.wait(self._delay)
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            self._answer(handler, failure.status, failure.body, failure.headers)
        elif self.required_authorization is not None and \
                request.header("Authorization") != self.required_authorization:
            self._answer(handler, 401, json.dumps({"status": "ERROR", "error": "unauthorized"}))
        elif request.path.rstrip("/").endswith("/balance"):
            body = self.balance_body(request)
            self._answer(handler, 200, body if isinstance(body, str) else json.dumps(body))
        else:
            body = self.success_body(request, next(self._sends))
            self._answer(handler, 200, body if isinstance(body, str) else json.dumps(body))

    def _record(self, handler: BaseHTTPRequestHandler) -> RecordedRequest:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        content_type = (handler.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        request = RecordedRequest(
            method=handler.command,
            path=parts.path,
            query={name: values[-1] for name, values in parse_qs(parts.query, keep_blank_values=True).items()},
            headers=dict(handler.headers.items()),
            body=body,
            received_at=time.monotonic(),
        )
        if content_type == "application/x-www-form-urlencoded":
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
            request.form = {name: values[-1] for name, values in form.items()}
        elif content_type == "application/json":
            request.json = json.loads(body.decode("utf-8") or "null")
        with self._lock:
            self._requests.append(request)
        return request

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, status: int, text: str, headers: dict | None = None) -> None:
        payload = text.encode("utf-8")
        try:
            handler.send_response(status)
            is_json = text[:1] in ("{", "[")
            handler.send_header("Content-Type", "application/json" if is_json else "text/plain; charset=utf-8")
            handler.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)


# -- SMPP -----------------------------------------------------------------------------------------

def gsm_text(data: bytes) -> str:
    """GSM 7-bit (one septet a byte, as SMPP carries it) as text, escape table included."""
    table = smpplib.gsm.GSM_CHARACTER_TABLE
    out, escaped = [], False
    for byte in data:
        if escaped:
            out.append(table[0x80 + byte])
            escaped = False
        elif byte == 0x1B:
            escaped = True
        else:
            out.append(table[byte])
    return "".join(out)


@dataclass
class SubmittedSms:
    """One submit_sm as the SMSC received it; a long message is several, one a part."""

    source_addr: str
    source_addr_ton: int
    source_addr_npi: int
    destination_addr: str
    dest_addr_ton: int
    dest_addr_npi: int
    esm_class: int
    data_coding: int
    registered_delivery: int
    short_message: bytes
    udh: bytes  # the user data header of a part ("" when none)
    text: str  # the part's text, decoded, without its header
    status: int  # what the SMSC answered (0: accepted)
    message_id: str  # the id it gave ("" when refused)
    user_message_reference: int | None = None


class _Connection:
    """One client connection: a socket, a lock for writing, what it is bound as."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.write_lock = threading.Lock()
        self.bound_as = ""

    def send(self, data: bytes) -> None:
        with self.write_lock:
            self.sock.sendall(data)


class SmppStandIn:
    """A small SMPP 3.4 SMSC on 127.0.0.1 (a free port), a thread per client connection.

    Accepts bind_transceiver (and bind_transmitter/receiver) with the given system id and password
    (others get ESME_RINVPASWD), answers submit_sm with submit_sm_resp and ids "1001", "1002"...,
    enquire_link and unbind; records binds (``binds``), submitted parts (``submitted``) and the
    client's deliver_sm_resp (``deliver_responses``). ``fail_next_submit(status)`` refuses the next
    submit_sm; ``delay_submits(seconds)`` delays the answers; ``push_receipt`` and ``push_incoming``
    send deliver_sm to the last bound client; ``drop_connections()`` closes every connection.
    """

    def __init__(self, *, system_id: str = "policydesk", password: str = "secret") -> None:
        self.system_id = system_id
        self.password = password
        self._lock = threading.Lock()
        self._sequences = SimpleSequenceGenerator()
        self._ids = itertools.count(1001)
        self._stopping = threading.Event()
        self._connections: list[_Connection] = []
        self._threads: list[threading.Thread] = []
        self._submit_failures: list[int] = []
        self._submit_delay = 0.0
        self._listener: socket.socket | None = None
        self.binds: list[dict[str, str]] = []
        self.submitted: list[SubmittedSms] = []
        self.deliver_responses: list[tuple[int, int]] = []  # (sequence, status)
        self.enquire_links = 0
        self.unbinds = 0

    # -- running --

    def start(self) -> "SmppStandIn":
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(0.05)
        self._listener = listener
        self._start_thread(self._accept_loop, "smpp-stand-in")
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.drop_connections()
        for thread in list(self._threads):
            thread.join(timeout=2)
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def __enter__(self) -> "SmppStandIn":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return self._listener.getsockname()[1]

    def drop_connections(self) -> None:
        """Close every client connection at once, as a crashed SMSC would."""
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            try:
                connection.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.sock.close()

    # -- behaviour --

    def fail_next_submit(self, status: int, count: int = 1) -> None:
        """Answer the next ``count`` submit_sm with this command status (e.g. 0x58 ESME_RTHROTTLED)."""
        with self._lock:
            self._submit_failures.extend([status] * count)

    def delay_submits(self, seconds: float) -> None:
        """Wait this long before each submit_sm_resp (0: answer at once)."""
        self._submit_delay = seconds

    @property
    def is_bound(self) -> bool:
        with self._lock:
            return any(connection.bound_as for connection in self._connections)

    def push_receipt(self, message_id: str, stat: str = "DELIVRD", err: str = "000", *,
                     receipted_tlv: bool = False, source_addr: str = "79161234567") -> int:
        """A delivery receipt (esm_class 0x04) for a message id; its sequence number."""
        stamp = time.strftime("%y%m%d%H%M")
        text = (f"id:{message_id} sub:001 dlvrd:{'001' if stat == 'DELIVRD' else '000'} submit date:{stamp} "
                f"done date:{stamp} stat:{stat} err:{err} text:")
        extra = {}
        if receipted_tlv:
            states = {"DELIVRD": 2, "EXPIRED": 3, "DELETED": 4, "UNDELIV": 5, "ACCEPTD": 6, "REJECTD": 8}
            extra = {"receipted_message_id": message_id, "message_state": states.get(stat, 7)}
        return self.push_deliver_sm(source_addr=source_addr, esm_class=0x04, data_coding=0,
                                    short_message=text.encode("ascii"), **extra)[0]

    def push_incoming(self, sender: str, text: str, *, recipient: str = "PolicyDesk",
                      sender_ton: int = 1) -> list[int]:
        """A message from a phone: GSM 7-bit when the text allows, else UCS-2, in concatenated parts
        (with a user data header) when long; the sequence numbers of its deliver_sm."""
        parts, data_coding, esm_class = smpplib.gsm.make_parts(text)
        return [
            self.push_deliver_sm(source_addr=sender, source_addr_ton=sender_ton, destination_addr=recipient,
                                 esm_class=esm_class, data_coding=data_coding, short_message=part)[0]
            for part in parts
        ]

    def push_deliver_sm(self, **fields: Any) -> list[int]:
        """Any deliver_sm (smpplib field names) to the last bound client."""
        connection = self._bound_connection()
        fields.setdefault("source_addr_ton", 1)
        fields.setdefault("source_addr_npi", 1)
        fields.setdefault("dest_addr_ton", 5)
        fields.setdefault("destination_addr", "PolicyDesk")
        pdu = smpp.make_pdu("deliver_sm", client=self._sequences, **fields)
        connection.send(pdu.generate())
        return [pdu.sequence]

    # -- waiting --

    def wait_for_bind(self, timeout: float = 2.0) -> None:
        _wait_until(lambda: self.is_bound, timeout, "a bound client")

    def wait_for_submits(self, count: int, timeout: float = 2.0) -> list[SubmittedSms]:
        return _wait_until(lambda: len(self.submitted) >= count and list(self.submitted), timeout,
                           f"{count} submit_sm")

    def wait_for_deliver_responses(self, count: int, timeout: float = 2.0) -> list[tuple[int, int]]:
        return _wait_until(lambda: len(self.deliver_responses) >= count and list(self.deliver_responses),
                           timeout, f"{count} deliver_sm_resp")

    # -- serving --

    def _start_thread(self, target: Callable, name: str, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _bound_connection(self) -> _Connection:
        with self._lock:
            bound = [connection for connection in self._connections if connection.bound_as in ("trx", "rx")]
        if not bound:
            raise AssertionError("no client is bound as a receiver")
        return bound[-1]

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _address = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            sock.settimeout(0.05)
            connection = _Connection(sock)
            with self._lock:
                self._connections.append(connection)
            self._start_thread(self._serve, "smpp-stand-in-connection", connection)

    def _read_exact(self, connection: _Connection, size: int, *, started: bool) -> bytes | None:
        """``size`` bytes; None when the connection ended (or nothing came and ``started`` is False)."""
        chunks, received = [], 0
        while received < size:
            if self._stopping.is_set():
                return None
            try:
                chunk = connection.sock.recv(size - received)
            except TimeoutError:
                if not started and not received:
                    return b""
                continue
            except OSError:
                return None
            if not chunk:
                return None
            chunks.append(chunk)
            received += len(chunk)
        return b"".join(chunks)

    def _serve(self, connection: _Connection) -> None:
        try:
            while not self._stopping.is_set():
                head = self._read_exact(connection, 4, started=False)
                if head is None:
                    return
                if head == b"":
                    continue
                length = struct.unpack(">L", head)[0]
                rest = self._read_exact(connection, length - 4, started=True)
                if rest is None:
                    return
                try:
                    if not self._answer(connection, head + rest):
                        return
                except OSError:
                    return  # the client went away before the answer (it timed out)
        finally:
            with self._lock:
                if connection in self._connections:
                    self._connections.remove(connection)
            connection.sock.close()

    def _answer(self, connection: _Connection, raw: bytes) -> bool:
        """Act on one PDU from the client; False when the connection is to end."""
        command_id, sequence = struct.unpack(">L", raw[4:8])[0], struct.unpack(">L", raw[12:16])[0]
        try:
            pdu = smpp.parse_pdu(raw, client=self._sequences, allow_unknown_opt_params=True)
        except Exception:
            connection.send(_header_only(_command_code("generic_nack"), consts.SMPP_ESME_RINVCMDID, sequence))
            return True
        command = pdu.command
        if command in ("bind_transceiver", "bind_transmitter", "bind_receiver"):
            system_id, password = _text(pdu.system_id), _text(pdu.password)
            with self._lock:
                self.binds.append({"command": command, "system_id": system_id, "password": password,
                                   "system_type": _text(pdu.system_type)})
            if (system_id, password) != (self.system_id, self.password):
                connection.send(_header_only(command_id | 0x80000000, consts.SMPP_ESME_RINVPASWD, sequence))
                return True
            answer = smpp.make_pdu(command + "_resp", client=self._sequences, system_id="standin")
            answer.sequence = sequence
            connection.bound_as = {"bind_transceiver": "trx", "bind_transmitter": "tx"}.get(command, "rx")
            connection.send(answer.generate())
        elif command == "submit_sm":
            self._submit(connection, pdu, sequence)
        elif command == "deliver_sm_resp":
            with self._lock:
                self.deliver_responses.append((sequence, pdu.status))
        elif command == "enquire_link":
            self.enquire_links += 1
            connection.send(_header_only(_command_code("enquire_link_resp"), 0, sequence))
        elif command == "unbind":
            self.unbinds += 1
            connection.bound_as = ""
            connection.send(_header_only(_command_code("unbind_resp"), 0, sequence))
            return False
        elif not command.endswith("_resp"):
            connection.send(_header_only(_command_code("generic_nack"), consts.SMPP_ESME_RINVCMDID, sequence))
        return True

    def _submit(self, connection: _Connection, pdu: Any, sequence: int) -> None:
        if self._submit_delay:
            self._stopping.wait(self._submit_delay)
        with self._lock:
            status = self._submit_failures.pop(0) if self._submit_failures else 0
        message_id = str(next(self._ids)) if status == 0 else ""
        short_message = pdu.short_message or b""
        udh, payload = b"", short_message
        if (pdu.esm_class or 0) & 0x40 and short_message:
            udh, payload = short_message[1: 1 + short_message[0]], short_message[1 + short_message[0]:]
        coding = pdu.data_coding or 0
        text = payload.decode("utf-16-be") if coding == 8 else gsm_text(payload) if coding == 0 \
            else payload.decode("latin-1")
        with self._lock:
            self.submitted.append(SubmittedSms(
                source_addr=_text(pdu.source_addr), source_addr_ton=pdu.source_addr_ton or 0,
                source_addr_npi=pdu.source_addr_npi or 0, destination_addr=_text(pdu.destination_addr),
                dest_addr_ton=pdu.dest_addr_ton or 0, dest_addr_npi=pdu.dest_addr_npi or 0,
                esm_class=pdu.esm_class or 0, data_coding=coding,
                registered_delivery=pdu.registered_delivery or 0, short_message=short_message, udh=udh,
                text=text, status=status, message_id=message_id,
                user_message_reference=pdu.user_message_reference,
            ))
        if status:
            # An error answer carries no body (SMPP 3.4, 4.4.2).
            connection.send(_header_only(_command_code("submit_sm_resp"), status, sequence))
            return
        answer = smpp.make_pdu("submit_sm_resp", client=self._sequences, message_id=message_id)
        answer.sequence = sequence
        connection.send(answer.generate())


def _command_code(name: str) -> int:
    return command_codes.get_command_code(name)


def _header_only(command_id: int, status: int, sequence: int) -> bytes:
    return struct.pack(">LLLL", 16, command_id, status, sequence)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return "" if value is None else str(value)
