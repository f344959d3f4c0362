"""URLs of the insurance app: the catalogue and insured objects (urls_catalogue), policies (urls_policies)."""

from .urls_catalogue import urlpatterns as catalogue_urls
from .urls_policies import urlpatterns as policy_urls

app_name = "insurance"
urlpatterns = catalogue_urls + policy_urls
