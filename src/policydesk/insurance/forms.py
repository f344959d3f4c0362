"""Policy forms: create/edit (for one policyholder), cancel, and choosing the policyholder first."""

import datetime

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policydesk.clients.models import Client
from policydesk.core.forms import BootstrapMixin, CalendarDateField, apply_user_calendar

from .choices import CancelReason, DeliveryMethod, SalesChannel
from .models import InsuredObject, Insurer, LineOfBusiness, Policy, Product


def policy_party_choices(user, client: Client, policy: Policy | None = None):
    """Who may be an insured person or the beneficiary of ``client``'s policy: the client, its
    relatives and contact persons, and whoever the policy already names; all within the user's scope."""
    related = (Q(pk=client.pk) | Q(relationships_to__from_client=client) | Q(relationships_from__to_client=client)
               | Q(represents__organisation=client) | Q(contact_persons__person=client))
    if policy is not None and policy.pk:
        related |= Q(insured_under=policy) | Q(beneficiary_of=policy)
    ids = Client.objects.filter(related).values("pk")
    return Client.objects.visible_to(user).filter(pk__in=ids).order_by("display_name", "pk")


class PolicyForm(BootstrapMixin, forms.ModelForm):
    """The policy's data for one policyholder (the client is chosen before the form opens)."""

    product = forms.ModelChoiceField(
        label=_("product"), required=False,
        queryset=Product.objects.filter(archived_at__isnull=True).select_related("insurer").order_by(
            "insurer__name", "name"),
        help_text=_("Sets the insurer, the line of business, the commission rate and the usual term."))
    insurer = forms.ModelChoiceField(label=_("insurer"), required=False,
                                     queryset=Insurer.objects.filter(archived_at__isnull=True))
    line = forms.ModelChoiceField(label=_("line of business"), required=False,
                                  queryset=LineOfBusiness.objects.filter(archived_at__isnull=True))
    issue_date = CalendarDateField(label=_("issue date"), required=False)
    start_date = CalendarDateField(
        label=_("start date"), required=False,
        help_text=_("For a policy held with a competitor the start may be left empty: it is then taken as one "
                    "year before the end date."))
    end_date = CalendarDateField(
        label=_("end date"), required=False,
        help_text=_("Left empty, it follows from the start date and the product's usual term."))
    commission_rate = forms.DecimalField(
        label=_("commission rate, %"), required=False, min_value=0, max_value=100, decimal_places=4,
        help_text=_("Left empty, the product's rate applies."))
    premium = forms.DecimalField(label=_("premium"), required=False, min_value=0, decimal_places=2, max_digits=16)
    sum_insured = forms.DecimalField(label=_("sum insured"), required=False, min_value=0, decimal_places=2,
                                     max_digits=16)
    objects_insured = forms.ModelMultipleChoiceField(label=_("insured objects"), required=False,
                                                     queryset=InsuredObject.objects.none(),
                                                     widget=forms.CheckboxSelectMultiple)
    insured_persons = forms.ModelMultipleChoiceField(label=_("insured persons"), required=False,
                                                     queryset=Client.objects.none(),
                                                     widget=forms.CheckboxSelectMultiple)
    beneficiary = forms.ModelChoiceField(label=_("beneficiary"), required=False, queryset=Client.objects.none())
    manager = forms.ModelChoiceField(label=_("manager"), required=False, queryset=get_user_model().objects.none())
    delivery_date = CalendarDateField(label=_("delivery date"), required=False)
    delivery_time = forms.TimeField(label=_("delivery time"), required=False,
                                    widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    class Meta:
        model = Policy
        fields = ["product", "insurer", "line", "series", "number", "issue_date", "start_date", "end_date",
                  "currency", "sum_insured", "premium", "commission_rate", "sales_channel", "manager", "partner",
                  "delivery_method", "delivery_address", "beneficiary", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
                   "series": forms.TextInput(attrs={"class": "ltr"}), "number": forms.TextInput(attrs={"class": "ltr"}),
                   "currency": forms.TextInput(attrs={"class": "ltr", "maxlength": 3}),
                   "partner": forms.TextInput(attrs={"dir": "auto"}),
                   "delivery_address": forms.TextInput(attrs={"dir": "auto"})}

    def __init__(self, *args, user, client: Client, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.client = user, client
        policy = self.instance if self.instance.pk else None
        # The policyholder's current objects, and whatever the policy already insures.
        objects = Q(owner=client, archived_at__isnull=True)
        if policy is not None:
            objects |= Q(pk__in=policy.objects_insured.values("pk"))
        self.fields["objects_insured"].queryset = InsuredObject.objects.visible_to(user).filter(objects)
        parties = policy_party_choices(user, client, policy)
        self.fields["insured_persons"].queryset = parties
        self.fields["beneficiary"].queryset = parties
        managers = get_user_model().objects.filter(is_active=True)
        if policy is not None and policy.manager_id:
            managers = get_user_model().objects.filter(Q(is_active=True) | Q(pk=policy.manager_id))
        self.fields["manager"].queryset = managers.order_by("last_name", "first_name")
        self.fields["sales_channel"].choices = [("", "—"), *SalesChannel.choices]
        self.fields["delivery_method"].choices = [("", "—"), *DeliveryMethod.choices]
        self.fields["currency"].required = False
        if policy is None:
            self.fields["manager"].initial = user.pk
            self.fields["currency"].initial = settings.DEFAULT_CURRENCY
        else:
            self.fields["objects_insured"].initial = list(policy.objects_insured.values_list("pk", flat=True))
            self.fields["insured_persons"].initial = list(policy.insured_persons.values_list("pk", flat=True))
            if policy.delivery_at:
                local = timezone.localtime(policy.delivery_at)
                self.fields["delivery_date"].initial = local.date()
                self.fields["delivery_time"].initial = local.time().replace(second=0, microsecond=0)
            if policy.product_id and policy.product.archived_at is not None:
                self.fields["product"].queryset = Product.objects.filter(
                    Q(archived_at__isnull=True) | Q(pk=policy.product_id)).select_related("insurer")
        apply_user_calendar(self, user)
        self._bootstrapify()

    def _post_clean(self):
        # The service validates the policy (scope, dates, money, numbers); the form only parses input.
        pass

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("product") and not (cleaned.get("insurer") and cleaned.get("line")):
            if not cleaned.get("insurer"):
                self.add_error("insurer", _("Choose the insurer, or a product."))
            if not cleaned.get("line"):
                self.add_error("line", _("Choose the line of business, or a product."))
        if cleaned.get("delivery_time") and not cleaned.get("delivery_date"):
            self.add_error("delivery_date", _("Enter the delivery date for this time."))
        return cleaned

    def policy_data(self) -> dict:
        """The cleaned values as the services' ``data``."""
        data = {name: self.cleaned_data.get(name) for name in self.Meta.fields}
        data["client"] = self.client
        for name in ("series", "number", "partner", "delivery_address", "notes", "sales_channel", "delivery_method",
                     "currency"):
            data[name] = data.get(name) or ""
        if data["commission_rate"] is None:
            data.pop("commission_rate")
        if not data["currency"]:
            data.pop("currency")
        day, time = self.cleaned_data.get("delivery_date"), self.cleaned_data.get("delivery_time")
        data["delivery_at"] = (timezone.make_aware(datetime.datetime.combine(day, time or datetime.time(0, 0)))
                               if day else None)
        return data


class CancelForm(BootstrapMixin, forms.Form):
    on = CalendarDateField(label=_("cancelled on"))
    reason = forms.ChoiceField(label=_("cancellation reason"), choices=[("", "—"), *CancelReason.choices])
    note = forms.CharField(label=_("cancellation note"), required=False, max_length=500,
                           widget=forms.TextInput(attrs={"dir": "auto"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()
        apply_user_calendar(self, user)
        self._bootstrapify()
