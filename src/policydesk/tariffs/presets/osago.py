"""Russian motor third-party liability (ОСАГО): the Bank of Russia's tariff structure.

Source: Указание Банка России от 08.12.2021 № 6007-У «О страховых тарифах по обязательному
страхованию гражданской ответственности владельцев транспортных средств» (registered by the Ministry
of Justice on 28.12.2021, № 66609), as amended by Указание от 28.07.2022 № 6209-У (new Appendix 1,
the base-rate corridors, and rows of the territory table; registered 30.08.2022 № 69845, in force
from 13.09.2022 according to normativ.kontur.ru, document 430758).

What could be checked, and against what (no copy of the Bank of Russia's own text was available
while this preset was written; every figure below is marked with how sure it is):

* ТБ, category B/BE, individuals and sole proprietors, 1 646–7 535 ₽: seen in one third-party
  calculator; matches the corridor announced with 6209-У. The corridors for legal entities and for
  taxis could NOT be checked and are left out: add them on the tariff page from the text in force.
* КБМ classes M…13 and their coefficients (3.92 … 0.46, in force from 01.04.2022): two independent
  third-party calculators agree.
* КБМ transitions by number of claims (0, 1, 2, 3, 4 or more): the table of the earlier Указание
  № 3384-У, which 6007-У kept; written from that table, NOT checked against a copy of 6007-У.
* КВС (age × experience, 8 × 8, from 6007-У): two independent third-party calculators agree (one
  has two typing errors the other does not).
* КТ: a third-party list of 6007-У's territory table. 6209-У changed some rows (Dagestan's, at
  least); the rows below are not known to be among them, but were not checked against 6209-У.
* КМ (engine power), КС (months of use), КП (foreign-registered vehicles): two third-party
  calculators agree; these values are unchanged since Указание № 3384-У.
* КО: limited drivers 1.00; unlimited 2.32 for individuals, 1.97 for legal entities (two
  third-party calculators; a third uses 2.27 for unlimited, which may be a later amendment — check).
* КН 1.5 for gross breaches of the insurance terms (Article 9(3) of Law 40-ФЗ): as in 3384-У.

Not modelled: the cap on the premium (at most 3 × ТБ × КТ, or 5 × with КН); several drivers (the
calculator takes one driver's КБМ and КВС: use the driver with the largest product of the two);
КТ of transit and of foreign-registered vehicles (choose the territory that applies).
"""

import datetime
from decimal import Decimal as D

SOURCE = (
    "Указание Банка России от 08.12.2021 № 6007-У (ред. Указания от 28.07.2022 № 6209-У). "
    "ТБ: только категория B/BE для физических лиц и ИП (1 646–7 535 ₽); коридоры для юридических лиц "
    "и такси не проверены и не загружены — добавьте их из действующего текста. Таблица переходов КБМ "
    "записана по Указанию № 3384-У (6007-У её сохранило) и не сверена с текстом 6007-У. КО для "
    "неограниченного списка (2,32) взят из сторонних калькуляторов (встречается и 2,27) — проверьте. "
    "Не учтены: предельный размер премии (3 × ТБ × КТ, 5 × при КН), несколько водителей."
)

TERRITORIES = [
    # (key, label, КТ) — 6007-У, Appendix 2, table 1 (via a third-party copy; see the module docstring).
    ("moskva", "Москва", "1.80"),
    ("moskovskaya-oblast", "Московская область", "1.56"),
    ("sankt-peterburg", "Санкт-Петербург", "1.64"),
    ("leningradskaya-oblast", "Ленинградская область", "1.24"),
    ("kazan", "Казань", "1.80"),
    ("naberezhnye-chelny", "Набережные Челны", "1.56"),
    ("tatarstan-prochie", "Республика Татарстан, прочие города и населённые пункты", "1.08"),
    ("novosibirsk", "Новосибирск", "1.63"),
    ("novosibirskaya-oblast-prochie", "Новосибирская область, прочие города и населённые пункты", "0.94"),
    ("ekaterinburg", "Екатеринбург", "1.64"),
    ("sverdlovskaya-oblast-prochie", "Свердловская область, прочие города и населённые пункты", "1.00"),
    ("chelyabinsk", "Челябинск", "1.88"),
    ("nizhniy-novgorod", "Нижний Новгород", "1.64"),
    ("rostov-na-donu", "Ростов-на-Дону", "1.64"),
    ("samara", "Самара", "1.48"),
    ("ufa", "Уфа", "1.64"),
    ("tyumen", "Тюмень", "1.80"),
    ("omsk", "Омск", "1.48"),
    ("voronezh", "Воронеж", "1.40"),
    ("kaliningrad", "Калининград", "1.08"),
]

