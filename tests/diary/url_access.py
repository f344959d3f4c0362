"""The diary's URLs for the access walk (tests/test_url_access.py).

Each side (own, foreign) gets a contact, a call to make, a case and a file; the foreign side's
texts are needles that must never reach the agent. Other parts of the diary (the calendar, the
telephony) add their entries to the dicts and lists below and their objects in ``populate``.
"""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from policydesk.diary.models import CaseType
from policydesk.diary.services import attachment_add, case_open, interaction_log, task_create

PATH_ARGS = {
    # Pages: interactions, tasks, cases, attachments, case types (settings).
    "diary:interaction": {"pk": "diary_interaction"},
    "diary:interaction_edit": {"pk": "diary_interaction"},
    "diary:interaction_archive": {"pk": "diary_interaction"},
    "diary:interaction_restore": {"pk": "diary_interaction"},
    "diary:task": {"pk": "diary_task"},
    "diary:task_edit": {"pk": "diary_task"},
    "diary:task_complete": {"pk": "diary_task"},
    "diary:task_cancel": {"pk": "diary_task"},
    "diary:task_delegate": {"pk": "diary_task"},
    "diary:case": {"pk": "diary_case"},
    "diary:case_edit": {"pk": "diary_case"},
    "diary:case_status": {"pk": "diary_case"},
    "diary:attachment_download": {"pk": "diary_attachment"},
    "diary:attachment_archive": {"pk": "diary_attachment"},
    "diary:casetype_edit": {"pk": "casetype"},
    "diary:casetype_delete": {"pk": "casetype"},
    # The API.
    "interaction-detail": {"pk": "diary_interaction"},
    "interaction-archive": {"pk": "diary_interaction"},
    "task-detail": {"pk": "diary_task"},
    "task-complete": {"pk": "diary_task"},
    "task-cancel": {"pk": "diary_task"},
    "task-delegate": {"pk": "diary_task"},
    "task-reschedule": {"pk": "diary_task"},
    "case-detail": {"pk": "diary_case"},
    "attachment-detail": {"pk": "diary_attachment"},
    "attachment-download": {"pk": "diary_attachment"},
}
CLIENT_BOUND = {"diary_interaction", "diary_task", "diary_case", "diary_attachment"}
FOREIGN_NEEDLES = ["Clandestine diary call", "Clandestine diary task", "Clandestine diary case",
                   "clandestine-diary-file.txt", "Clandestine outcome"]

# Each side's part of the diary: (what, the function that builds it); later parts append theirs.
POPULATORS: list = []


def _pages_side(world, side: str, actor, text: str, file_name: str) -> dict:
    client = getattr(world, side)["client"]
    interaction = interaction_log(actor=actor, kind="call", subject=f"{text} call", client=client,
                                  outcome=f"{text.split()[0]} outcome",
                                  happened_at=timezone.now() - datetime.timedelta(hours=1))
    task = task_create(actor=actor, kind="call", title=f"{text} task", client=client,
                       due_at=timezone.now() + datetime.timedelta(days=1))
    case = case_open(actor=actor, title=f"{text} case", case_type=CaseType.objects.get(code="sale"), client=client)
    attachment = attachment_add(actor=actor, upload=SimpleUploadedFile(file_name, b"diary file", "text/plain"),
                                interaction=interaction)
    return {"diary_interaction": interaction, "diary_task": task, "diary_case": case, "diary_attachment": attachment}


def _pages(world) -> None:
    world.own.update(_pages_side(world, "own", world.users["agent"], "Own diary", "own-diary-file.txt"))
    world.foreign.update(_pages_side(world, "foreign", world.users["other_agent"], "Clandestine diary",
                                     "clandestine-diary-file.txt"))
    world.shared["casetype"] = CaseType.objects.create(code="walk", name="Walk case type")


POPULATORS.append(("pages", _pages))


def populate(world) -> None:
    for _what, build in POPULATORS:
        build(world)


