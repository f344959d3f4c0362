"""Forms of the catalogue and of insured objects. They only parse input: the rules are in the services."""

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policydesk.clients.models import Client
from policydesk.core.forms import BootstrapMixin, CalendarDateField, apply_user_calendar

from .choices import REQUIRABLE_POLICY_FIELDS, ObjectKind
from .models import InsuredObject, Insurer, LineOfBusiness, Product
from .services_catalogue import KIND_FIELDS


class InsurerForm(BootstrapMixin, forms.ModelForm):
    website = forms.URLField(label=Insurer._meta.get_field("website").verbose_name, required=False,
                             assume_scheme="https", widget=forms.URLInput(attrs={"class": "ltr"}))

    class Meta:
        model = Insurer
        fields = ["name", "short_name", "is_competitor", "tax_id", "licence", "phone", "email", "website", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
                   "name": forms.TextInput(attrs={"dir": "auto"}),
                   "short_name": forms.TextInput(attrs={"dir": "auto"}),
                   "tax_id": forms.TextInput(attrs={"class": "ltr"}),
                   "phone": forms.TextInput(attrs={"class": "ltr"})}

    def service_data(self) -> dict:
        return dict(self.cleaned_data)


class LineForm(BootstrapMixin, forms.ModelForm):
    """A line of business, with its name in each of the site's languages."""

    class Meta:
        model = LineOfBusiness
        fields = ["code", "object_kind", "weight"]
        widgets = {"code": forms.TextInput(attrs={"class": "ltr"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = self.instance.names or {}
        for code, language in settings.LANGUAGES:
            self.fields[f"name_{code}"] = forms.CharField(
                label=_("name (%(language)s)") % {"language": language}, max_length=200, required=False,
                initial=names.get(code, ""), widget=forms.TextInput(attrs={"dir": "auto", "lang": code}))
        # Names first: they are what people read; the code is for the API and imports.
        order = [f"name_{code}" for code, _language in settings.LANGUAGES] + ["code", "object_kind", "weight"]
        self.order_fields(order)
        self._bootstrapify()

    def service_data(self) -> dict:
        data = {k: self.cleaned_data[k] for k in ("code", "object_kind", "weight")}
        data["names"] = {code: self.cleaned_data.get(f"name_{code}", "") for code, _language in settings.LANGUAGES}
        return data


class ProductForm(BootstrapMixin, forms.ModelForm):
    required_fields = forms.MultipleChoiceField(
        label=_("mandatory policy fields"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=list(REQUIRABLE_POLICY_FIELDS.items()),
        help_text=Product._meta.get_field("required_fields").help_text)

    class Meta:
        model = Product
        fields = ["insurer", "line", "name", "code", "conditions", "required_documents", "commission_rate",
                  "required_fields", "default_term_months"]
        widgets = {"conditions": forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
                   "required_documents": forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
                   "name": forms.TextInput(attrs={"dir": "auto"}),
                   "code": forms.TextInput(attrs={"class": "ltr"}),
                   "commission_rate": forms.NumberInput(attrs={"class": "ltr", "step": "0.01", "min": "0",
                                                               "max": "100"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Archived insurers and lines are not offered, except the ones the product already has.
        instance = self.instance
        self.fields["insurer"].queryset = Insurer.objects.filter(
            Q(archived_at__isnull=True) | Q(pk=instance.insurer_id)).order_by("-is_competitor", "name") \
            if instance.pk else Insurer.objects.filter(archived_at__isnull=True).order_by("is_competitor", "name")
        self.fields["insurer"].label_from_instance = _insurer_label
        self.fields["line"].queryset = LineOfBusiness.objects.filter(
            Q(archived_at__isnull=True) | Q(pk=instance.line_id if instance.pk else None))
        if instance.pk:
            self.initial["required_fields"] = list(instance.required_fields or [])

    def _post_clean(self):
        # Model validation belongs to the service (it reports archived insurers and lines too).
        pass

    def service_data(self) -> dict:
        return dict(self.cleaned_data)


def _insurer_label(insurer: Insurer) -> str:
    return f"{insurer.name} ({_('competitor')})" if insurer.is_competitor else insurer.name


# --- Insured objects --------------------------------------------------------------------------------


class AttributesField(forms.CharField):
    """Free attributes as lines "name: value"."""

    widget = forms.Textarea(attrs={"rows": 3, "dir": "auto"})

    def prepare_value(self, value):
        if isinstance(value, dict):
            return "\n".join(f"{k}: {v}" for k, v in value.items())
        return value

    def to_python(self, value):
        text = super().to_python(value)
        result = {}
        for number, line in enumerate((text or "").splitlines(), start=1):
            if not line.strip():
                continue
            name, separator, val = line.partition(":")
            if not separator or not name.strip():
                raise forms.ValidationError(_("Line %(number)s: write “name: value”.") % {"number": number})
            result[name.strip()] = val.strip()
        return result


class InsuredObjectForm(BootstrapMixin, forms.ModelForm):
    """The fields of one kind of object. On creation the owner is picked among visible clients."""

    owner_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    since = CalendarDateField(label=_("owned since"), required=False,
                              help_text=_("Start of the ownership history; today if left empty."))
    person_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    attributes = AttributesField(label=_("other attributes"), required=False,
                                 help_text=_("One per line: “name: value”."))

    class Meta:
        model = InsuredObject
        fields = ["title", "vin", "plate", "make", "model", "year", "power_hp", "address", "area_m2",
                  "construction", "built_year", "value", "attributes"]
        widgets = {"vin": forms.TextInput(attrs={"class": "ltr text-uppercase", "maxlength": 25,
                                                 "autocomplete": "off"}),
                   "plate": forms.TextInput(attrs={"class": "ltr text-uppercase", "autocomplete": "off"}),
                   "title": forms.TextInput(attrs={"dir": "auto"}),
                   "address": forms.TextInput(attrs={"dir": "auto"}),
                   "year": forms.NumberInput(attrs={"class": "ltr"}),
                   "built_year": forms.NumberInput(attrs={"class": "ltr"}),
                   "power_hp": forms.NumberInput(attrs={"class": "ltr"}),
                   "area_m2": forms.NumberInput(attrs={"class": "ltr"}),
                   "value": forms.NumberInput(attrs={"class": "ltr"})}

    def __init__(self, *args, user, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.kind = user, kind
        # A VIN is checked after normalisation (spaces removed), so the raw input may be longer.
        self.fields["vin"].max_length = None
        self.fields["vin"].validators = []
        creating = self.instance.pk is None
        wanted = set(KIND_FIELDS[kind]) | ({"owner_id", "since"} if creating else set())
        if kind == ObjectKind.PERSON:
            wanted.add("person_id")
        for name in list(self.fields):
            if name not in wanted:
                del self.fields[name]
        if kind == ObjectKind.VEHICLE:
            self.fields["year"].widget.attrs["max"] = timezone.localdate().year
        if "person_id" in self.fields and self.instance.person_id:
            self.fields["person_id"].initial = self.instance.person_id
        if not creating:
            self.initial.setdefault("attributes", self.instance.attributes)
        apply_user_calendar(self, user)
        self._bootstrapify()

    def _post_clean(self):
        # Model validation belongs to the service (after the VIN and plate are normalised).
        pass

    def _picked_label(self, name: str) -> str:
        value = self[name].value()
        try:
            pk = int(value)
        except (TypeError, ValueError):
            return ""
        found = Client.objects.visible_to(self.user).filter(pk=pk).only("display_name").first()
        if found:
            return found.display_name
        return str(_("a client outside your scope"))

    def owner_label(self) -> str:
        return self._picked_label("owner_id") if "owner_id" in self.fields else ""

    def person_label(self) -> str:
        return self._picked_label("person_id") if "person_id" in self.fields else ""

    def owner(self):
        pk = self.cleaned_data.get("owner_id")
        return Client.objects.visible_to(self.user).filter(pk=pk).first() if pk else None

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("owner_id", "since", "person_id")}
        data["kind"] = self.kind
        if self.kind == ObjectKind.PERSON:
            pk = self.cleaned_data.get("person_id")
            if pk and pk == self.instance.person_id:
                data["person"] = self.instance.person  # kept, even when outside the user's scope now
            else:
                data["person"] = Client.objects.visible_to(self.user).filter(pk=pk).first() if pk else None
        for name in ("vin", "plate", "make", "model", "title", "address", "construction"):
            if name in data and data[name] is None:
                data[name] = ""
        return data


class TransferForm(BootstrapMixin, forms.Form):
    owner_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    date = CalendarDateField(label=_("date of transfer"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["date"].initial = timezone.localdate()
        apply_user_calendar(self, user)
        self._bootstrapify()

    def new_owner(self):
        pk = self.cleaned_data.get("owner_id")
        return Client.objects.visible_to(self.user).filter(pk=pk).first() if pk else None

    def owner_label(self) -> str:
        value = self["owner_id"].value()
        try:
            pk = int(value)
        except (TypeError, ValueError):
            return ""
        found = Client.objects.visible_to(self.user).filter(pk=pk).only("display_name").first()
        return found.display_name if found else ""