BONUS_MALUS = [
    # (class, КБМ) worst first — 6007-У, Appendix 2, in force from 01.04.2022.
    ("M", "3.92"), ("0", "2.94"), ("1", "2.25"), ("2", "1.76"), ("3", "1.17"), ("4", "1.00"), ("5", "0.91"),
    ("6", "0.83"), ("7", "0.78"), ("8", "0.74"), ("9", "0.68"), ("10", "0.63"), ("11", "0.57"), ("12", "0.52"),
    ("13", "0.46"),
]

# Class for the next year after 0, 1, 2, 3, 4-or-more claims (3384-У's table, kept by 6007-У; see above).
BONUS_MALUS_TRANSITIONS = {
    "M": ["0", "M", "M", "M", "M"],
    "0": ["1", "M", "M", "M", "M"],
    "1": ["2", "M", "M", "M", "M"],
    "2": ["3", "1", "M", "M", "M"],
    "3": ["4", "1", "M", "M", "M"],
    "4": ["5", "2", "1", "M", "M"],
    "5": ["6", "3", "1", "M", "M"],
    "6": ["7", "4", "2", "M", "M"],
    "7": ["8", "4", "2", "M", "M"],
    "8": ["9", "5", "2", "M", "M"],
    "9": ["10", "5", "2", "1", "M"],
    "10": ["11", "6", "3", "1", "M"],
    "11": ["12", "6", "3", "1", "M"],
    "12": ["13", "6", "3", "1", "M"],
    "13": ["13", "7", "3", "1", "M"],
}

AGE_BANDS = [(16, 21), (22, 24), (25, 29), (30, 34), (35, 39), (40, 49), (50, 59), (60, None)]
EXPERIENCE_BANDS = [(0, 0), (1, 1), (2, 2), (3, 4), (5, 6), (7, 9), (10, 14), (15, None)]
# КВС by age band (rows) and experience band (columns); None where the combination cannot occur.
KVS = [
    ["2.27", "1.92", "1.84", "1.65", "1.62", None, None, None],
    ["1.88", "1.72", "1.71", "1.13", "1.10", "1.09", None, None],
    ["1.72", "1.60", "1.54", "1.09", "1.08", "1.07", "1.02", None],
    ["1.56", "1.50", "1.48", "1.05", "1.04", "1.01", "0.97", "0.95"],
    ["1.54", "1.47", "1.46", "1.00", "0.97", "0.95", "0.94", "0.93"],
    ["1.50", "1.44", "1.43", "0.96", "0.95", "0.94", "0.93", "0.91"],
    ["1.46", "1.40", "1.39", "0.93", "0.92", "0.91", "0.90", "0.86"],
    ["1.43", "1.36", "1.35", "0.91", "0.90", "0.89", "0.88", "0.83"],
]

POWER = [
    # (from, to, КМ): "up to 50 hp inclusive", "over 50 up to 70 inclusive", ... (a boundary takes the first row).
    (None, 50, "0.60"), (50, 70, "1.00"), (70, 100, "1.10"), (100, 120, "1.20"), (120, 150, "1.40"), (150, None, "1.60"),
]

USE_MONTHS = [
    ("3", "3 месяца", "0.50"), ("4", "4 месяца", "0.60"), ("5", "5 месяцев", "0.65"), ("6", "6 месяцев", "0.70"),
    ("7", "7 месяцев", "0.80"), ("8", "8 месяцев", "0.90"), ("9", "9 месяцев", "0.95"),
    ("10", "10 месяцев и более", "1.00"),
]

