"""The diary's URLs: its pages, the calendar and the telephony each keep their own list."""

from .urls_calendar import urlpatterns as calendar_urls
from .urls_pages import urlpatterns as page_urls
from .urls_telephony import urlpatterns as telephony_urls

app_name = "diary"
urlpatterns = [*page_urls, *calendar_urls, *telephony_urls]
