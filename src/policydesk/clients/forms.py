from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from policydesk.core.forms import BootstrapMixin, CalendarDateField, apply_user_calendar

from .choices import (
    AddressKind,
    ClientKind,
    CustomFieldType,
    EmailKind,
    MessengerKind,
    PhoneKind,
    RelationshipKind,
)
from .models import Client, ClientGroup, CustomField, RegistrationRule, Tag
from .validation import RULE_FIELDS, custom_fields_for, required_fields

PERSON_FIELDS = [
    "last_name", "first_name", "middle_name", "birth_date", "gender", "tax_id", "occupation", "position", "employer",
]
ORGANISATION_FIELDS = ["legal_name", "tax_id", "industry"]
COMMON_FIELDS = [
    "status", "region", "city", "district", "preferred_channel", "preferred_language", "acquisition_source",
    "consent_phone", "consent_sms", "consent_email", "consent_post", "consent_messenger", "notes",
    "is_blacklisted", "blacklist_reason",
]


class ClientForm(BootstrapMixin, forms.ModelForm):
    birth_date = CalendarDateField(label=_("birth date"), required=False)
    referred_by_id = forms.IntegerField(label=_("referred by (client id)"), required=False, widget=forms.HiddenInput)
    tags = forms.ModelMultipleChoiceField(label=_("tags"), queryset=Tag.objects.all(), required=False)
    confirm_duplicates = forms.BooleanField(label=_("Register anyway: it is a different client"), required=False)

    class Meta:
        model = Client
        fields = ["kind", *PERSON_FIELDS, *ORGANISATION_FIELDS, *COMMON_FIELDS]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3}), "kind": forms.HiddenInput}

    def __init__(self, *args, user, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.user = user
        own = PERSON_FIELDS if kind == ClientKind.PERSON else ORGANISATION_FIELDS
        for name in list(self.fields):
            if name in ("kind", "tags", "referred_by_id", "confirm_duplicates") or name in own or name in COMMON_FIELDS:
                continue
            del self.fields[name]
        self.fields["kind"].initial = kind
        required = required_fields(kind)
        for name in required:
            if name in self.fields:
                self.fields[name].required = True
        self.custom_fields = custom_fields_for(kind)
        values = self.instance.custom_fields if self.instance.pk else {}
        for field in self.custom_fields:
            self.fields[f"cf_{field.name}"] = self._custom_form_field(field, values.get(field.name))
        apply_user_calendar(self, user)
        self._bootstrapify()
        if self.instance.pk:
            self.fields["tags"].initial = list(self.instance.tags.all())
            self.fields["referred_by_id"].initial = self.instance.referred_by_id

    @staticmethod
    def _custom_form_field(field: CustomField, initial):
        common = {"label": field.label, "required": field.required, "initial": initial}
        if field.field_type == CustomFieldType.NUMBER:
            return forms.DecimalField(**common)
        if field.field_type == CustomFieldType.DATE:
            import datetime

            if isinstance(initial, str):
                common["initial"] = datetime.date.fromisoformat(initial)
            return CalendarDateField(**common)
        if field.field_type == CustomFieldType.CHOICE:
            return forms.ChoiceField(choices=[("", "—")] + [(c, c) for c in field.choices], **common)
        return forms.CharField(max_length=1000, **common)

    def custom_field_values(self) -> dict:
        return {f.name: self.cleaned_data.get(f"cf_{f.name}") for f in self.custom_fields}

    def client_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items()
                if k not in ("tags", "referred_by_id", "confirm_duplicates") and not k.startswith("cf_")}
        data["kind"] = self.kind
        referred = self.cleaned_data.get("referred_by_id")
        if referred and referred == self.instance.referred_by_id:
            data["referred_by"] = self.instance.referred_by  # kept, even when outside the user's scope
        else:
            data["referred_by"] = Client.objects.visible_to(self.user).filter(pk=referred).first() if referred else None
        return data

    def referrer_label(self) -> str:
        """The referrer's name for the picker, or a neutral text when the user may not see them."""
        referred = self["referred_by_id"].value()
        if not referred:
            return ""
        try:
            referred = int(referred)
        except (TypeError, ValueError):
            return ""
        found = Client.objects.visible_to(self.user).filter(pk=referred).only("display_name").first()
        return found.display_name if found else _("a client outside your scope")

    def custom_bound_fields(self):
        return [self[f"cf_{f.name}"] for f in self.custom_fields]


