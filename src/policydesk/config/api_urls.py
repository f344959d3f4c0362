"""The REST API's router: each app registers its viewsets here, through its api.register()."""

from importlib import import_module

from rest_framework.routers import DefaultRouter

API_APPS = ["clients", "insurance", "tariffs", "billing", "blanks", "documents", "reports", "diary", "claims", "service",
            "messaging"]

router = DefaultRouter()
for app in API_APPS:
    import_module(f"policydesk.{app}.api").register(router)

urlpatterns = router.urls
