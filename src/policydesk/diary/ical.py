"""The iCalendar (RFC 5545) text of a user's feed: one VEVENT per open task or meeting, times in
UTC, a VALARM for the reminder. Built with the ``icalendar`` library, never by hand."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar, Event

# A task without an end shows this long in a calendar application.
DEFAULT_LENGTH = datetime.timedelta(minutes=30)


def _utc(value: datetime.datetime) -> datetime.datetime:
    return value.astimezone(datetime.UTC)


def task_uid(task, host: str) -> str:
    """Stable for the task's life: calendar applications update the event instead of adding one."""
    return f"policydesk-task-{task.pk}@{host}"


def task_event(task, *, host: str, base_url: str, now: datetime.datetime) -> Event:
    event = Event()
    link = f"{base_url}{task.get_absolute_url()}"
    event.add("uid", task_uid(task, host))
    event.add("dtstamp", _utc(now))
    event.add("last-modified", _utc(task.updated_at))
    event.add("dtstart", _utc(task.due_at))
    event.add("dtend", _utc(task.ends_at or task.due_at + DEFAULT_LENGTH))
    event.add("summary", task.title)
    lines = []
    if task.client_id:
        lines.append(_("Client: %(client)s") % {"client": task.client})
    if task.description:
        lines.append(task.description)
    lines.append(link)
    event.add("description", "\n\n".join(lines))
    if task.location:
        event.add("location", task.location)
    event.add("status", "CONFIRMED")
    event.add("categories", [str(task.get_kind_display())])
    event.add("url", link)
    if task.reminder_at:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", task.title)
        alarm.add("trigger", task.reminder_at - task.due_at)
        event.add_component(alarm)
    return event


def feed_calendar(user, tasks, *, host: str, base_url: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//PolicyDesk//Diary//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _("PolicyDesk: %(user)s") % {"user": user})
    # How often a subscribed application should fetch the feed again.
    calendar.add("refresh-interval", datetime.timedelta(minutes=15), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT15M")
    now = timezone.now()
    for task in tasks:
        calendar.add_component(task_event(task, host=host, base_url=base_url, now=now))
    return calendar.to_ical()