class PhoneForm(BootstrapMixin, forms.Form):
    number = forms.CharField(label=_("phone"), max_length=40, required=False,
                             widget=forms.TextInput(attrs={"inputmode": "tel", "dir": "ltr", "autocomplete": "off"}))
    kind = forms.ChoiceField(label=_("kind"), choices=PhoneKind.choices, initial=PhoneKind.MOBILE)

    def clean_number(self):
        from policydesk.core.text import normalize_phone

        value = self.cleaned_data["number"].strip()
        if not value:
            return ""
        try:
            return normalize_phone(value)
        except ValueError:
            raise forms.ValidationError(_("“%(value)s” is not a valid phone number."), params={"value": value}) from None


class EmailForm(BootstrapMixin, forms.Form):
    address = forms.EmailField(label=_("email"), required=False, widget=forms.EmailInput(attrs={"dir": "ltr"}))
    kind = forms.ChoiceField(label=_("kind"), choices=EmailKind.choices, initial=EmailKind.PERSONAL)


class AddressForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=AddressKind.choices, initial=AddressKind.RESIDENCE)
    postal_code = forms.CharField(label=_("postal code"), max_length=20, required=False)
    country = forms.CharField(label=_("country"), max_length=100, required=False)
    region = forms.CharField(label=_("region"), max_length=200, required=False)
    city = forms.CharField(label=_("city"), max_length=200, required=False)
    street = forms.CharField(label=_("street and house"), max_length=300, required=False)
    apartment = forms.CharField(label=_("apartment or office"), max_length=50, required=False)

    def is_blank(self) -> bool:
        return not any(self.cleaned_data.get(k) for k in ("postal_code", "country", "region", "city", "street", "apartment"))


class MessengerForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("messenger"), choices=MessengerKind.choices)
    handle = forms.CharField(label=_("id or username"), max_length=200, required=False)


PhoneFormSet = forms.formset_factory(PhoneForm, extra=0, max_num=20)
EmailFormSet = forms.formset_factory(EmailForm, extra=0, max_num=20)
AddressFormSet = forms.formset_factory(AddressForm, extra=0, max_num=10)
MessengerFormSet = forms.formset_factory(MessengerForm, extra=0, max_num=10)


def contact_formsets(data=None, client: Client | None = None) -> dict:
    """The four contact-point formsets of the client form, with at least one empty row each."""
    def initial(items, fields):
        return [{f: getattr(item, f) for f in fields} for item in items]

    if client is not None and client.pk:
        phones = initial(client.phones.all(), ["number", "kind"])
        emails = initial(client.emails.all(), ["address", "kind"])
        addresses = initial(client.addresses.all(), ["kind", "postal_code", "country", "region", "city", "street", "apartment"])
        messengers = initial(client.messengers.all(), ["kind", "handle"])
    else:
        phones, emails, addresses, messengers = [], [], [], []
    return {
        "phones": PhoneFormSet(data, prefix="phones", initial=phones + [{}]),
        "emails": EmailFormSet(data, prefix="emails", initial=emails + [{}]),
        "addresses": AddressFormSet(data, prefix="addresses", initial=addresses + [{}]),
        "messengers": MessengerFormSet(data, prefix="messengers", initial=messengers + [{}]),
    }


def formset_rows(formsets: dict) -> dict:
    rows = {
        "phones": [f.cleaned_data for f in formsets["phones"] if f.cleaned_data.get("number")],
        "emails": [f.cleaned_data for f in formsets["emails"] if f.cleaned_data.get("address")],
        "addresses": [f.cleaned_data for f in formsets["addresses"] if f.cleaned_data and not f.is_blank()],
        "messengers": [f.cleaned_data for f in formsets["messengers"] if f.cleaned_data.get("handle")],
    }
    return rows


class RelationshipForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("who the other client is to this one"), choices=RelationshipKind.choices)
    other = forms.IntegerField(label=_("client"), widget=forms.HiddenInput)
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class ContactPersonForm(BootstrapMixin, forms.Form):
    person = forms.IntegerField(label=_("person"), widget=forms.HiddenInput)
    role = forms.CharField(label=_("role"), max_length=200, required=False)
    is_primary = forms.BooleanField(label=_("primary contact"), required=False)


class CuratorForm(BootstrapMixin, forms.Form):
    curator = forms.ModelChoiceField(label=_("curator"), queryset=get_user_model().objects.filter(is_active=True))


class MergeForm(BootstrapMixin, forms.Form):
    other = forms.IntegerField(label=_("client to merge into this one"), widget=forms.HiddenInput)
    confirm = forms.BooleanField(label=_("I have checked: these are the same client"), required=False)


class BulkForm(forms.Form):
    pk = forms.ModelMultipleChoiceField(queryset=Client.objects.none())
    action = forms.ChoiceField(choices=[(a, a) for a in ("tag", "untag", "curator", "group", "ungroup")])
    tag = forms.ModelChoiceField(queryset=Tag.objects.all(), required=False)
    curator = forms.ModelChoiceField(queryset=get_user_model().objects.filter(is_active=True), required=False)
    group = forms.ModelChoiceField(queryset=ClientGroup.objects.none(), required=False)

    def __init__(self, *args, user, **kwargs):
        from .selectors import groups_visible_to

        super().__init__(*args, **kwargs)
        self.fields["pk"].queryset = Client.objects.visible_to(user)
        self.fields["group"].queryset = groups_visible_to(user)

    # Which of the value fields each action needs.
    VALUE_FIELD = {"tag": "tag", "untag": "tag", "curator": "curator", "group": "group", "ungroup": "group"}

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action and not data.get(self.VALUE_FIELD[action]):
            self.add_error(self.VALUE_FIELD[action], _("Choose a value for this action."))
        return data


class CustomFieldForm(BootstrapMixin, forms.ModelForm):
    choices_text = forms.CharField(label=_("choices, one per line"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    class Meta:
        model = CustomField
        fields = ["name", "label", "field_type", "required", "applies_to", "show_in_list", "weight"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["choices_text"].initial = "\n".join(self.instance.choices)
            self.fields["name"].disabled = True

    def clean(self):
        data = super().clean()
        choices = [c.strip() for c in (data.get("choices_text") or "").splitlines() if c.strip()]
        if data.get("field_type") == CustomFieldType.CHOICE and not choices:
            self.add_error("choices_text", _("A choice field needs at least one choice."))
        self.instance.choices = choices if data.get("field_type") == CustomFieldType.CHOICE else []
        return data


class RegistrationRuleForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = RegistrationRule
        fields = ["kind", "field_name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = sorted({n for fields in RULE_FIELDS.values() for n in fields})
        labels = {}
        for name in names:
            try:
                labels[name] = str(Client._meta.get_field(name).verbose_name)
            except Exception:
                labels[name] = {"phone": _("phone"), "email": _("email"), "address": _("address"),
                                "contact_person": _("contact person")}[name]
        self.fields["field_name"] = forms.ChoiceField(label=_("field"), choices=[(n, labels[n]) for n in names])
        self._bootstrapify()

    def clean(self):
        data = super().clean()
        kind, name = data.get("kind"), data.get("field_name")
        if kind and name and name not in RULE_FIELDS[kind]:
            self.add_error("field_name", _("This field does not apply to this kind of client."))
        return data


class TagForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Tag
        fields = ["name", "color"]
        widgets = {"color": forms.Select(choices=[(c, c) for c in (
            "secondary", "primary", "success", "danger", "warning", "info", "dark")])}


class ClientGroupForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = ClientGroup
        fields = ["name", "kind"]
