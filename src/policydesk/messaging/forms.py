"""Forms of the messaging pages: a template with a text per language, a message to a client, the
administrator's messaging settings (the SMS gateway's own fields come from its backend)."""

import json

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from policydesk.core.forms import BootstrapMixin

from .choices import Channel, Event, GatewayKind
from .gateways import CONFIG_FIELDS, validate_config
from .models import MessageTemplate, MessagingSettings

LANGUAGES = settings.LANGUAGES


class TemplateForm(BootstrapMixin, forms.Form):
    """The template's name, channel and event, then a subject and a text for each language."""

    name = forms.CharField(label=_("name"), max_length=200)
    channel = forms.ChoiceField(label=_("channel"), choices=Channel.choices)
    event = forms.ChoiceField(label=_("event"), choices=Event.choices,
                              help_text=_("It decides which placeholders the text may use."))
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)

    def __init__(self, *args, template: MessageTemplate | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        texts = {t.language: t for t in template.texts.all()} if template is not None else {}
        if template is not None and not self.is_bound:
            self.initial.update({"name": template.name, "channel": template.channel, "event": template.event,
                                 "is_active": template.is_active})
        for code, language in LANGUAGES:
            text = texts.get(code)
            self.fields[f"subject_{code}"] = forms.CharField(
                label=_("subject (%(language)s)") % {"language": language}, required=False, max_length=300,
                initial=text.subject if text else "", widget=forms.TextInput(attrs={"dir": "auto"}))
            self.fields[f"body_{code}"] = forms.CharField(
                label=_("text (%(language)s)") % {"language": language}, required=False,
                initial=text.body if text else "",
                widget=forms.Textarea(attrs={"rows": 4, "dir": "auto", "data-sms-count": code}))
        self._bootstrapify()  # again: for the fields added above

    def language_fields(self):
        return [(code, language, self[f"subject_{code}"], self[f"body_{code}"]) for code, language in LANGUAGES]

    def texts(self) -> dict[str, tuple[str, str]]:
        data = self.cleaned_data
        return {code: (data.get(f"subject_{code}", "") or "", (data.get(f"body_{code}", "") or "").replace("\r\n", "\n"))
                for code, _language in LANGUAGES}


class SendForm(BootstrapMixin, forms.Form):
    """A message from the client card: a template, or the user's own text."""

    channel = forms.ChoiceField(label=_("channel"), choices=[(Channel.SMS, Channel.SMS.label),
                                                            (Channel.EMAIL, Channel.EMAIL.label)])
    template = forms.ModelChoiceField(label=_("template"), queryset=MessageTemplate.objects.none(), required=False,
                                      help_text=_("Empty: write your own text below."))
    subject = forms.CharField(label=_("subject"), required=False, max_length=300)
    body = forms.CharField(label=_("text"), required=False, widget=forms.Textarea(attrs={"rows": 4, "dir": "auto",
                                                                                        "data-sms-count": "send"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = (MessageTemplate.objects.filter(
            is_active=True, archived_at__isnull=True, channel__in=(Channel.SMS, Channel.EMAIL))
            .order_by("channel", "name"))


class MessagingSettingsForm(BootstrapMixin, forms.ModelForm):
    """The settings, and the chosen gateway's own fields (URL, credentials...) under ``gw_<name>``;
    a secret left empty keeps the one saved."""

    class Meta:
        model = MessagingSettings
        fields = ["gateway", "sms_sender", "sms_part_cost", "cost_currency", "email_from", "email_from_name",
                  "reply_to", "quiet_from", "quiet_until", "stop_words", "max_attempts"]
        widgets = {"quiet_from": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "quiet_until": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "stop_words": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        saved = self.instance.gateway_config or {}
        self.gateway_fields: dict[str, list[str]] = {}
        for kind, fields in CONFIG_FIELDS.items():
            names = []
            for spec in fields:
                name = f"gw_{kind}_{spec.name}"
                value = saved.get(spec.name, "") if self.instance.gateway == kind else ""
                if isinstance(value, dict | list):
                    value = json.dumps(value, ensure_ascii=False)
                widget = forms.PasswordInput(render_value=False) if spec.secret else forms.TextInput()
                self.fields[name] = forms.CharField(label=spec.label, required=False, help_text=spec.help,
                                                    initial="" if spec.secret else value, widget=widget)
                names.append(name)
            self.gateway_fields[kind] = names
        self._bootstrapify()  # again: for the gateway's fields

    def gateway_groups(self):
        labels = dict(GatewayKind.choices)
        return [(kind, labels.get(kind, kind), [self[name] for name in names])
                for kind, names in self.gateway_fields.items()]

    def clean(self):
        data = super().clean()
        kind = data.get("gateway")
        if kind not in CONFIG_FIELDS:
            return data
        saved = (self.instance.gateway_config or {}) if self.instance.gateway == kind else {}
        config = {}
        for spec in CONFIG_FIELDS[kind]:
            raw = (data.get(f"gw_{kind}_{spec.name}") or "").strip()
            if spec.secret and not raw:
                raw = saved.get(spec.name, "")
            if raw and isinstance(raw, str) and raw[:1] in "{[":
                try:
                    raw = json.loads(raw)
                except ValueError:
                    self.add_error(f"gw_{kind}_{spec.name}", _("Write it as JSON, e.g. {\"to\": \"{to}\"}."))
                    continue
            if raw != "":
                config[spec.name] = raw
        for field, error in validate_config(kind, config).items():
            self.add_error(f"gw_{kind}_{field}" if f"gw_{kind}_{field}" in self.fields else None, error)
        self.gateway_config = config
        return data

    def save(self, commit=True):
        self.instance.gateway_config = getattr(self, "gateway_config", self.instance.gateway_config)
        return super().save(commit)


class RuleForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        from .models import Rule

        model = Rule
        fields = ["name", "event", "offset_days", "send_time", "channel", "template", "purpose", "lines", "insurers",
                  "products", "tags", "min_premium", "is_active"]
        widgets = {"send_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def __init__(self, *args, **kwargs):
        from .rules import RULE_EVENTS

        super().__init__(*args, **kwargs)
        labels = dict(Event.choices)
        self.fields["event"].choices = [(event, labels[event]) for event in RULE_EVENTS]
        self.fields["channel"].choices = [(Channel.SMS, Channel.SMS.label), (Channel.EMAIL, Channel.EMAIL.label)]
        self.fields["template"].queryset = (MessageTemplate.objects.filter(archived_at__isnull=True, is_active=True)
                                            .exclude(channel=Channel.LETTER).order_by("channel", "name"))
        for name in ("lines", "insurers", "products", "tags"):
            self.fields[name].help_text = _("Empty: any.")
        self.fields["products"].queryset = self.fields["products"].queryset.select_related("insurer")


MAX_LIST_FILE = 5 * 1024 * 1024


class MailingForm(BootstrapMixin, forms.Form):
    """A mailing: its name and template, and who it goes to: a filter of the client list (a tag or a
    group chosen here), a filter of the policy list, or a pasted or uploaded list."""

    name = forms.CharField(label=_("name"), max_length=200)
    template = forms.ModelChoiceField(label=_("template"), queryset=MessageTemplate.objects.none())
    purpose = forms.ChoiceField(label=_("purpose"), initial="marketing",
                                help_text=_("Marketing goes only to clients who consented to it by the channel."))
    audience = forms.ChoiceField(label=_("audience"), widget=forms.RadioSelect)
    tag = forms.ModelChoiceField(label=_("client tag"), required=False, queryset=None)
    group = forms.ModelChoiceField(label=_("client group"), required=False, queryset=None)
    query = forms.CharField(label=_("filter"), required=False, max_length=2000,
                            help_text=_("Filled in when you start the mailing from the client or the policy list "
                                        "(the filter shown there)."))
    addresses = forms.CharField(label=_("numbers or addresses"), required=False,
                                widget=forms.Textarea(attrs={"rows": 6, "dir": "ltr"}),
                                help_text=_("One per line (or separated by commas)."))
    file = forms.FileField(label=_("or a file"), required=False,
                           help_text=_("A text or CSV file: the numbers or addresses in its first column."))

    def __init__(self, *args, user, **kwargs):
        from policydesk.clients.models import Tag
        from policydesk.clients.selectors import groups_visible_to

        from .choices import Audience, Purpose

        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = (MessageTemplate.objects.filter(archived_at__isnull=True, is_active=True)
                                            .exclude(channel=Channel.LETTER).order_by("channel", "name"))
        self.fields["purpose"].choices = Purpose.choices
        self.fields["audience"].choices = Audience.choices
        self.fields["tag"].queryset = Tag.objects.order_by("name")
        self.fields["group"].queryset = groups_visible_to(user)

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload:
            return ""
        if upload.size > MAX_LIST_FILE:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        raw = upload.read()
        for encoding in ("utf-8-sig", "utf-16", "cp1251"):
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                continue
            if "\x00" not in text:
                return "\n".join(line.split(",")[0].split(";")[0].split("\t")[0] for line in text.splitlines())
        raise forms.ValidationError(_("The file is not text (save it as CSV or TXT)."))

    def service_values(self) -> dict:
        from urllib.parse import urlencode

        from .choices import Audience

        data = self.cleaned_data
        query = data.get("query") or ""
        if data["audience"] == Audience.CLIENTS:
            extra = [("tags", data["tag"].pk)] if data.get("tag") else []
            extra += [("group", data["group"].pk)] if data.get("group") else []
            if extra:
                query = "&".join(part for part in (query, urlencode(extra)) if part)
        addresses = "\n".join(part for part in (data.get("addresses") or "", data.get("file") or "") if part.strip())
        return {"name": data["name"], "template": data["template"], "purpose": data["purpose"],
                "audience": data["audience"], "query": query, "addresses": addresses}


class TestSendForm(BootstrapMixin, forms.Form):
    address = forms.CharField(label=_("your number or address"), max_length=254)
