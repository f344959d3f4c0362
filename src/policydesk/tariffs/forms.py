"""Forms: the tariff and its parts (administrators), and the quote form built from a tariff."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policydesk.core.forms import BootstrapMixin, CalendarDateField, apply_user_calendar
from policydesk.insurance.models import Product

from .choices import BaseKind, FactorKind
from .models import BaseRate, BonusMalusClass, BonusMalusTransition, CoefficientRow, CoefficientTable, Tariff

FACTOR_PREFIX = "f_"


class TariffForm(BootstrapMixin, forms.ModelForm):
    valid_from = CalendarDateField(label=_("valid from"))

    class Meta:
        model = Tariff
        fields = ["product", "name", "valid_from", "is_active", "base_factor", "base_factor_label", "currency", "source"]
        widgets = {"source": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(archived_at__isnull=True).select_related("insurer")
        if user is not None:
            apply_user_calendar(self, user)
        for name in ("base_factor", "currency"):
            self.fields[name].widget.attrs["class"] += " ltr"


class BaseRateForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = BaseRate
        fields = ["key", "label", "kind", "amount", "amount_min", "amount_max", "rate", "weight"]

    def __init__(self, *args, tariff, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.tariff = tariff

    def clean_key(self):
        key = self.cleaned_data["key"]
        others = BaseRate.objects.filter(tariff=self.instance.tariff, key=key).exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("This tariff already has a base rate with this key."))
        return key


class CoefficientTableForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = CoefficientTable
        fields = ["code", "name", "factor", "factor_label", "factor_kind", "factor2", "factor2_label", "factor2_kind",
                  "weight"]

    def __init__(self, *args, tariff, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.tariff = tariff
        self.fields["factor2_kind"].required = False

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        others = CoefficientTable.objects.filter(tariff=self.instance.tariff, code=code).exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("This tariff already has a table with this code."))
        return code


class CoefficientRowForm(BootstrapMixin, forms.ModelForm):
    """A row's fields follow its table: a key and label for a choice, a range for a number."""

    class Meta:
        model = CoefficientRow
        fields = ["key", "label", "low", "high", "key2", "label2", "low2", "high2", "value", "weight"]

    def __init__(self, *args, table, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.table = table
        drop = {"key", "label"} if table.factor_kind == FactorKind.NUMBER else {"low", "high"}
        if not table.factor2:
            drop |= {"key2", "label2", "low2", "high2"}
        elif table.factor2_kind == FactorKind.NUMBER:
            drop |= {"key2", "label2"}
        else:
            drop |= {"low2", "high2"}
        for name in drop:
            del self.fields[name]
        for name in ("key", "key2"):
            if name in self.fields:
                self.fields[name].required = True
        for name, label in (("key", table.factor_label), ("low", table.factor_label), ("high", table.factor_label),
                            ("key2", table.factor2_label), ("low2", table.factor2_label),
                            ("high2", table.factor2_label)):
            if name in self.fields:
                self.fields[name].label = f"{label}: {self.fields[name].label}"


class BonusMalusClassForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = BonusMalusClass
        fields = ["system", "code", "order", "coefficient"]


class BonusMalusTransitionForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = BonusMalusTransition
        fields = ["from_class", "claims", "to_class"]


def quote_products():
    """Products a quote can be made for: those with an active tariff."""
    return (Product.objects.filter(archived_at__isnull=True, tariffs__is_active=True)
            .select_related("insurer").order_by("insurer__name", "name").distinct())


class ProductPickForm(BootstrapMixin, forms.Form):
    product = forms.ModelChoiceField(label=_("product"), queryset=Product.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = quote_products()


class QuoteForm(BootstrapMixin, forms.Form):
    """The risk's attributes a tariff asks for, plus the base choice, sum insured and start date."""

    start_date = CalendarDateField(label=_("start date"))

    def __init__(self, *args, tariff, factors: list[dict], user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tariff = tariff
        self.factor_names = []
        for entry in factors:
            name = FACTOR_PREFIX + entry["name"]
            self.factor_names.append(entry["name"])
            if entry["kind"] == FactorKind.CHOICE:
                self.fields[name] = forms.ChoiceField(label=entry["label"],
                                                      choices=[("", "—"), *entry["choices"]])
            else:
                self.fields[name] = forms.DecimalField(label=entry["label"], min_value=0, max_digits=14,
                                                       decimal_places=2)
                self.fields[name].widget.attrs["class"] = "ltr"
        kinds = {rate.kind for rate in tariff.base_rates.all()}
        if BaseKind.RANGE in kinds:
            ranges = [r for r in tariff.base_rates.all() if r.kind == BaseKind.RANGE]
            hint = "; ".join(f"{r}: {r.amount_min}–{r.amount_max}" for r in ranges)
            self.fields["base_choice"] = forms.DecimalField(
                label=_("base amount"), min_value=0, max_digits=16, decimal_places=2, required=False,
                help_text=_("Within the range of the chosen base rate (%(ranges)s).") % {"ranges": hint})
            self.fields["base_choice"].widget.attrs["class"] = "ltr"
        if BaseKind.RATE in kinds:
            self.fields["sum_insured"] = forms.DecimalField(label=_("sum insured"), min_value=0, max_digits=16,
                                                            decimal_places=2, required=False)
            self.fields["sum_insured"].widget.attrs["class"] = "ltr"
        self.fields["start_date"].initial = timezone.localdate()
        self.order_fields(["start_date"])
        self._bootstrapify()
        if user is not None:
            apply_user_calendar(self, user)

    def factor_values(self) -> dict:
        return {name: self.cleaned_data.get(FACTOR_PREFIX + name) for name in self.factor_names
                if self.cleaned_data.get(FACTOR_PREFIX + name) not in (None, "")}

    def error_field(self, name: str) -> str:
        """Where a service error about ``name`` belongs on this form."""
        return FACTOR_PREFIX + name if name in self.factor_names else name
