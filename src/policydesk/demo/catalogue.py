"""The demo agency's catalogue: insurers of the five markets, their products with commission rates
and mandatory fields, the ОСАГО tariff, and the premium calculator the policy generator uses.

The catalogue is small, so it is written through the app's services (attributed to ``admin`` in
the change history) and is looked up by name, so that a second run reuses it. The insurers are
invented; their tax ids pass the country's check-digit rules.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext

from policydesk.insurance.models import Insurer, LineOfBusiness, Product
from policydesk.insurance.services_catalogue import insurer_save, product_save
from policydesk.tariffs.choices import BaseKind, FactorKind
from policydesk.tariffs.models import BonusMalusTransition, Tariff
from policydesk.tariffs.services import tariff_preset_load, tariff_queryset

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Market:
    """How money looks in one country: the currency, a price level (what costs one US dollar in the
    USA costs ``price_level`` units here, roughly, for insurance), and how amounts are rounded."""

    country: str
    currency: str
    price_level: Decimal
    premium_quantum: Decimal
    sum_quantum: Decimal


MARKETS = {
    "RU": Market("RU", "RUB", Decimal("75"), CENT, Decimal("10000")),
    # Rial amounts are whole thousands; a multiple of 10,000 divides into 2 or 4 equal whole parts.
    "IR": Market("IR", "IRR", Decimal("250000"), Decimal("10000"), Decimal("10000000")),
    "AZ": Market("AZ", "AZN", Decimal("1.7"), CENT, Decimal("100")),
    "CN": Market("CN", "CNY", Decimal("7"), CENT, Decimal("1000")),
    "US": Market("US", "USD", Decimal("1"), CENT, Decimal("1000")),
}
# English-speaking clients buy travel cover for Europe in euros.
EUR = Market("US", "EUR", Decimal("0.92"), CENT, Decimal("1000"))

# Mandatory policy fields (see insurance.choices.REQUIRABLE_POLICY_FIELDS) by line; the insurer's
# own additions are in ``_required``.
REQUIRED = {
    "motor_tpl": ["number", "issue_date", "premium", "insured_object", "manager"],
    "motor_own_damage": ["number", "issue_date", "sum_insured", "premium", "insured_object", "sales_channel"],
    "property": ["number", "issue_date", "sum_insured", "premium", "insured_object"],
    "life": ["number", "issue_date", "sum_insured", "premium", "insured_person"],
    "health": ["number", "premium", "insured_person"],
    "accident": ["number", "sum_insured", "insured_person"],
    "travel": ["number", "sum_insured", "insured_person"],
    "cargo": ["number", "sum_insured", "insured_object"],
    "liability": ["number", "sum_insured"],
    "mortgage": ["number", "issue_date", "sum_insured", "insured_object", "delivery_method"],
}

# key, country, legal name, short name, competitor, tax id, licence, phone, email, website
INSURERS = [
    ("ru_shield", "RU", "АО «Страховая компания «Северный щит»", "Северный щит", False, "7784268465",
     "СИ № 4127", "+74957801020", "info@sever-shield.example", "https://sever-shield.example"),
    ("ru_volga", "RU", "ООО «Волга-Гарант Страхование»", "Волга-Гарант", False, "7790786666",
     "СЛ № 3318", "+78432905060", "office@volga-garant.example", "https://volga-garant.example"),
    ("ru_magistral", "RU", "ПАО «Страховой дом «Магистраль»", "Магистраль", True, "7721547280",
     "СИ № 1590", "+74991112233", "", "https://magistral-ins.example"),
    ("ir_arman", "IR", "شرکت بیمه آرمان سپهر (سهامی عام)", "بیمه آرمان", False, "10326865635",
     "۲۷/۱۳۸۹", "+982188776655", "info@arman-ins.example", "https://arman-ins.example"),
    ("az_xazar", "AZ", "«Xəzər Sığorta» ASC", "Xəzər Sığorta", False, "1700452381",
     "S-0112", "+994124980011", "info@xezer-sigorta.example", "https://xezer-sigorta.example"),
    ("cn_ruifeng", "CN", "瑞丰财产保险股份有限公司", "瑞丰财险", False, "913100004XGQGJTTR0",
     "000231", "+862168887766", "service@ruifeng-pc.example", "https://ruifeng-pc.example"),
    ("us_harbor", "US", "Harborline Mutual Insurance Company", "Harborline Mutual", False, "417385206",
     "NAIC 29841", "+16175550142", "service@harborline.example", "https://harborline.example"),
]

# insurer key, line, product name, commission %, term in months (0: a trip, priced by the day)
PRODUCTS = [
    ("ru_shield", "motor_tpl", "ОСАГО", "10", 12),
    ("ru_shield", "motor_own_damage", "КАСКО «Оптимум»", "15", 12),
    ("ru_shield", "property", "Имущество «Мой дом»", "25", 12),
    ("ru_shield", "life", "Страхование жизни «Надёжное будущее»", "30", 60),
    ("ru_shield", "health", "ДМС «Корпоративный»", "10", 12),
    ("ru_shield", "accident", "Несчастный случай «Активная жизнь»", "30", 12),
    ("ru_shield", "travel", "ВЗР «Путешествия без границ»", "35", 0),
    ("ru_shield", "cargo", "Грузы «Карго-Про»", "15", 12),
    ("ru_shield", "liability", "Ответственность «Бизнес»", "20", 12),
    ("ru_shield", "mortgage", "Комплексное ипотечное страхование", "20", 12),
    ("ru_volga", "motor_tpl", "ОСАГО", "8", 12),
    ("ru_volga", "motor_own_damage", "КАСКО «Лайт»", "17", 12),
    ("ru_volga", "property", "Имущество «Квартира+»", "27", 12),
    ("ru_volga", "accident", "Защита от несчастного случая", "32", 12),
    ("ru_volga", "travel", "ВЗР «Турист»", "35", 0),
    ("ru_volga", "mortgage", "Ипотека «Стандарт»", "18", 12),
    ("ru_magistral", "motor_tpl", "ОСАГО", "0", 12),
    ("ru_magistral", "motor_own_damage", "КАСКО «Максимум»", "0", 12),
    ("ru_magistral", "property", "Имущество «Дом под защитой»", "0", 12),
    ("ru_magistral", "mortgage", "Ипотечное страхование", "0", 12),
    ("ir_arman", "motor_tpl", "بیمه شخص ثالث", "6", 12),
    ("ir_arman", "motor_own_damage", "بیمه بدنه اتومبیل", "12", 12),
    ("ir_arman", "property", "بیمه آتش‌سوزی منازل مسکونی", "20", 12),
    ("ir_arman", "life", "بیمه عمر و سرمایه‌گذاری", "25", 60),
    ("ir_arman", "health", "بیمه درمان تکمیلی", "8", 12),
    ("ir_arman", "accident", "بیمه حوادث انفرادی", "20", 12),
    ("ir_arman", "travel", "بیمه مسافرتی خارج از کشور", "25", 0),
    ("ir_arman", "cargo", "بیمه باربری داخلی", "10", 12),
    ("ir_arman", "liability", "بیمه مسئولیت مدنی کارفرما", "15", 12),
    ("az_xazar", "motor_tpl", "İcbari avtonəqliyyat sığortası", "12", 12),
    ("az_xazar", "motor_own_damage", "KASKO «Premium»", "15", 12),
    ("az_xazar", "property", "Daşınmaz əmlakın icbari sığortası", "20", 12),
    ("az_xazar", "life", "Həyat sığortası «Gələcək»", "25", 60),
    ("az_xazar", "health", "Tibbi sığorta «Sağlam»", "10", 12),
    ("az_xazar", "accident", "Bədbəxt hadisələrdən sığorta", "25", 12),
    ("az_xazar", "travel", "Səyahət sığortası", "30", 0),
    ("az_xazar", "cargo", "Yük sığortası", "12", 12),
    ("az_xazar", "liability", "Mülki məsuliyyət sığortası", "15", 12),
    ("cn_ruifeng", "motor_tpl", "机动车交通事故责任强制保险", "4", 12),
    ("cn_ruifeng", "motor_own_damage", "机动车商业保险", "12", 12),
    ("cn_ruifeng", "property", "家庭财产保险", "20", 12),
    ("cn_ruifeng", "health", "百万医疗保险", "15", 12),
    ("cn_ruifeng", "accident", "个人意外伤害保险", "25", 12),
    ("cn_ruifeng", "travel", "境外旅行保险", "30", 0),
    ("cn_ruifeng", "cargo", "国内货物运输保险", "10", 12),
    ("cn_ruifeng", "liability", "公众责任保险", "15", 12),
    ("cn_ruifeng", "mortgage", "个人住房抵押贷款保险", "15", 12),
    ("us_harbor", "motor_tpl", "Auto Liability", "10", 12),
    ("us_harbor", "motor_own_damage", "Auto Physical Damage", "12", 12),
    ("us_harbor", "property", "Homeowners HO-3", "15", 12),
    ("us_harbor", "life", "Term Life 20", "40", 240),
    ("us_harbor", "accident", "Personal Accident", "25", 12),
    ("us_harbor", "travel", "Travel Protection Europe", "30", 0),
    ("us_harbor", "cargo", "Inland Marine Cargo", "12", 12),
    ("us_harbor", "liability", "Commercial General Liability", "15", 12),
]
# The product that gets the ОСАГО tariff preset (its premiums come from the tariff).
OSAGO_PRODUCT = ("ru_shield", "ОСАГО")


@dataclass
class ProductInfo:
    pk: int
    insurer_id: int
    insurer_key: str
    line_id: int
    line: str
    commission_rate: Decimal
    required: tuple
    term_months: int
    competitor: bool
    tariff: "TariffCalculator | None" = None


@dataclass
class Catalogue:
    """What the policy generator needs of the catalogue, as plain values."""

    insurers: dict  # key -> Insurer
    products: list  # ProductInfo
    by_market: dict = field(default_factory=dict)  # (country, line) -> [ProductInfo] of the agency's insurers
    competitor: dict = field(default_factory=dict)  # (country, line) -> [ProductInfo] of competitors

    def __post_init__(self):
        country = {key: spec[1] for key, spec in ((i[0], i) for i in INSURERS)}
        for info in self.products:
            target = self.competitor if info.competitor else self.by_market
            target.setdefault((country[info.insurer_key], info.line), []).append(info)

    def lines(self, country: str) -> set:
        """The lines the agency's insurers sell in ``country``."""
        return {line for (c, line) in self.by_market if c == country}


