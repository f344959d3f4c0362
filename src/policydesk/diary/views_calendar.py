"""Pages of the calendar: the day, week and month views (a head's view of a staff member or the
team too), moving a task by dragging it or with the "move to" form, the iCalendar feed and its
address, and the notification bell with its list."""

import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from policydesk.core import calendars
from policydesk.core.errors import ApplicationError
from policydesk.core.views import redirect_back
from policydesk.core.visibility import scope_curator_ids

from . import selectors_calendar as sel
from .ical import feed_calendar
from .models import CalendarFeed, Notification, Task
from .services import staff_in_scope
from .services_calendar import calendar_feed_reset, notification_read, notifications_read_all, task_move
from .views_telephony import poll_is_no_activity

CALENDAR_TARGET = "diary-calendar"


# -- the calendar -----------------------------------------------------------------------------------


def _parse_day(value) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value or ""))
    except ValueError:
        return None


def _shown(request, params, prefix: str = "") -> dict:
    """What the calendar shows, from the query (or the ``shown_*`` fields of a move): the view, the
    day it is anchored on, and whose tasks (the user's own, a staff member's, or the team's)."""
    viewer = request.user
    view = params.get(f"{prefix}view")
    view = view if view in sel.VIEWS else sel.WEEK
    anchor = _parse_day(params.get(f"{prefix}date")) or timezone.localdate()
    subject, team = viewer, params.get(f"{prefix}team") == "1"
    raw_user = params.get(f"{prefix}user") or ""
    if team or (raw_user and raw_user != str(viewer.pk)):
        # Someone else's calendar: for heads only, and only of the staff in their scope.
        if not sel.may_see_team(viewer):
            raise Http404
        if not team:
            if not raw_user.isdigit():
                raise Http404
            subject = get_object_or_404(staff_in_scope(viewer), pk=int(raw_user))
    return {"view": view, "anchor": anchor, "subject": None if team else subject, "team": team}


def calendar_url(view: str, day: datetime.date, subject=None, team: bool = False, viewer=None) -> str:
    query = {"view": view, "date": day.isoformat()}
    if team:
        query["team"] = "1"
    elif subject is not None and viewer is not None and subject.pk != viewer.pk:
        query["user"] = subject.pk
    return f"{reverse('diary:calendar')}?{urlencode(query)}"


def calendar_context(request, shown: dict) -> dict:
    viewer = request.user
    view, anchor, subject, team = shown["view"], shown["anchor"], shown["subject"], shown["team"]
    period = sel.calendar_period(view, anchor, calendar=viewer.calendar, persian_digits=viewer.persian_digits,
                                 first_weekday=sel.week_start(viewer))
    start, end = period.bounds()
    user_ids = scope_curator_ids(viewer) if team else [subject.pk]
    tasks = sel.calendar_tasks(viewer, start, end, user_ids=user_ids)
    sel.place_tasks(period, tasks, viewer)
    for day in period.days:
        day.url = calendar_url(sel.DAY, day.date, subject, team, viewer)

    def link(view_=view, day=anchor):
        return calendar_url(view_, day, subject, team, viewer)

    today = timezone.localdate()
    return {
        "period": period,
        "rows": sel.hour_rows(period, viewer.persian_digits) if view != sel.MONTH else [],
        "tasks": tasks,
        "subject": subject,
        "team": team,
        "show_assignee": team or subject.pk != viewer.pk,
        "heading": sel.describe_period_for(viewer, subject, team),
        "links": {
            "previous": link(day=period.previous), "next": link(day=period.next), "today": link(day=today),
            "day": link(sel.DAY), "week": link(sel.WEEK), "month": link(sel.MONTH),
        },
        "view_links": [(sel.DAY, _("Day")), (sel.WEEK, _("Week")), (sel.MONTH, _("Month"))],
        "subject_links": _subject_links(viewer, view, anchor, subject, team),
        "shown": {"view": view, "date": anchor.isoformat(), "team": "1" if team else "",
                  "user": "" if team or subject.pk == viewer.pk else subject.pk},
        "calendar_target": CALENDAR_TARGET,
        "calendar_here": link(),
        "jalali": viewer.calendar == calendars.JALALI,
        "can_move": viewer.has_perm("diary.change_task"),
        "today_input": calendars.input_value(today, viewer.calendar),
    }


def _subject_links(viewer, view, anchor, subject, team):
    """The head's choice of whose calendar to see: their own, the team's, or a staff member's."""
    if not sel.may_see_team(viewer):
        return []
    links = [{"label": _("My calendar"), "url": calendar_url(view, anchor, viewer, False, viewer),
              "active": not team and subject.pk == viewer.pk},
             {"label": _("My team"), "url": calendar_url(view, anchor, None, True, viewer), "active": team}]
    for person in sel.calendar_staff(viewer):
        if person.pk != viewer.pk:
            links.append({"label": str(person), "url": calendar_url(view, anchor, person, False, viewer),
                          "active": not team and subject.pk == person.pk, "staff": True})
    return links


def _render_calendar(request, shown: dict, *, status_message: str = "", error: str = "", status: int = 200):
    context = calendar_context(request, shown)
    context.update(status_message=status_message, error=error)
    partial = request.htmx and request.htmx.target == CALENDAR_TARGET
    template = "diary/calendar/_calendar.html" if partial else "diary/calendar/page.html"
    return render(request, template, context, status=status)


@login_required
@permission_required("diary.view_task", raise_exception=True)
def calendar_view(request):
    return _render_calendar(request, _shown(request, request.GET))


