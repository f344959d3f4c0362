"""URLs of the calendar, its feed and the notifications (combined in urls.py)."""

from django.urls import path

from . import views_calendar as views

urlpatterns = [
    path("calendar/", views.calendar_view, name="calendar"),
    path("calendar/tasks/<int:pk>/move/", views.task_move_view, name="task_move"),
    path("calendar/subscription/", views.calendar_feed_settings, name="calendar_feed_settings"),
    path("calendar/feed/<str:token>.ics", views.ical_feed, name="ical_feed"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/badge/", views.notifications_badge, name="notifications_badge"),
    path("notifications/<int:pk>/read/", views.notification_read_view, name="notification_read"),
    path("notifications/read-all/", views.notifications_read_all_view, name="notifications_read_all"),
]
