"""The dashboard's SMS panel: the SMS sent on each of the last two weeks' days and what they cost this
month, both within the user's scope, and what is left on the SMS gateway's account.

The counts take two aggregate queries whatever the number of messages. The balance is asked of the
gateway with a short timeout and kept in the cache for a few minutes; when the gateway cannot be
asked the panel says so, and the dashboard works on.
"""

import datetime
import hashlib
import json
import logging
from dataclasses import dataclass
from decimal import Decimal

import jdatetime
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from policydesk.core import calendars

from .choices import Channel, MessageStatus
from .gateways import GatewayConfigError, GatewayError, gateway_from_config
from .models import Message, MessagingSettings

log = logging.getLogger(__name__)

DAYS = 14
# An SMS the gateway took; a failed one (refused, or never delivered) is not counted.
SENT_STATUSES = (MessageStatus.SENT, MessageStatus.DELIVERED)
BALANCE_TIMEOUT_SECONDS = 3.0
BALANCE_CACHE_SECONDS = 5 * 60
# A gateway that did not answer is asked again sooner, but not on every view of the dashboard.
BALANCE_RETRY_SECONDS = 60


@dataclass(frozen=True)
class SmsDay:
    day: datetime.date
    count: int
    percent: int  # the bar's length: the share of the busiest day's count


@dataclass(frozen=True)
class SmsBalance:
    amount: Decimal | None  # None: the gateway could not be asked (shown as "balance unavailable")
    currency: str = ""


def _day_start(day: datetime.date, zone) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min), zone)


def month_start(day: datetime.date, calendar: str) -> datetime.date:
    """The first day of ``day``'s month in the user's calendar (a Jalali month for Persian users)."""
    if calendar == calendars.JALALI:
        jalali = jdatetime.date.fromgregorian(date=day)
        return jdatetime.date(jalali.year, jalali.month, 1).togregorian()
    return day.replace(day=1)


def sms_sent_per_day(user, *, today: datetime.date, days: int = DAYS) -> list[SmsDay]:
    """The SMS sent on each of the ``days`` days up to ``today``, oldest first; days in the agency's
    time zone. One query."""
    zone = timezone.get_default_timezone()
    first = today - datetime.timedelta(days=days - 1)
    counts = dict(
        Message.objects.visible_to(user)
        .filter(channel=Channel.SMS, status__in=SENT_STATUSES, sent_at__gte=_day_start(first, zone),
                sent_at__lt=_day_start(today + datetime.timedelta(days=1), zone))
        .annotate(day=TruncDate("sent_at", tzinfo=zone)).order_by().values("day")
        .annotate(count=Count("pk")).values_list("day", "count"))
    busiest = max(counts.values(), default=0)
    rows = []
    for offset in range(days):
        day = first + datetime.timedelta(days=offset)
        count = counts.get(day, 0)
        rows.append(SmsDay(day, count, round(100 * count / busiest) if busiest else 0))
    return rows


def sms_cost_since(user, since: datetime.date) -> Decimal | None:
    """What the SMS sent since the start of ``since`` cost, as the gateway reported it; None when no
    message recorded a cost. One query."""
    return (Message.objects.visible_to(user)
            .filter(channel=Channel.SMS, sent_at__gte=_day_start(since, timezone.get_default_timezone()),
                    cost__isnull=False)
            .aggregate(total=Sum("cost"))["total"])


def _balance_key(config: MessagingSettings) -> str:
    # Other settings, another balance: a changed gateway is asked at once. Only a digest of the
    # settings (they hold the credentials) goes into the cache.
    settings_text = json.dumps([config.gateway, config.gateway_config], sort_keys=True, default=str)
    return "messaging:sms-balance:" + hashlib.sha256(settings_text.encode()).hexdigest()[:32]


def _read_balance(config: MessagingSettings) -> tuple[tuple[str, str, str], int]:
    """("ok", amount, currency), ("none", "", "") or ("unavailable", "", ""), and how long to keep it."""
    gateway = None
    try:
        gateway = gateway_from_config(config.gateway, config.gateway_config or {}, data_dir=settings.DATA_DIR)
        found = gateway.account_balance(timeout=BALANCE_TIMEOUT_SECONDS)
    except (GatewayError, GatewayConfigError) as error:
        log.warning("The SMS gateway's balance could not be read: %s", error)
        return ("unavailable", "", ""), BALANCE_RETRY_SECONDS
    except Exception:  # whatever a backend raises must not take the dashboard down
        log.exception("The SMS gateway's balance could not be read")
        return ("unavailable", "", ""), BALANCE_RETRY_SECONDS
    finally:
        if gateway is not None:
            gateway.close()
    if found is None:
        return ("none", "", ""), BALANCE_CACHE_SECONDS
    return ("ok", str(found.amount), found.currency), BALANCE_CACHE_SECONDS


def sms_balance(config: MessagingSettings) -> SmsBalance | None:
    """The gateway's balance (in its currency, else the currency of SMS costs); None when the gateway
    reports none; an amount of None when it could not be read. Never raises."""
    try:
        key = _balance_key(config)
        reading = cache.get(key)
        if reading is None:
            reading, seconds = _read_balance(config)
            cache.set(key, reading, seconds)
    except Exception:  # the cache itself is down
        log.exception("The SMS gateway's balance could not be cached")
        return SmsBalance(None)
    state, amount, currency = reading
    if state == "none":
        return None
    if state != "ok":
        return SmsBalance(None)
    return SmsBalance(Decimal(amount), currency or config.cost_currency)


def sms_panel_context(request) -> dict:
    user = request.user
    config = MessagingSettings.current()
    today = timezone.localdate(timezone=timezone.get_default_timezone())
    days = sms_sent_per_day(user, today=today)
    since = month_start(today, user.calendar)
    return {
        "days": days,
        "total": sum(row.count for row in days),
        "cost": sms_cost_since(user, since),
        "cost_since": since,
        "currency": config.cost_currency,
        "balance": sms_balance(config),
    }
