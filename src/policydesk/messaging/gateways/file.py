"""The offline gateway: each SMS becomes a JSON file a person can read, nothing leaves the machine.

Files go to ``<data dir>/outbox/sms/<local date>/<message id>.json``, written to a temporary file
and moved into place, so that a reader never sees half a file. Sending a message again replaces
its file (also one written on an earlier day), so there is never more than one per message.
"""

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from .base import (
    DeliveryReport,
    GatewayConfigError,
    GatewayError,
    IncomingSms,
    OutgoingSms,
    SendResult,
    SmsGateway,
    count_parts,
    parse_datetime,
    rate_field,
    report_status,
)


class FileGateway(SmsGateway):
    kind = "file"
    default_rate = 1000.0
    config_fields = [rate_field(1000.0)]

    def __init__(self, config: Mapping[str, Any] | None = None, *, data_dir: Path | None = None):
        super().__init__(config, data_dir=data_dir)
        if self.data_dir is None:
            raise GatewayConfigError({"data_dir": gettext("The file gateway needs the data directory.")})
        self.outbox_dir = self.data_dir / "outbox" / "sms"

    def path_for(self, message_id: int) -> Path | None:
        """The file a message was last written to, None when it was never sent."""
        found = sorted(self.outbox_dir.glob(f"*/{int(message_id)}.json"))
        return found[-1] if found else None

    def send(self, sms: OutgoingSms) -> SendResult:
        now = timezone.now()
        day = timezone.localdate(now) if timezone.is_aware(now) else now.date()
        name = f"{int(sms.message_id)}.json"
        target = self.outbox_dir / day.isoformat() / name
        parts = count_parts(sms.text)
        payload = {
            "message_id": sms.message_id,
            "to": sms.to,
            "sender": sms.sender,
            "text": sms.text,
            "parts": parts,
            "written_at": now.isoformat(),
        }
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(target, json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
            for older in self.outbox_dir.glob(f"*/{name}"):
                if older != target:
                    older.unlink(missing_ok=True)
        except OSError as error:
            raise GatewayError(
                gettext("Could not write the SMS to the outbox folder: %(error)s")
                % {"error": error.strerror or error.__class__.__name__},
                retryable=True,
            ) from error
        return SendResult(provider_ref=f"file-{sms.message_id}", parts=parts)

    def parse_report(self, data: Mapping[str, Any]) -> DeliveryReport | None:
        """The generic form ``{"ref": "file-12", "status": "delivered", "error": ""}``."""
        ref = str(data.get("ref") or "").strip()
        status = report_status(data.get("status"))
        if not ref or status is None:
            return None
        return DeliveryReport(provider_ref=ref, status=status, error=str(data.get("error") or ""))

    def parse_incoming(self, data: Mapping[str, Any]) -> IncomingSms | None:
        """The generic form ``{"from": "+79161234567", "text": "...", "ref": "...", "received_at": ISO}``."""
        sender = str(data.get("from") or "").strip()
        if not sender or data.get("text") is None:
            return None
        return IncomingSms(
            sender=sender,
            text=str(data.get("text")),
            provider_ref=str(data.get("ref") or data.get("id") or ""),
            received_at=parse_datetime(data.get("received_at")),
        )


def write_atomically(path: Path, content: str) -> None:
    """Write a text file so that readers see the old content or the new, never a part of it."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