def ensure_catalogue(admin) -> Catalogue:
    """The demo insurers and products (created through the services when missing) and the ОСАГО
    tariff of one product."""
    lines = {line.code: line for line in LineOfBusiness.objects.all()}
    insurers = {}
    for key, _country, name, short, competitor, tax_id, licence, phone, email, website in INSURERS:
        insurer = Insurer.objects.filter(name=name).first()
        if insurer is None:
            insurer = insurer_save(actor=admin, instance=Insurer(), data={
                "name": name, "short_name": short, "is_competitor": competitor, "tax_id": tax_id,
                "licence": licence, "phone": phone, "email": email, "website": website})
        insurers[key] = insurer
    existing = {(p.insurer_id, p.name): p for p in Product.objects.filter(insurer__in=insurers.values())}
    products = []
    for key, line_code, name, rate, term in PRODUCTS:
        insurer = insurers[key]
        product = existing.get((insurer.pk, name))
        if product is None:
            required = [] if insurer.is_competitor else _required(key, line_code)
            product = product_save(actor=admin, instance=Product(), data={
                "insurer": insurer, "line": lines[line_code], "name": name, "commission_rate": Decimal(rate),
                "required_fields": required, "default_term_months": term or 1})
        info = ProductInfo(pk=product.pk, insurer_id=insurer.pk, insurer_key=key, line_id=product.line_id,
                           line=line_code, commission_rate=product.commission_rate,
                           required=tuple(product.required_fields or ()), term_months=term,
                           competitor=insurer.is_competitor)
        if (key, name) == OSAGO_PRODUCT:
            info.tariff = _osago_tariff(admin, product)
        products.append(info)
    return Catalogue(insurers=insurers, products=products)


