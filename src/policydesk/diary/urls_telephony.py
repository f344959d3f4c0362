"""URLs of the telephony: the incoming-call card (its poll, one call's card, closing it) and the
call list. The telephone system posts its events to the API (api_telephony.py)."""

from django.urls import path

from . import views_telephony

urlpatterns: list = [
    path("calls/", views_telephony.CallListView.as_view(), name="call_list"),
    path("calls/poll/", views_telephony.call_poll, name="call_poll"),
    path("calls/<int:pk>/card/", views_telephony.call_card, name="call_card"),
    path("calls/<int:pk>/dismiss/", views_telephony.call_dismiss, name="call_dismiss"),
]