def _when(name: str, value: datetime.datetime) -> dict:
    local = timezone.localtime(value)
    return {f"{name}_0": local.date().isoformat(), f"{name}_1": local.strftime("%H:%M")}


def _pages_action_data(world) -> dict:
    """Request bodies that would really change the record if the scope check were missing."""
    agent = world.users["agent"]
    soon = timezone.now() + datetime.timedelta(days=2)
    return {
        "diary:interaction_edit": {"kind": "note", "subject": "Overwritten", **_when("happened_at", timezone.now())},
        "diary:task_edit": {"kind": "todo", "title": "Overwritten", "priority": "normal", "assignee": agent.pk,
                            **_when("due_at", soon)},
        "diary:task_complete": {"outcome": "walk"},
        "diary:task_cancel": {"reason": "walk"},
        "diary:task_delegate": {"assignee": agent.pk},
        "diary:case_edit": {"title": "Overwritten", "case_type": CaseType.objects.get(code="sale").pk,
                            "follow_up": agent.pk, "status": "closed"},
        "diary:case_status": {"status": "closed"},
        "interaction-detail": {"subject": "Overwritten"},
        "task-detail": {"title": "Overwritten"},
        "task-complete": {"outcome": "walk"},
        "task-cancel": {"reason": "walk"},
        "task-delegate": {"assignee": agent.pk},
        "task-reschedule": {"due_at": soon.isoformat()},
        "case-detail": {"title": "Overwritten", "status": "closed"},
    }


# Each part's request bodies per URL name: (what, function(world) -> dict); later parts append theirs.
ACTION_DATA: list = [("pages", _pages_action_data)]


def action_data(world) -> dict:
    data = {}
    for _what, bodies in ACTION_DATA:
        data.update(bodies(world))
    return data


# -- The calendar, its feed and the notifications (views_calendar.py) -------------------------------

PATH_ARGS.update({
    "diary:task_move": {"pk": "diary_task"},
    "diary:notification_read": {"pk": "diary_notification"},
    "diary:ical_feed": {"token": "diary_feed_token"},
})
# The iCalendar feed is read by calendar applications without a session: the secret token in its
# address is the key, and a wrong one is a 404 (tests/diary/test_calendar.py).
PUBLIC = {"diary:ical_feed"}


def _calendar(world) -> None:
    from policydesk.diary.services import notify
    from policydesk.diary.services_calendar import calendar_feed_reset

    agent = world.users["agent"]
    world.shared["diary_notification"] = notify(user=agent, kind="delegated", title="Walk notification",
                                                url="/diary/calendar/", key="walk")
    world.shared["diary_feed_token"] = calendar_feed_reset(actor=agent).token


POPULATORS.append(("calendar", _calendar))
ACTION_DATA.append(("calendar", lambda world: {
    "diary:task_move": {"date": (timezone.localdate() + datetime.timedelta(days=3)).isoformat()},
}))


# -- The telephony: the incoming-call card and the call list (views_telephony.py) ------------------

PATH_ARGS.update({
    "diary:call_card": {"pk": "diary_call"},
    "diary:call_dismiss": {"pk": "diary_call"},
})
CLIENT_BOUND |= {"diary_call"}


def _telephony(world) -> None:
    from policydesk.diary.models import Call

    agent, other = world.users["agent"], world.users["other_agent"]
    now = timezone.now()
    # A call ringing at each side's agent from each side's client: the agent's card may show only theirs.
    world.own["diary_call"] = Call.objects.create(
        call_id="walk-own", caller_number="+79123456789", number="+79123456789", extension="101", user=agent,
        client=world.own["client"], ringing_at=now)
    world.foreign["diary_call"] = Call.objects.create(
        call_id="walk-foreign", caller_number="+79161234567", number="+79161234567", extension="202", user=other,
        client=world.foreign["client"], ringing_at=now)


POPULATORS.append(("telephony", _telephony))
