"""Insured objects of the demo clients: vehicles with valid VINs and national plates, homes,
offices and cargo, as each market writes them.

VINs follow ISO 3779 with the check digit (position 9) computed for every vehicle, as North
American and Chinese VINs require; the serial part encodes the object's id, so no two demo
vehicles share a VIN. Plates are stored the way ``insured_object_create`` stores them (no spaces
or dashes; Russian plates in the Latin look-alike letters).
"""

import random

VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_VIN_VALUES = {**{str(d): d for d in range(10)}, **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
               **dict(zip("JKLMN", range(1, 6), strict=True)), "P": 7, "R": 9,
               **dict(zip("STUVWXYZ", range(2, 10), strict=True))}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
# Model-year codes (position 10) repeat every 30 years from 1980 (A); no I, O, Q, U, Z or 0.
_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"


def vin(wmi: str, vds: str, year: int, serial: int) -> str:
    """A VIN: manufacturer (3), vehicle descriptor (5), check digit, model year, plant and serial."""
    plant = VIN_CHARS[(serial // 1_000_000) % len(VIN_CHARS)]
    body = f"{wmi}{vds}0{_YEAR_CODES[(year - 1980) % 30]}{plant}{serial % 1_000_000:06d}"
    total = sum(_VIN_VALUES[ch] * weight for ch, weight in zip(body, _VIN_WEIGHTS, strict=True)) % 11
    return f"{body[:8]}{'X' if total == 10 else total}{body[9:]}"


# make, model, WMI, descriptor, power from, power to (hp), first model year, commercial
VEHICLES = {
    "RU": [
        ("Lada", "Vesta", "XTA", "GFL11", 106, 122, 2015, False),
        ("Lada", "Granta", "XTA", "21907", 87, 106, 2011, False),
        ("Kia", "Rio", "Z94", "C241B", 100, 123, 2011, False),
        ("Hyundai", "Solaris", "Z94", "CT41D", 100, 123, 2011, False),
        ("Toyota", "Camry", "XW7", "BF4FK", 150, 249, 2012, False),
        ("Volkswagen", "Polo", "XW8", "ZZZ61", 90, 125, 2010, False),
        ("Skoda", "Octavia", "TMB", "JG7NE", 110, 180, 2013, False),
        ("Renault", "Logan", "X7L", "LSRAG", 82, 113, 2010, False),
        ("Haval", "Jolion", "LGW", "EF6A5", 143, 150, 2021, False),
        ("Chery", "Tiggo 7 Pro", "LVV", "DB21B", 147, 170, 2020, False),
        ("Geely", "Coolray", "L6T", "78F4X", 150, 177, 2020, False),
        ("GAZ", "Gazelle Next", "X96", "A21R3", 120, 150, 2014, True),
        ("KAMAZ", "5490", "XTC", "54901", 401, 449, 2014, True),
    ],
    "IR": [
        ("Iran Khodro", "Samand", "NAA", "C1CE2", 85, 110, 2005, False),
        ("Iran Khodro", "Peugeot Pars", "NAA", "N1CB2", 98, 110, 2005, False),
        ("Iran Khodro", "Peugeot 206", "NAA", "21AF7", 75, 105, 2005, False),
        ("Iran Khodro", "Dena Plus", "NAA", "R1FE1", 113, 150, 2015, False),
        ("Saipa", "Tiba 2", "NAS", "411HE", 82, 90, 2012, False),
        ("Saipa", "Quick", "NAS", "43LBE", 82, 90, 2017, False),
        ("Saipa", "Pride 131", "NAS", "811ZE", 63, 70, 2005, False),
        ("Iran Khodro Diesel", "Foton Aumark", "NAD", "F1BJ3", 95, 130, 2010, True),
    ],
    "AZ": [
        ("Toyota", "Prius", "JTD", "KN3DU", 98, 122, 2010, False),
        ("Hyundai", "Elantra", "KMH", "D841C", 128, 150, 2011, False),
        ("Mercedes-Benz", "E 200", "WDD", "21304", 184, 197, 2010, False),
        ("Kia", "Sportage", "KNA", "PM81A", 150, 185, 2011, False),
        ("Chevrolet", "Cobalt", "XWB", "JA69V", 106, 106, 2012, False),
        ("Lada", "Niva Legend", "XTA", "21214", 83, 83, 2008, False),
        ("Mercedes-Benz", "Sprinter", "WDB", "90663", 129, 190, 2010, True),
    ],
    "CN": [
        ("BYD", "Qin Plus", "LGX", "CE4C8", 110, 197, 2018, False),
        ("Geely", "Emgrand", "L6T", "7824S", 114, 136, 2012, False),
        ("Toyota", "Corolla", "LFM", "A1RE5", 121, 170, 2014, False),
        ("Volkswagen", "Lavida", "LSV", "AA6BR", 110, 150, 2013, False),
        ("Honda", "Civic", "LVH", "FC165", 125, 182, 2016, False),
        ("Changan", "CS75 Plus", "LS5", "A3DE5", 178, 233, 2019, False),
        ("Tesla", "Model Y", "LRW", "YGDEE", 299, 456, 2021, False),
        ("Foton", "Aumark S", "LVB", "D4PB8", 130, 160, 2015, True),
    ],
    "US": [
        ("Toyota", "Camry", "4T1", "B11HK", 203, 301, 2012, False),
        ("Honda", "Civic", "19X", "FC2F5", 158, 180, 2016, False),
        ("Ford", "F-150", "1FT", "EW1EP", 290, 400, 2015, False),
        ("Chevrolet", "Silverado 1500", "1GC", "UYDED", 285, 420, 2014, False),
        ("Tesla", "Model 3", "5YJ", "3E1EA", 283, 450, 2018, False),
        ("Honda", "CR-V", "2HK", "RW2H8", 190, 204, 2017, False),
        ("Toyota", "RAV4", "2T3", "W1RFV", 203, 219, 2019, False),
        ("Ford", "Transit", "1FT", "BW2CM", 275, 310, 2015, True),
    ],
}

_RU_LETTERS = "ABEKMHOPCTYX"  # the twelve Cyrillic plate letters, stored as their Latin look-alikes
_RU_REGIONS = ["77", "97", "99", "177", "197", "799", "50", "90", "150", "190", "78", "98", "178", "16", "116",
               "54", "154", "66", "96", "74", "174", "52", "152", "61", "161", "63", "163", "02", "102", "72",
               "55", "36", "136", "39", "23", "93", "123"]
_IR_LETTERS = "بجدسصطقلمنوهی"
_IR_PROVINCES = ["10", "11", "20", "21", "22", "30", "33", "40", "44", "55", "66", "77", "88", "99", "13", "15",
                 "23", "43", "53", "63", "68", "72"]
_AZ_REGIONS = ["10", "90", "99", "77", "01", "20", "50", "85"]
_LATIN = "ABCDEFGHJKLMNPRSTUVWXYZ"
_CN_PROVINCES = "京沪粤浙苏川鲁鄂湘闽豫津渝"


def plate(rng: random.Random, country: str) -> str:
    """A registration plate as the app stores it (normalised)."""
    digits = rng.randrange
    if country == "RU":
        letters = "".join(rng.choice(_RU_LETTERS) for _ in range(3))
        return f"{letters[0]}{digits(1, 1000):03d}{letters[1:]}{rng.choice(_RU_REGIONS)}"
    if country == "IR":
        return f"{digits(11, 100)}{rng.choice(_IR_LETTERS)}{digits(111, 1000)}{rng.choice(_IR_PROVINCES)}"
    if country == "AZ":
        return f"{rng.choice(_AZ_REGIONS)}{rng.choice(_LATIN)}{rng.choice(_LATIN)}{digits(1, 1000):03d}"
    if country == "CN":
        tail = [str(digits(10)) for _ in range(5)]
        tail[digits(5)] = rng.choice(_LATIN)
        return f"{rng.choice(_CN_PROVINCES)}{rng.choice('ABCDEFGH')}{''.join(tail)}"
    if rng.random() < 0.5:  # California style, then New York style
        return f"{digits(1, 10)}{''.join(rng.choice(_LATIN) for _ in range(3))}{digits(1000):03d}"
    return f"{''.join(rng.choice(_LATIN) for _ in range(3))}{digits(10000):04d}"


# What a home, an office or a warehouse is called, by client language.
PREMISES = {
    "ru": {"apartment": "Квартира", "house": "Загородный дом", "office": "Офис", "warehouse": "Склад"},
    "fa": {"apartment": "آپارتمان مسکونی", "house": "ویلا", "office": "دفتر کار", "warehouse": "انبار"},
    "az": {"apartment": "Mənzil", "house": "Həyət evi", "office": "Ofis", "warehouse": "Anbar"},
    "zh-hans": {"apartment": "住宅公寓", "house": "独栋住宅", "office": "办公室", "warehouse": "仓库"},
    "en": {"apartment": "Condo", "house": "Single-family home", "office": "Office suite", "warehouse": "Warehouse"},
}
# kind -> (area from, area to, constructions)
PREMISES_SHAPE = {
    "apartment": (28, 140, ("concrete", "brick", "concrete", "mixed")),
    "house": (80, 320, ("brick", "wood", "mixed", "concrete")),
    "office": (40, 900, ("concrete", "brick", "mixed")),
    "warehouse": (300, 6000, ("concrete", "mixed", "other")),
}
_ADDRESS = {
    "ru": "{city}, {street}, кв. {unit}",
    "fa": "{city}، {street}",
    "az": "{city}, {street}, mənzil {unit}",
    "zh-hans": "{city}{street}{unit}室",
    "en": "{street}, Apt {unit}, {city}",
}

CARGO = {
    "ru": ["Партия бытовой техники, 18 т", "Строительные материалы, 2 контейнера", "Запасные части, 6 паллет",
           "Продукты питания (рефрижератор), 20 т"],
    "fa": ["محموله لوازم خانگی، ۱۸ تن", "مصالح ساختمانی، ۲ کانتینر", "قطعات یدکی خودرو، ۶ پالت", "زعفران صادراتی"],
    "az": ["Məişət texnikası partiyası, 18 t", "Tikinti materialları, 2 konteyner", "Ehtiyat hissələri, 6 palet"],
    "zh-hans": ["家用电器一批，18吨", "建筑材料，2个集装箱", "汽车零部件，6托盘", "冷链食品，20吨"],
    "en": ["Consumer electronics, 1 x 40' container", "Building materials, 2 containers", "Auto parts, 6 pallets"],
}


def address(rng: random.Random, language: str, city: str, street: str, unit: bool) -> str:
    if not unit:
        return f"{city}, {street}" if language != "zh-hans" else f"{city}{street}"
    return _ADDRESS[language].format(city=city, street=street, unit=rng.randrange(1, 300))[:500]
