"""Base FilterSet: free-text ``q``, dates in the user's calendar, scoped choice fields."""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .forms import CalendarDateField, apply_user_calendar, bootstrapify


# A date, whatever lookup it filters on (``due_at__date`` cannot be read off the model by the schema).
@extend_schema_field(OpenApiTypes.DATE)
class CalendarDateFilter(django_filters.Filter):
    field_class = CalendarDateField


class BaseFilterSet(django_filters.FilterSet):
    # The filters shown at once; the rest fold under "More filters".
    primary_filters: tuple[str, ...] = ("q",)
    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data=data, queryset=queryset, request=request, prefix=prefix)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            apply_user_calendar(self.form, user)
            self.restrict_choices(user)
        bootstrapify(self.form, compact=True)

    def restrict_choices(self, user) -> None:
        """Limit choice fields that list scoped records to what the user may see."""

    def primary_fields(self):
        return [self.form[name] for name in self.primary_filters if name in self.form.fields]

    def secondary_fields(self):
        return [self.form[name] for name in self.form.fields if name not in self.primary_filters]

    def secondary_active(self) -> bool:
        data = self.data or {}
        return any(data.get(name) not in (None, "") for name in self.form.fields if name not in self.primary_filters)
