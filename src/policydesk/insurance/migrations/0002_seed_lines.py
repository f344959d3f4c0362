"""The common lines of business, named in the five languages (administrators add more)."""

from django.db import migrations

LINES = [
    # code, usual object, weight, names
    ("motor_tpl", "vehicle", 10, {
        "en": "Motor third-party liability", "ru": "ОСАГО", "fa": "بیمه شخص ثالث",
        "az": "Avtonəqliyyat vasitələri sahiblərinin icbari mülki məsuliyyət sığortası", "zh-hans": "机动车第三者责任险"}),
    ("motor_own_damage", "vehicle", 20, {
        "en": "Motor own damage", "ru": "КАСКО", "fa": "بیمه بدنه خودرو", "az": "Avtomobil (KASKO) sığortası",
        "zh-hans": "机动车损失险"}),
    ("property", "real_estate", 30, {
        "en": "Property", "ru": "Страхование имущества", "fa": "بیمه آتش‌سوزی و اموال", "az": "Əmlak sığortası",
        "zh-hans": "财产险"}),
    ("life", "person", 40, {
        "en": "Life", "ru": "Страхование жизни", "fa": "بیمه عمر", "az": "Həyat sığortası", "zh-hans": "人寿险"}),
    ("health", "person", 50, {
        "en": "Health", "ru": "Добровольное медицинское страхование", "fa": "بیمه درمان", "az": "Tibbi sığorta",
        "zh-hans": "健康险"}),
    ("accident", "person", 60, {
        "en": "Personal accident", "ru": "Страхование от несчастных случаев", "fa": "بیمه حوادث انفرادی",
        "az": "Bədbəxt hadisələrdən sığorta", "zh-hans": "意外伤害险"}),
    ("travel", "person", 70, {
        "en": "Travel", "ru": "Страхование путешественников", "fa": "بیمه مسافرتی", "az": "Səyahət sığortası",
        "zh-hans": "旅行险"}),
    ("cargo", "cargo", 80, {
        "en": "Cargo", "ru": "Страхование грузов", "fa": "بیمه باربری", "az": "Yük sığortası", "zh-hans": "货物运输险"}),
    ("liability", "other", 90, {
        "en": "General liability", "ru": "Страхование ответственности", "fa": "بیمه مسئولیت",
        "az": "Mülki məsuliyyət sığortası", "zh-hans": "责任险"}),
    ("mortgage", "real_estate", 100, {
        "en": "Mortgage (property, life and title)", "ru": "Ипотечное страхование", "fa": "بیمه وام مسکن",
        "az": "İpoteka sığortası", "zh-hans": "房贷险"}),
]


def seed(apps, schema_editor):
    Line = apps.get_model("insurance", "LineOfBusiness")
    for code, kind, weight, names in LINES:
        Line.objects.get_or_create(code=code, defaults={"object_kind": kind, "weight": weight, "names": names})


class Migration(migrations.Migration):
    dependencies = [("insurance", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
