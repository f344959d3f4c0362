"""A listener for Asterisk's manager interface (AMI) that posts its calls to PolicyDesk.

It signs in to the AMI (a plain-text protocol over TCP: blocks of "Key: Value" lines ending with
an empty line), asks for the events of class "call", follows each call by its ``Linkedid`` (the
id every channel of one call shares) and posts to ``/api/diary/call-events/``:

* ``ringing`` when an extension starts ringing: ``DialBegin`` (the dialled extension), or a
  ``Newstate`` to "Ringing" of a channel other than the caller's when no ``DialBegin`` came;
* ``answered`` when the extension's channel enters the bridge with the caller (``BridgeEnter``),
  or the dial ends with ``DialStatus: ANSWER``;
* ``ended`` when the caller's channel hangs up (``Hangup``), with the conversation's duration.

``Newchannel`` of the caller's channel gives the caller's number (``CallerIDNum``). Calls that
never ring an extension (an IVR the caller left, an outgoing call to a number that does not look
like an extension) and internal calls (the caller's number looks like an extension) are not
posted. When several extensions ring for one call (a ring group, a queue), the first is posted as
ringing, and the one that answers with "answered"; PolicyDesk moves the card to its user.

Events are posted one at a time in the order received; a post that fails for want of the server
is retried with a growing pause, one the server refuses (4xx) is logged and dropped. A lost AMI
connection is reopened with a growing pause (1 s to a minute). Only the standard library is used,
so the listener also runs on the PBX's own host: ``python -m policydesk.diary.asterisk --help``.
"""

import argparse
import asyncio
import datetime
import json
import logging
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("policydesk.asterisk")

DEFAULT_EXTENSION_PATTERN = r"^\d{2,6}$"


class AmiError(Exception):
    """The AMI refused the login (wrong user or secret, or no permission for call events)."""


# -- the protocol ---------------------------------------------------------------------------------

def parse_message(block: str) -> dict[str, str]:
    """One AMI message ("Key: Value" lines) as a dict; a key repeated keeps its first value."""
    message: dict[str, str] = {}
    for line in block.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and key.strip() not in message:
            message[key.strip()] = value.strip()
    return message


