"""Forms of the diary's pages. Dates and times are typed in the user's calendar; clients, policies,
payments, cases and staff are offered only within the user's scope (one outside it is refused like
one that does not exist)."""

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policydesk.billing.models import Payment
from policydesk.clients.models import Client
from policydesk.core import calendars
from policydesk.core.formatting import format_money
from policydesk.core.forms import BootstrapMixin, CalendarDateField, CalendarDateInput, apply_user_calendar
from policydesk.insurance.models import Policy

from .choices import CaseStatus, Direction, InteractionKind, Priority, Recurrence, TaskKind
from .models import Case, CaseType, Task
from .services import staff_in_scope

# -- date and time --------------------------------------------------------------------------------


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs={"dir": "ltr", **(attrs or {})}, format="%H:%M")


class CalendarTimeField(forms.TimeField):
    """A time of day; Persian or Arabic digits are read too."""

    widget = TimeInput

    def to_python(self, value):
        if isinstance(value, str):
            value = calendars.to_latin_digits(value).strip()
        return super().to_python(value)


class CalendarDateTimeWidget(forms.MultiWidget):
    """A date in the user's calendar beside a time of day: ``<name>_0`` and ``<name>_1``."""

    template_name = "diary/widgets/datetime.html"

    def __init__(self, calendar: str = calendars.GREGORIAN, attrs=None):
        super().__init__([CalendarDateInput(calendar), TimeInput()], attrs)

    def decompress(self, value):
        if isinstance(value, datetime.datetime):
            local = timezone.localtime(value) if timezone.is_aware(value) else value
            return [local.date(), local.time().replace(second=0, microsecond=0)]
        return [None, None]


class CalendarDateTimeField(forms.MultiValueField):
    """A moment typed as a date in the user's calendar (Jalali for Persian users) and a time of day,
    in the agency's time zone."""

    default_error_messages = {
        "incomplete": _("Enter both the date and the time."),
        "invalid": _("Enter a valid date and time."),
        "nonexistent": _("This time does not exist in the agency's time zone (the clocks change)."),
    }

    def __init__(self, *, calendar: str = calendars.GREGORIAN, **kwargs):
        fields = (CalendarDateField(calendar=calendar), CalendarTimeField())
        kwargs.setdefault("widget", CalendarDateTimeWidget(calendar))
        super().__init__(fields, require_all_fields=False, **kwargs)
        for field in self.fields:
            field.required = False

    def set_calendar(self, calendar: str) -> None:
        self.fields[0].set_calendar(calendar)
        self.widget.widgets[0] = CalendarDateInput(calendar, attrs=self.widget.widgets[0].attrs)

    def compress(self, data_list):
        if not data_list or all(v in self.empty_values for v in data_list):
            return None
        day, time_of_day = data_list
        if day in self.empty_values or time_of_day in self.empty_values:
            raise forms.ValidationError(self.error_messages["incomplete"], code="incomplete")
        try:
            return timezone.make_aware(datetime.datetime.combine(day, time_of_day))
        except Exception:  # noqa: BLE001 (pytz/zoneinfo raise different errors for a skipped hour)
            raise forms.ValidationError(self.error_messages["nonexistent"], code="nonexistent") from None


def apply_calendar(form: forms.BaseForm, user) -> None:
    apply_user_calendar(form, user)
    calendar = getattr(user, "calendar", calendars.GREGORIAN)
    for field in form.fields.values():
        if isinstance(field, CalendarDateTimeField):
            field.set_calendar(calendar)


class DiaryForm(BootstrapMixin, forms.Form):
    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        apply_calendar(self, user)
        self._bootstrapify()


# -- files ----------------------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the attachment rules are the service's (attachment_add)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def _rules_help():
    from .models import AttachmentRules

    rules = AttachmentRules.current()
    return _("At most %(size)s MB a file; %(types)s.") % {"size": rules.max_size_mb,
                                                         "types": ", ".join(sorted(rules.extensions()))}


# -- links: client, policy, payment, case ----------------------------------------------------------


