"""factory-boy factories of the insurance app (catalogue, insured objects, policies)."""

import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from policydesk.insurance.models import (
    InsuredObject,
    Insurer,
    LineOfBusiness,
    ObjectOwnership,
    Policy,
    Product,
)

from ..factories import ClientFactory


class InsurerFactory(DjangoModelFactory):
    class Meta:
        model = Insurer
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Insurer {n}")
    is_competitor = False


def LineFactory(code: str = "motor_tpl", **kwargs) -> LineOfBusiness:  # noqa: N802 (reads like a factory)
    """A seeded line of business (motor_tpl, motor_own_damage, property, life, health, accident, travel,
    cargo, liability, mortgage), or a new one for any other code."""
    line = LineOfBusiness.objects.filter(code=code).first()
    if line is None:
        line = LineOfBusiness.objects.create(code=code, names=kwargs.pop("names", {"en": code}), **kwargs)
    return line


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    insurer = factory.SubFactory(InsurerFactory)
    line = factory.LazyFunction(lambda: LineFactory("motor_tpl"))
    name = factory.Sequence(lambda n: f"Product {n}")
    commission_rate = Decimal("10")
    default_term_months = 12


class InsuredObjectFactory(DjangoModelFactory):
    """An insured object with its current ownership record (as insured_object_create leaves it)."""

    class Meta:
        model = InsuredObject
        skip_postgeneration_save = True

    kind = "other"
    owner = factory.SubFactory(ClientFactory)
    title = factory.Sequence(lambda n: f"Object {n}")

    @factory.post_generation
    def ownership(self, create, extracted, **kwargs):
        if create:
            since = extracted or datetime.date(2020, 1, 1)
            ObjectOwnership.objects.create(object=self, owner=self.owner, since=since)


def _vin(n: int) -> str:
    # 17 characters of the VIN alphabet (no I, O, Q), different for every n.
    return f"WVWZZZ1JZ{n:08d}"


class VehicleFactory(InsuredObjectFactory):
    kind = "vehicle"
    title = ""
    vin = factory.Sequence(_vin)
    plate = factory.Sequence(lambda n: f"A{n % 1000:03d}BC77")
    make = "Volkswagen"
    model = "Golf"
    year = 2018
    power_hp = 110


class PolicyFactory(DjangoModelFactory):
    """A policy saved as is (no service): state, dates and money as given. Defaults: an issued policy
    of a year from 1 January 2025, premium 1,000.00 RUB, 10% commission. For the rules of creation
    (defaults from the product, refusals) use policydesk.insurance.services.policy_create."""

    class Meta:
        model = Policy
        skip_postgeneration_save = True

    state = "issued"
    client = factory.SubFactory(ClientFactory)
    product = factory.SubFactory(ProductFactory)
    insurer = factory.LazyAttribute(lambda o: o.product.insurer if o.product else InsurerFactory())
    line = factory.LazyAttribute(lambda o: o.product.line if o.product else LineFactory("motor_tpl"))
    series = "XXX"
    number = factory.Sequence(lambda n: f"{n:010d}")
    issue_date = factory.LazyAttribute(lambda o: o.start_date)
    start_date = datetime.date(2025, 1, 1)
    end_date = factory.LazyAttribute(lambda o: o.start_date.replace(year=o.start_date.year + 1)
                                     - datetime.timedelta(days=1))
    currency = "RUB"
    premium = Decimal("1000.00")
    commission_rate = Decimal("10")
    commission_amount = factory.LazyAttribute(lambda o: (o.premium * o.commission_rate / 100).quantize(Decimal("0.01")))
    cancelled_on = factory.LazyAttribute(lambda o: o.start_date if o.state == "cancelled" else None)
    cancel_reason = factory.LazyAttribute(lambda o: "client_request" if o.state == "cancelled" else "")

    @factory.post_generation
    def objects_insured(self, create, extracted, **kwargs):
        if create and extracted:
            self.objects_insured.set(extracted)

    @factory.post_generation
    def insured_persons(self, create, extracted, **kwargs):
        if create and extracted:
            self.insured_persons.set(extracted)

    @factory.post_generation
    def report_fields(self, create, extracted, **kwargs):
        # Saved without the services: keep the stored report fields as they would.
        if create:
            from policydesk.insurance.services import refresh_report_fields

            refresh_report_fields([self.pk, self.renews_id])
