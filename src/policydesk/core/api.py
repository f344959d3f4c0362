"""What every API endpoint shares: permissions, pagination, the error contract."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, pagination, permissions, serializers
from rest_framework.response import Response

from .errors import ApplicationError


class ModelPermissions(permissions.DjangoModelPermissions):
    """Model permissions for every method, reads included (deny by default)."""

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A related record of the caller's scope (subclasses set ``model``); one outside it answers
    "does not exist", like a missing id. The queryset is read from the root serializer's request,
    so the field works nested too."""

    model = None

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return self.model.objects.none()
        return self.model.objects.visible_to(request.user)


class Pagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


def exception_handler(exc, context):
    """Answer every error as ``{"message": ..., "errors": {...}}`` (HackSoft's contract)."""
    # Imported here: DRF imports this module while rest_framework.views is still loading.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, ApplicationError):
        return Response({"message": exc.message, "errors": exc.errors, **exc.extra}, status=400)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(errors)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        response.data = {"message": str(_first_message(errors)), "errors": errors}
    elif isinstance(data, dict) and "detail" in data:
        response.data = {"message": str(data["detail"]), "errors": {}}
    return response


def _first_message(errors):
    for value in errors.values() if isinstance(errors, dict) else errors:
        if isinstance(value, (list, tuple)) and value:
            return _first_message({"x": value[0]}) if isinstance(value[0], dict) else value[0]
        if isinstance(value, dict):
            return _first_message(value)
        return value
    return ""