def _pk(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class LinksMixin:
    """The record a contact or a task is about: a client picked by search, then one of that client's
    policies, payments and cases. Choices hold only what the user may see."""

    def setup_links(self, instance=None):
        user = self.user
        if self.is_bound:
            client_pk = _pk(self.data.get(self.add_prefix("client")))
        else:
            client_pk = _pk(self.initial.get("client"))
        self.client_obj = Client.objects.visible_to(user).filter(pk=client_pk).first() if client_pk else None
        client = self.client_obj
        if "policy" in self.fields:
            self.fields["policy"].queryset = (
                Policy.objects.visible_to(user).filter(client=client).select_related("insurer")
                .order_by("-start_date", "-pk") if client else Policy.objects.none())
        if "payment" in self.fields:
            field = self.fields["payment"]
            field.queryset = (Payment.objects.visible_to(user).filter(client=client).order_by("-received_on", "-pk")
                              if client else Payment.objects.none())
            calendar, digits = getattr(user, "calendar", calendars.GREGORIAN), getattr(user, "persian_digits", False)
            field.label_from_instance = lambda p: " · ".join((
                calendars.format_date(p.received_on, calendar, digits), format_money(p.amount, p.currency, digits)))
        if "case" in self.fields:
            current = _pk(self.initial.get("case")) or getattr(instance, "case_id", None)
            chosen = Q(client=client) if client else Q(client__isnull=True)
            self.fields["case"].queryset = (
                Case.objects.visible_to(user).filter(chosen).filter(~Q(status=CaseStatus.CLOSED) | Q(pk=current))
                .order_by("-created_at", "-pk"))

    def clean_client(self):
        pk = self.cleaned_data.get("client")
        if pk is None:
            return None
        if self.client_obj is None or self.client_obj.pk != pk:
            raise forms.ValidationError(_("Choose a client from the suggestions."))
        return self.client_obj

    def client_label(self) -> str:
        return self.client_obj.display_name if self.client_obj is not None else ""

    def link_values(self) -> dict:
        data = self.cleaned_data
        return {name: data.get(name) for name in ("client", "policy", "payment", "case") if name in self.fields}


def _links(*names):
    fields = {
        "client": forms.IntegerField(label=_("client"), required=False, widget=forms.HiddenInput),
        "policy": forms.ModelChoiceField(label=_("policy"), queryset=Policy.objects.none(), required=False),
        "payment": forms.ModelChoiceField(label=_("payment"), queryset=Payment.objects.none(), required=False),
        "case": forms.ModelChoiceField(label=_("case"), queryset=Case.objects.none(), required=False),
    }
    return {name: fields[name] for name in names}


# -- interactions ---------------------------------------------------------------------------------


class InteractionForm(LinksMixin, DiaryForm):
    kind = forms.ChoiceField(label=_("kind"), choices=InteractionKind.choices)
    direction = forms.ChoiceField(label=_("direction"), choices=[("", "—"), *Direction.choices], required=False)
    happened_at = CalendarDateTimeField(label=_("date and time"))
    duration_minutes = forms.IntegerField(label=_("duration (minutes)"), min_value=0, max_value=24 * 60,
                                          required=False)
    subject = forms.CharField(label=_("subject"), max_length=300)
    outcome = forms.CharField(label=_("outcome"), widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
                              required=False)
    phone_number = forms.CharField(label=_("phone number"), max_length=20, required=False,
                                   help_text=_("Of a caller who is no client (yet)."))
    locals().update(_links("client", "policy", "payment", "case"))
    attachments = MultipleFileField(label=_("attach files"), required=False)

    def __init__(self, *args, instance=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].widget.attrs["dir"] = "auto"
        self.setup_links(instance)
        if instance is not None:
            del self.fields["attachments"]
        else:
            self.fields["attachments"].help_text = _rules_help()
            if not self.is_bound:
                self.initial.setdefault("happened_at", timezone.now())

    @staticmethod
    def initial_for(interaction) -> dict:
        return {
            "kind": interaction.kind, "direction": interaction.direction, "happened_at": interaction.happened_at,
            "duration_minutes": round(interaction.duration_seconds / 60) if interaction.duration_seconds else None,
            "subject": interaction.subject, "outcome": interaction.outcome, "phone_number": interaction.phone_number,
            "client": interaction.client_id, "policy": interaction.policy_id, "payment": interaction.payment_id,
            "case": interaction.case_id,
        }

    def service_values(self) -> dict:
        data = self.cleaned_data
        minutes = data.get("duration_minutes")
        return {
            "kind": data["kind"], "direction": data.get("direction") or "", "happened_at": data["happened_at"],
            "duration_seconds": minutes * 60 if minutes is not None else None, "subject": data["subject"],
            "outcome": data.get("outcome") or "", "phone_number": data.get("phone_number") or "",
            **self.link_values(),
        }


# -- tasks ----------------------------------------------------------------------------------------

CUSTOM_REMINDER = "custom"
REMINDER_CHOICES = [
    ("", _("no reminder")), ("0", _("when it is due")), ("5", _("5 minutes before")),
    ("15", _("15 minutes before")), ("30", _("30 minutes before")), ("60", _("1 hour before")),
    ("120", _("2 hours before")), ("1440", _("1 day before")), (CUSTOM_REMINDER, _("at a time I choose")),
]


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class StaffMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


def _staff(user):
    return staff_in_scope(user).order_by("last_name", "first_name", "username")


class TaskForm(LinksMixin, DiaryForm):
    kind = forms.ChoiceField(label=_("type"), choices=TaskKind.choices)
    title = forms.CharField(label=_("title"), max_length=300)
    due_at = CalendarDateTimeField(label=_("due"))
    ends_time = CalendarTimeField(label=_("ends at"), required=False, help_text=_("For a meeting: when it ends."))
    reminder = forms.ChoiceField(label=_("reminder"), choices=REMINDER_CHOICES, required=False)
    reminder_at = CalendarDateTimeField(label=_("remind me at"), required=False)
    priority = forms.ChoiceField(label=_("priority"), choices=Priority.choices, initial=Priority.NORMAL)
    assignee = StaffChoiceField(label=_("assignee"), queryset=get_user_model().objects.none())
    participants = StaffMultipleChoiceField(label=_("participants"), queryset=get_user_model().objects.none(), required=False,
                                            help_text=_("For a meeting: who else takes part."))
    locals().update(_links("client", "policy", "payment", "case"))
    recurrence = forms.ChoiceField(label=_("repeats"), choices=Recurrence.choices, required=False)
    recurrence_until = CalendarDateField(label=_("repeats until"), required=False)
    location = forms.CharField(label=_("place"), max_length=300, required=False)
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
                                  required=False)

    def __init__(self, *args, instance=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance = instance
        staff = _staff(self.user)
        self.fields["assignee"].queryset = staff
        self.fields["participants"].queryset = staff
        self.fields["participants"].widget.attrs["size"] = 4
        for name in ("title", "location"):
            self.fields[name].widget.attrs["dir"] = "auto"
        self.setup_links(instance)
        if not self.is_bound:
            self.initial.setdefault("assignee", self.user.pk)

    @staticmethod
    def initial_for(task) -> dict:
        initial = {
            "kind": task.kind, "title": task.title, "due_at": task.due_at, "priority": task.priority,
            "assignee": task.assignee_id, "participants": [p.pk for p in task.participants.all()],
            "client": task.client_id, "policy": task.policy_id, "payment": task.payment_id, "case": task.case_id,
            "recurrence": task.recurrence, "recurrence_until": task.recurrence_until, "location": task.location,
            "description": task.description,
            "ends_time": timezone.localtime(task.ends_at).time().replace(second=0, microsecond=0)
            if task.ends_at else None,
        }
        if task.reminder_at:
            minutes = (task.due_at - task.reminder_at).total_seconds() / 60
            choice = str(int(minutes)) if minutes == int(minutes) else ""
            if choice in dict(REMINDER_CHOICES) and choice:
                initial["reminder"] = choice
            else:
                initial["reminder"], initial["reminder_at"] = CUSTOM_REMINDER, task.reminder_at
        return initial

    def clean(self):
        data = super().clean()
        due = data.get("due_at")
        ends_time = data.get("ends_time")
        data["ends_at"] = None
        if due and ends_time:
            try:
                data["ends_at"] = timezone.make_aware(datetime.datetime.combine(timezone.localtime(due).date(),
                                                                                ends_time))
            except Exception:  # noqa: BLE001 (the skipped hour of a clock change)
                self.add_error("ends_time", CalendarDateTimeField.default_error_messages["nonexistent"])
            else:
                if data["ends_at"] < due:
                    self.add_error("ends_time", _("The end cannot be before the start."))
        reminder = data.get("reminder")
        if reminder == CUSTOM_REMINDER:
            if not data.get("reminder_at"):
                self.add_error("reminder_at", _("Give the time of the reminder."))
        elif reminder and due:
            data["reminder_at"] = due - datetime.timedelta(minutes=int(reminder))
        else:
            data["reminder_at"] = None
        if data.get("reminder_at") and due and data["reminder_at"] > due:
            self.add_error("reminder_at" if reminder == CUSTOM_REMINDER else "reminder",
                           _("The reminder must come before the task is due."))
        if not data.get("recurrence"):
            data["recurrence_until"] = None
        if data.get("kind") != TaskKind.MEETING:
            data["participants"] = []
        return data

    def service_values(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"], "title": data["title"], "due_at": data["due_at"], "ends_at": data["ends_at"],
            "reminder_at": data["reminder_at"], "priority": data["priority"], "recurrence": data.get("recurrence") or "",
            "recurrence_until": data.get("recurrence_until"), "location": data.get("location") or "",
            "description": data.get("description") or "", **self.link_values(),
        }


# Service error keys → the form fields they belong to.
TASK_ERROR_FIELDS = {"ends_at": "ends_time", "reminder_at": "reminder"}
DURATION_ERROR_FIELDS = {"duration_seconds": "duration_minutes"}


class TaskCompleteForm(DiaryForm):
    outcome = forms.CharField(label=_("outcome"), widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
                              required=False)
    duration_minutes = forms.IntegerField(label=_("duration (minutes)"), min_value=0, max_value=24 * 60,
                                          required=False)

    def duration_seconds(self):
        minutes = self.cleaned_data.get("duration_minutes")
        return minutes * 60 if minutes is not None else None


class TaskCancelForm(DiaryForm):
    reason = forms.CharField(label=_("reason"), max_length=500, required=False)
    stop_series = forms.BooleanField(label=_("cancel the whole series (no further occurrences)"), required=False)


class TaskDelegateForm(DiaryForm):
    assignee = StaffChoiceField(label=_("hand over to"), queryset=get_user_model().objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = _staff(self.user)


class BulkDelegateForm(TaskDelegateForm):
    action = forms.ChoiceField(choices=[("delegate", "delegate")])
    pk = forms.ModelMultipleChoiceField(queryset=Task.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pk"].queryset = Task.objects.visible_to(self.user)


# -- cases ----------------------------------------------------------------------------------------


class CaseForm(LinksMixin, DiaryForm):
    title = forms.CharField(label=_("title"), max_length=300)
    case_type = forms.ModelChoiceField(label=_("case type"), queryset=CaseType.objects.none())
    follow_up = StaffChoiceField(label=_("follow-up person"), queryset=get_user_model().objects.none())
    locals().update(_links("client", "policy"))
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
                                  required=False)

    def __init__(self, *args, instance=None, **kwargs):
        super().__init__(*args, **kwargs)
        current = getattr(instance, "case_type_id", None)
        self.fields["case_type"].queryset = CaseType.objects.filter(Q(is_active=True) | Q(pk=current))
        self.fields["follow_up"].queryset = _staff(self.user)
        self.fields["title"].widget.attrs["dir"] = "auto"
        if instance is not None:
            self.fields["status"] = forms.ChoiceField(label=_("status"), choices=CaseStatus.choices)
            self._bootstrapify()
        self.setup_links(instance)
        if not self.is_bound:
            self.initial.setdefault("follow_up", self.user.pk)

    @staticmethod
    def initial_for(case) -> dict:
        return {"title": case.title, "case_type": case.case_type_id, "follow_up": case.follow_up_id,
                "client": case.client_id, "policy": case.policy_id, "description": case.description,
                "status": case.status}

    def service_values(self) -> dict:
        data = self.cleaned_data
        values = {"title": data["title"], "case_type": data["case_type"], "follow_up": data["follow_up"],
                  "description": data.get("description") or "", **self.link_values()}
        if "status" in self.fields:
            values["status"] = data["status"]
        return values


class CaseStatusForm(forms.Form):
    status = forms.ChoiceField(choices=CaseStatus.choices)


class CaseTypeForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = CaseType
        fields = ["name", "code", "is_active"]


# -- attachments ----------------------------------------------------------------------------------


class AttachmentForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("file"))
    interaction = forms.IntegerField(required=False, widget=forms.HiddenInput)
    task = forms.IntegerField(required=False, widget=forms.HiddenInput)
    case = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _rules_help()