def _required(insurer_key: str, line: str) -> list[str]:
    fields = list(REQUIRED[line])
    if line == "motor_tpl" and insurer_key.startswith("ru_"):
        fields.append("series")  # a Russian ОСАГО policy is known by series and number
    if line == "life" and insurer_key == "ru_shield":
        fields.append("beneficiary")
    return fields


def _osago_tariff(admin, product) -> "TariffCalculator | None":
    if not Tariff.objects.filter(product=product, is_active=True).exists():
        tariff_preset_load(actor=admin, preset="osago", product=product)
    tariff = tariff_queryset().filter(product=product, is_active=True).first()
    return TariffCalculator(tariff) if tariff is not None and tariff.preset == "osago" else None


class TariffCalculator:
    """The premium ``tariffs.services.quote`` computes, for many policies: the tariff's rows are read
    once and each table's answer is remembered per attribute value. Same rules: the base rate picked
    by the base attribute (a range takes the chosen base amount), then the first matching row of every
    table, the product rounded once to cents."""

    def __init__(self, tariff: Tariff):
        self.tariff = tariff
        self.valid_from: datetime.date = tariff.valid_from
        self.base_factor = tariff.base_factor
        self.bases = {rate.key: rate for rate in tariff.base_rates.all()}
        self.tables = [(table.factors(), list(table.rows.all()), {}) for table in tariff.tables.all()]
        # Read now: the generator may run in a child process that must not use the database.
        self.ladder = {t.from_class.code: t.to_class.code for t in BonusMalusTransition.objects.filter(
            claims=0, from_class__system="osago").select_related("from_class", "to_class")}

    def premium(self, factors: dict, base_amount: Decimal) -> Decimal:
        rate = self.bases[factors[self.base_factor]] if self.base_factor else next(iter(self.bases.values()))
        base = base_amount if rate.kind == BaseKind.RANGE else rate.amount
        with localcontext() as context:
            context.prec = 100
            total = Decimal(base)
            for dims, rows, cache in self.tables:
                values = tuple(factors[name] for name, _label, _kind in dims)
                value = cache.get(values)
                if value is None:
                    value = cache[values] = self._match(dims, rows, values)
                total *= value
            return total.quantize(CENT, rounding=ROUND_HALF_UP)

    @staticmethod
    def _match(dims, rows, values) -> Decimal:
        def matches(kind, key, low, high, value):
            if kind == FactorKind.CHOICE:
                return key == str(value)
            number = Decimal(str(value))
            return (low is None or number >= low) and (high is None or number <= high)

        for row in rows:
            bounds = [(row.key, row.low, row.high), (row.key2, row.low2, row.high2)]
            if all(matches(kind, *bounds[i], values[i]) for i, (_name, _label, kind) in enumerate(dims)):
                return row.value
        raise ValueError(f"no coefficient for {values}")

    def next_class(self, code: str) -> str:
        """The bonus-malus class after a claim-free year (the ladder's first column)."""
        return self.ladder.get(code, code)
