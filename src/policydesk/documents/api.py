"""REST API of the documents app: print templates, read-only (administrators)."""

from rest_framework import serializers, viewsets

from .choices import DocumentKind
from .models import PrintTemplate


class PrintTemplateSerializer(serializers.ModelSerializer):
    # Plain strings, not enums: "kind" and "language" enums of other models would collide in the schema.
    kind = serializers.CharField(read_only=True, help_text="The document: " + ", ".join(DocumentKind.values) + ".")
    language = serializers.CharField(read_only=True, help_text="A language code, or empty for every language.")

    class Meta:
        model = PrintTemplate
        fields = ["id", "kind", "language", "name", "body", "is_active", "created_at", "updated_at"]


class PrintTemplateViewSet(viewsets.ReadOnlyModelViewSet):
    """Administrators' print templates (documents without one print from the shipped default)."""

    queryset = PrintTemplate.objects.all()
    serializer_class = PrintTemplateSerializer
    filterset_fields = ["kind", "language", "is_active"]
    ordering_fields = ["kind", "language", "name", "updated_at"]


def register(router) -> None:
    """Add this app's viewsets to the API router."""
    router.register("documents/print-templates", PrintTemplateViewSet)