FOREIGN = [
    ("ru", "ТС зарегистрировано в России (КП не применяется)", "1.00"),
    ("transit", "Следует к месту регистрации", "0.20"),
    ("foreign-15d", "Зарегистрировано за рубежом: от 5 до 15 дней", "0.20"),
    ("foreign-1m", "Зарегистрировано за рубежом: от 16 дней до 1 месяца", "0.30"),
    ("foreign-2m", "Зарегистрировано за рубежом: 2 месяца", "0.40"),
    ("foreign-3m", "Зарегистрировано за рубежом: 3 месяца", "0.50"),
    ("foreign-4m", "Зарегистрировано за рубежом: 4 месяца", "0.60"),
    ("foreign-5m", "Зарегистрировано за рубежом: 5 месяцев", "0.65"),
    ("foreign-6m", "Зарегистрировано за рубежом: 6 месяцев", "0.70"),
    ("foreign-7m", "Зарегистрировано за рубежом: 7 месяцев", "0.80"),
    ("foreign-8m", "Зарегистрировано за рубежом: 8 месяцев", "0.90"),
    ("foreign-9m", "Зарегистрировано за рубежом: 9 месяцев", "0.95"),
    ("foreign-10m", "Зарегистрировано за рубежом: от 10 месяцев", "1.00"),
]


def _kvs_rows() -> list[dict]:
    rows = []
    for (age_low, age_high), values in zip(AGE_BANDS, KVS, strict=True):
        for (exp_low, exp_high), value in zip(EXPERIENCE_BANDS, values, strict=True):
            if value is not None:
                rows.append({"low": D(age_low), "high": None if age_high is None else D(age_high),
                             "low2": D(exp_low), "high2": None if exp_high is None else D(exp_high), "value": D(value)})
    return rows


PRESET = {
    "name": "ОСАГО (Указание Банка России № 6007-У)",
    "valid_from": datetime.date(2022, 9, 13),
    "currency": "RUB",
    "source": SOURCE,
    "base_factor": "vehicle_category",
    "base_factor_label": "Тип ТС и владелец (ТБ)",
    "base_rates": [
        {"key": "b-individual", "label": "Категории B, BE — физические лица и ИП", "kind": "range",
         "amount_min": D("1646"), "amount_max": D("7535")},
    ],
    "tables": [
        {"code": "КТ", "name": "Территория преимущественного использования", "factor": "territory",
         "factor_label": "Территория", "factor_kind": "choice",
         "rows": [{"key": k, "label": label, "value": D(v)} for k, label, v in TERRITORIES]},
        {"code": "КБМ", "name": "Бонус-малус (класс водителя)", "factor": "bonus_malus_class",
         "factor_label": "Класс КБМ", "factor_kind": "choice",
         "rows": [{"key": code, "label": f"Класс {code}", "value": D(v)} for code, v in BONUS_MALUS]},
        {"code": "КВС", "name": "Возраст и стаж водителя", "factor": "driver_age", "factor_label": "Возраст водителя, лет",
         "factor_kind": "number", "factor2": "driver_experience", "factor2_label": "Стаж вождения, лет",
         "factor2_kind": "number", "rows": _kvs_rows()},
        {"code": "КО", "name": "Количество лиц, допущенных к управлению", "factor": "drivers",
         "factor_label": "Допущенные к управлению", "factor_kind": "choice",
         "rows": [{"key": "limited", "label": "Ограниченный список водителей", "value": D("1.00")},
                  {"key": "unlimited", "label": "Без ограничений (физическое лицо, ИП)", "value": D("2.32")},
                  {"key": "unlimited-legal", "label": "Без ограничений (юридическое лицо)", "value": D("1.97")}]},
        {"code": "КМ", "name": "Мощность двигателя", "factor": "power_hp", "factor_label": "Мощность, л. с.",
         "factor_kind": "number",
         "rows": [{"low": None if lo is None else D(lo), "high": None if hi is None else D(hi), "value": D(v)}
                  for lo, hi, v in POWER]},
        {"code": "КС", "name": "Период использования ТС", "factor": "use_months", "factor_label": "Период использования",
         "factor_kind": "choice", "rows": [{"key": k, "label": label, "value": D(v)} for k, label, v in USE_MONTHS]},
        {"code": "КН", "name": "Грубые нарушения условий страхования", "factor": "violations",
         "factor_label": "Грубые нарушения", "factor_kind": "choice",
         "rows": [{"key": "none", "label": "Нет", "value": D("1.00")},
                  {"key": "gross", "label": "Есть (п. 3 ст. 9 Закона № 40-ФЗ)", "value": D("1.50")}]},
        {"code": "КП", "name": "ТС, зарегистрированные за рубежом или следующие к месту регистрации",
         "factor": "registration", "factor_label": "Регистрация ТС", "factor_kind": "choice",
         "rows": [{"key": k, "label": label, "value": D(v)} for k, label, v in FOREIGN]},
    ],
    "bonus_malus": {"system": "osago", "classes": BONUS_MALUS, "transitions": BONUS_MALUS_TRANSITIONS},
}