def _move_target(params, user) -> tuple[datetime.datetime | None, datetime.date | None]:
    """The new start from a drop (``due_at`` or ``date``, ISO) or the "move to" form (``local_date``
    in the user's calendar, and ``time``)."""
    if params.get("due_at"):
        try:
            value = datetime.datetime.fromisoformat(params["due_at"])
        except ValueError:
            raise ApplicationError(_("Enter a valid date and time."), errors={"due_at": [_("Enter a valid date and time.")]}) from None
        return (timezone.make_aware(value) if timezone.is_naive(value) else value), None
    if params.get("date"):
        day = _parse_day(params["date"])
        if day is None:
            raise ApplicationError(_("Enter a valid date."), errors={"date": [_("Enter a valid date.")]})
        return None, day
    if params.get("local_date"):
        try:
            day = calendars.parse_date(params["local_date"], user.calendar)
        except ValueError as exc:
            raise ApplicationError(str(exc), errors={"local_date": [str(exc)]}) from None
        raw_time = calendars.to_latin_digits(params.get("time") or "").strip()
        if not raw_time:
            return None, day
        try:
            at = datetime.time.fromisoformat(raw_time)
        except ValueError:
            raise ApplicationError(_("Enter a valid time."), errors={"time": [_("Enter a valid time.")]}) from None
        return timezone.make_aware(datetime.datetime.combine(day, at)), None
    raise ApplicationError(_("Choose the day or the time to move the task to."))


@login_required
@require_POST
def task_move_view(request, pk):
    # The lookup comes first: a task outside the scope is a 404 whatever the user's permissions.
    task = get_object_or_404(Task.objects.visible_to(request.user), pk=pk)
    if not request.user.has_perm("diary.change_task"):
        raise PermissionDenied
    shown = _shown(request, request.POST, prefix="shown_")
    error = done = ""
    try:
        due_at, day = _move_target(request.POST, request.user)
        task = task_move(actor=request.user, task=task, due_at=due_at, day=day)
    except ApplicationError as exc:
        error = exc.message
    else:
        done = _("“%(title)s” moved to %(when)s.") % {
            "title": task.title,
            "when": calendars.format_datetime(task.due_at, request.user.calendar, request.user.persian_digits)}
    if request.htmx:
        return _render_calendar(request, shown, status_message=done, error=error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return redirect(calendar_url(shown["view"], shown["anchor"], shown["subject"], shown["team"], request.user))


# -- the iCalendar feed -----------------------------------------------------------------------------


def _site(request) -> str:
    return getattr(settings, "SITE_URL", "").rstrip("/") or f"{request.scheme}://{request.get_host()}"


@require_http_methods(["GET", "HEAD"])
def ical_feed(request, token):
    """The feed a calendar application subscribes to. No session: the secret token in the address
    is the key, and it shows what its user may see today. A wrong or reset token is a 404."""
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not feed.user.is_active:
        raise Http404
    user = feed.user
    with translation.override(user.language or settings.LANGUAGE_CODE):
        body = feed_calendar(user, sel.feed_tasks(user), host=request.get_host().split(":")[0],
                             base_url=_site(request))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="policydesk.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@permission_required("diary.view_task", raise_exception=True)
def calendar_feed_settings(request):
    if request.method == "POST":
        had = CalendarFeed.objects.filter(user=request.user).exists()
        calendar_feed_reset(actor=request.user)
        messages.success(request, _("The address was reset: the old one no longer works. Subscribe again with the new one.")
                         if had else _("Your calendar address is ready."))
        return redirect("diary:calendar_feed_settings")
    feed = CalendarFeed.objects.filter(user=request.user).first()
    url = request.build_absolute_uri(reverse("diary:ical_feed", args=[feed.token])) if feed else ""
    if feed and getattr(settings, "SITE_URL", ""):
        url = settings.SITE_URL.rstrip("/") + reverse("diary:ical_feed", args=[feed.token])
    return render(request, "diary/calendar/feed_settings.html", {
        "feed": feed, "feed_url": url, "webcal_url": url.replace("https://", "webcal://").replace("http://", "webcal://"),
    })


# -- notifications ----------------------------------------------------------------------------------


@login_required
def notifications(request):
    if request.GET.get("menu") == "1":
        return render(request, "diary/notifications/_menu.html",
                      {"notifications": sel.latest_notifications(request.user, limit=8)})
    return render(request, "diary/notifications/list.html",
                  {"notifications": sel.latest_notifications(request.user, limit=100)})


@poll_is_no_activity
@login_required
def notifications_badge(request):
    """The bell's count, polled by the header every 30 seconds: one query. Notifications newer than
    the previous poll's newest (``after``) come along as toasts."""
    figures = sel.notification_badge(request.user)
    latest = figures["latest"] or 0
    toasts = []
    after = request.GET.get("after", "")
    if after.isdigit() and latest > int(after):
        toasts = sel.notifications_after(request.user, int(after))
    return render(request, "diary/notifications/_badge.html",
                  {"unread": figures["unread"], "latest": latest, "toasts": toasts})


def _changed(response):
    response["HX-Trigger"] = "notifications-changed"
    return response


@login_required
@require_POST
def notification_read_view(request, pk):
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    notification_read(user=request.user, notification=notification)
    if request.POST.get("open") and notification.url and url_has_allowed_host_and_scheme(
            notification.url, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(notification.url)
    if request.htmx:
        return _changed(render(request, "diary/notifications/_item.html", {"notification": notification}))
    return redirect_back(request, reverse("diary:notifications"))


@login_required
@require_POST
def notifications_read_all_view(request):
    count = notifications_read_all(user=request.user)
    if request.htmx:
        return _changed(render(request, "diary/notifications/_list.html",
                               {"notifications": sel.latest_notifications(request.user, limit=100)}))
    if count:
        messages.success(request, _("All notifications are marked read."))
    return redirect_back(request, reverse("diary:notifications"))