def format_action(action: str, **fields: str) -> bytes:
    lines = [f"Action: {action}"] + [f"{key}: {value}" for key, value in fields.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def channel_extension(channel: str) -> str:
    """The endpoint of a channel name: "PJSIP/102-0000001a" → "102", "Local/102@from-internal-0001;1"
    → "102", "SIP/trunk-00000003" → "trunk"."""
    match = re.match(r"^[^/]+/([^@;]+?)(?:@[^;]*)?(?:-[0-9a-fA-F]+)?(?:;\d)?$", channel or "")
    return match.group(1) if match else ""


def dial_extension(dial_string: str) -> str:
    """The (first) destination of a Dial(): "102", "PJSIP/102", "102@from-internal",
    "PJSIP/102&PJSIP/103" → "102"; "PJSIP/89121234567@trunk" → "89121234567"."""
    first = (dial_string or "").split("&")[0].split(",")[0]
    first = first.split("/", 1)[1] if "/" in first else first
    return first.split("@")[0].strip()


# -- from AMI events to PolicyDesk's call events --------------------------------------------------

@dataclass
class _Call:
    call_id: str
    caller: str = ""
    called: str = ""
    rang: bool = False
    answered_at: float | None = None
    channels: set = field(default_factory=set)


class CallTracker:
    """Turns AMI events into the payloads PolicyDesk's API takes, following calls by Linkedid."""

    def __init__(self, extension_pattern: str = DEFAULT_EXTENSION_PATTERN, clock: Callable[[], float] = time.time):
        self.extension = re.compile(extension_pattern)
        self.clock = clock
        self.calls: dict[str, _Call] = {}

    def feed(self, message: dict[str, str]) -> list[dict]:
        handler = getattr(self, f"_on_{message.get('Event', '').lower()}", None)
        if handler is None:
            return []
        call_id = message.get("Linkedid") or message.get("Uniqueid") or ""
        if not call_id:
            return []
        return handler(message, call_id) or []

    def _when(self, message) -> float:
        try:
            return float(message["Timestamp"])  # manager.conf: timestampevents = yes
        except (KeyError, ValueError):
            return self.clock()

    def _payload(self, event: str, call: _Call, when: float, **extra) -> dict:
        at = datetime.datetime.fromtimestamp(when, tz=datetime.UTC).isoformat(timespec="milliseconds")
        return {"event": event, "call_id": call.call_id, "caller": call.caller, "called": call.called, "at": at,
                **extra}

    def _call(self, call_id: str, message) -> _Call:
        call = self.calls.get(call_id)
        if call is None:
            call = self.calls[call_id] = _Call(call_id)
        if not call.caller and message.get("Uniqueid") == call_id:
            call.caller = _number(message.get("CallerIDNum"))
        return call

    def _ring(self, call: _Call, extension: str, caller: str, message) -> list[dict]:
        if call.rang or not extension or not self.extension.match(extension):
            return []
        call.caller = call.caller or caller
        if call.caller and self.extension.match(call.caller):
            return []  # an internal call, from one extension to another
        call.rang, call.called = True, extension
        return [self._payload("ringing", call, self._when(message))]

    def _answer(self, call: _Call, extension: str, message) -> list[dict]:
        if not call.rang or call.answered_at is not None:
            return []
        call.answered_at = self._when(message)
        answering = extension if extension and self.extension.match(extension) else call.called
        return [{**self._payload("answered", call, call.answered_at), "called": answering}]

    def _on_newchannel(self, message, call_id):
        call = self._call(call_id, message)
        call.channels.add(message.get("Uniqueid", ""))

    def _on_newstate(self, message, call_id):
        if message.get("ChannelStateDesc") != "Ringing" or message.get("Uniqueid") == call_id:
            return []
        call = self._call(call_id, message)
        call.channels.add(message.get("Uniqueid", ""))
        extension = channel_extension(message.get("Channel", "")) or _number(message.get("CallerIDNum"))
        return self._ring(call, extension, _number(message.get("ConnectedLineNum")), message)

    def _on_dialbegin(self, message, call_id):
        call = self._call(call_id, message)
        extension = (dial_extension(message.get("DialString", "")) or message.get("DestExten", "")
                     or channel_extension(message.get("DestChannel", "")))
        return self._ring(call, extension, _number(message.get("CallerIDNum")), message)

    def _on_dialend(self, message, call_id):
        if message.get("DialStatus") != "ANSWER" or call_id not in self.calls:
            return []
        return self._answer(self.calls[call_id], channel_extension(message.get("DestChannel", "")), message)

    def _on_bridgeenter(self, message, call_id):
        if call_id not in self.calls or message.get("Uniqueid") == call_id:
            return []  # the caller's own channel entering says nothing of who answered
        return self._answer(self.calls[call_id], channel_extension(message.get("Channel", "")), message)

    def _on_hangup(self, message, call_id):
        call = self.calls.get(call_id)
        if call is None:
            return []
        uniqueid = message.get("Uniqueid", "")
        call.channels.discard(uniqueid)
        if uniqueid != call_id and call.channels:
            return []  # one ringing extension of several stopped; the call goes on
        del self.calls[call_id]
        if not call.rang:
            return []
        when = self._when(message)
        extra = {"duration": int(max(when - call.answered_at, 0))} if call.answered_at is not None else {}
        return [self._payload("ended", call, when, **extra)]


def _number(value) -> str:
    value = (value or "").strip()
    return "" if value.lower() in ("", "<unknown>", "unknown", "anonymous", "restricted") else value


# -- posting to PolicyDesk ------------------------------------------------------------------------

class PostRefused(Exception):
    """The server answered 4xx: the event will not be accepted by trying again."""


def post_event(api_url: str, token: str, payload: dict, timeout: float = 10) -> dict:
    """POST one event as JSON with the token; the server's answer. PostRefused on 4xx; OSError
    (URLError) when the server cannot be reached or fails (5xx)."""
    request = urllib.request.Request(
        api_url, data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json", "Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (the configured URL)
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        body = exc.read()[:500].decode(errors="replace")
        if 400 <= exc.code < 500:
            raise PostRefused(f"{exc.code} {body}") from None
        raise OSError(f"{exc.code} {body}") from None


# -- the listener ---------------------------------------------------------------------------------

class AmiListener:
    """Signs in to the AMI, reads events, and hands each mapped payload to ``post`` (a blocking
    callable, run in a thread), in order. ``run()`` reconnects until ``stop()``."""

    def __init__(self, *, host: str, port: int, username: str, secret: str, post: Callable[[dict], object],
                 tracker: CallTracker | None = None, events: str = "call", keepalive: float = 30,
                 max_backoff: float = 60, post_retry_max: float = 30):
        self.host, self.port, self.username, self.secret = host, port, username, secret
        self.post = post
        self.tracker = tracker or CallTracker()
        self.events = events
        self.keepalive = keepalive
        self.max_backoff = max_backoff
        self.post_retry_max = post_retry_max
        self._stopping = asyncio.Event()
        self._queue: asyncio.Queue | None = None
        self._writer: asyncio.StreamWriter | None = None

    def stop(self) -> None:
        self._stopping.set()
        if self._writer is not None:
            self._writer.close()

    async def run(self) -> None:
        self._queue = asyncio.Queue()
        poster = asyncio.create_task(self._post_loop())
        backoff = min(1.0, self.max_backoff)
        try:
            while not self._stopping.is_set():
                try:
                    await self._session()
                    backoff = min(1.0, self.max_backoff)
                except AmiError as exc:
                    log.error("AMI login refused: %s", exc)
                except (TimeoutError, OSError, EOFError, asyncio.LimitOverrunError) as exc:
                    log.warning("AMI connection to %s:%s lost: %s", self.host, self.port, exc or type(exc).__name__)
                else:
                    log.warning("AMI connection to %s:%s closed", self.host, self.port)
                if self._stopping.is_set():
                    break
                log.info("Reconnecting in %.0f s", backoff)
                try:
                    await asyncio.wait_for(self._stopping.wait(), timeout=backoff)
                except TimeoutError:
                    pass
                backoff = min(backoff * 2, self.max_backoff)
            try:  # what was read before stopping is still posted, unless PolicyDesk cannot be reached
                await asyncio.wait_for(self._queue.join(), timeout=10)
            except TimeoutError:
                log.warning("Stopped with %d events not posted", self._queue.qsize())
        finally:
            poster.cancel()

    async def _session(self) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self._writer = writer
        pinger = None
        try:
            banner = await asyncio.wait_for(reader.readline(), timeout=10)
            log.info("Connected to %s:%s (%s)", self.host, self.port, banner.decode(errors="replace").strip())
            writer.write(format_action("Login", Username=self.username, Secret=self.secret, Events=self.events))
            await writer.drain()
            while True:
                message = await self._read(reader, timeout=10)
                if "Response" in message:
                    break
            if message["Response"].lower() != "success":
                raise AmiError(message.get("Message", message["Response"]))
            log.info("Signed in to the AMI as %s", self.username)
            pinger = asyncio.create_task(self._ping(writer))
            while not self._stopping.is_set():
                message = await self._read(reader, timeout=self.keepalive * 3)
                for payload in self.tracker.feed(message):
                    await self._queue.put(payload)
        finally:
            if pinger is not None:
                pinger.cancel()
            writer.close()
            self._writer = None

    async def _read(self, reader: asyncio.StreamReader, timeout: float) -> dict[str, str]:
        block = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=timeout)
        return parse_message(block.decode(errors="replace"))

    async def _ping(self, writer: asyncio.StreamWriter) -> None:
        # Answers to the pings keep the reader's timeout from firing on a quiet line; a dead
        # connection then shows as the timeout.
        while True:
            await asyncio.sleep(self.keepalive)
            writer.write(format_action("Ping"))
            await writer.drain()

    async def _post_loop(self) -> None:
        while True:
            payload = await self._queue.get()
            delay = 1.0
            try:
                while True:
                    try:
                        await asyncio.to_thread(self.post, payload)
                        log.info("Posted %s of %s", payload["event"], payload["call_id"])
                        break
                    except PostRefused as exc:
                        log.error("PolicyDesk refused %s of %s: %s", payload["event"], payload["call_id"], exc)
                        break
                    except OSError as exc:
                        log.warning("Posting %s of %s failed (%s); again in %.0f s", payload["event"],
                                    payload["call_id"], exc, delay)
                        await asyncio.sleep(delay)
                        delay = min(delay * 2, self.post_retry_max)
            finally:
                self._queue.task_done()


# -- command line ---------------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=os.environ.get("AMI_HOST", "127.0.0.1"), help="AMI host (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("AMI_PORT", "5038")),
                        help="AMI port (default 5038)")
    parser.add_argument("--username", default=os.environ.get("AMI_USERNAME", ""),
                        help="the manager user of manager.conf (or AMI_USERNAME)")
    parser.add_argument("--secret", default=os.environ.get("AMI_SECRET", ""),
                        help="its secret (or AMI_SECRET, which keeps it out of the process list)")
    parser.add_argument("--api-url", default=os.environ.get("POLICYDESK_API_URL",
                                                            "http://127.0.0.1:8000/api/diary/call-events/"),
                        help="PolicyDesk's call-events endpoint (or POLICYDESK_API_URL)")
    parser.add_argument("--token", default=os.environ.get("POLICYDESK_TOKEN", ""),
                        help="the token from `policydesk telephony-token` (or POLICYDESK_TOKEN)")
    parser.add_argument("--extension-pattern", default=DEFAULT_EXTENSION_PATTERN,
                        help=f"what an extension looks like (regular expression; default {DEFAULT_EXTENSION_PATTERN})")
    parser.add_argument("--keepalive", type=float, default=30, help="seconds between pings to the AMI (default 30)")


def listen(*, host: str, port: int, username: str, secret: str, api_url: str, token: str,
           extension_pattern: str = DEFAULT_EXTENSION_PATTERN, keepalive: float = 30) -> None:
    """Run the listener until interrupted."""
    if not (username and secret and token):
        raise SystemExit("Give --username, --secret and --token (or AMI_USERNAME, AMI_SECRET, POLICYDESK_TOKEN).")
    listener = AmiListener(host=host, port=port, username=username, secret=secret,
                           post=lambda payload: post_event(api_url, token, payload),
                           tracker=CallTracker(extension_pattern), keepalive=keepalive)
    try:
        asyncio.run(listener.run())
    except KeyboardInterrupt:
        pass


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="asterisk-listener", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    listen(**vars(args))


if __name__ == "__main__":
    main()
