"""The service area's URLs for the access walk (tests/test_url_access.py).

Each side gets a complaint about its client; the foreign side's texts are needles that must never
reach the agent. Articles and the settings are shared (no client).
"""

import datetime

from policydesk.service.models import ArticleCategory, ComplaintCategory, Holiday, ReplyTemplate, SlaRule
from policydesk.service.services import request_register
from policydesk.service.services_articles import article_create

STEPS = ("verify", "assign", "start", "note", "resolve", "close", "rate", "tell")
PATH_ARGS = {
    "service:request": {"pk": "service_request"},
    **{f"service:request_{step}": {"pk": "service_request"} for step in STEPS},
    "service:request_link_article": {"pk": "service_request"},
    "service:article": {"pk": "service_article"},
    "service:article_edit": {"pk": "service_article"},
    "service:article_archive": {"pk": "service_article"},
    "service:slarule_edit": {"pk": "service_slarule"},
    "service:slarule_delete": {"pk": "service_slarule"},
    "service:holiday_edit": {"pk": "service_holiday"},
    "service:holiday_delete": {"pk": "service_holiday"},
    "service:complaintcategory_edit": {"pk": "service_category"},
    "service:complaintcategory_delete": {"pk": "service_category"},
    "service:articlecategory_edit": {"pk": "service_articlecategory"},
    "service:articlecategory_delete": {"pk": "service_articlecategory"},
    "service:replytemplate_edit": {"pk": "service_replytemplate"},
    "service:replytemplate_delete": {"pk": "service_replytemplate"},
    "servicerequest-detail": {"pk": "service_request"},
    **{f"servicerequest-{name}": {"pk": "service_request"} for name in
       ("verify", "assign", "start", "note", "resolve", "close", "rate", "tell-client", "link-article")},
    "article-detail": {"pk": "service_article"},
    "article-archive": {"pk": "service_article"},
}
CLIENT_BOUND = {"service_request"}
FOREIGN_NEEDLES = ["Clandestine complaint", "Clandestine grievance text"]


def populate(world) -> None:
    agent, other = world.users["agent"], world.users["other_agent"]
    world.own["service_request"] = request_register(
        actor=agent, kind="complaint", channel="phone", client=world.own["client"], subject="Own complaint",
        text="Own grievance text")
    world.foreign["service_request"] = request_register(
        actor=other, kind="complaint", channel="letter", client=world.foreign["client"],
        subject="Clandestine complaint", text="Clandestine grievance text")
    world.shared["service_article"] = article_create(actor=world.users["admin"], title="Walk article",
                                                     body="How the walk works", language="en")
    world.shared["service_slarule"] = SlaRule.objects.create(kind="inquiry", priority="low", response_hours=8,
                                                             resolution_days=5)
    world.shared["service_holiday"] = Holiday.objects.create(date=datetime.date(2030, 1, 1), name="Walk day")
    world.shared["service_category"] = ComplaintCategory.objects.create(name="Walk cause")
    world.shared["service_articlecategory"] = ArticleCategory.objects.create(name="Walk category")
    world.shared["service_replytemplate"] = ReplyTemplate.objects.create(channel="sms", language="en", body="Walk")


def action_data(world) -> dict:
    """Request bodies that would really move the request if the scope check were missing."""
    agent = world.users["agent"]
    return {
        "service:request_verify": {"verify-note": "walk"},
        "service:request_assign": {"assignee": agent.pk, "note": "walk"},
        "service:request_note": {"note-note": "walk"},
        "service:request_resolve": {"resolution": "walk"},
        "service:request_rate": {"rating": 5},
        "service:request_tell": {"channel": "sms"},
        "service:request_link_article": {"article": world.shared["service_article"].pk},
        "servicerequest-verify": {"note": "walk"},
        "servicerequest-assign": {"assignee": agent.pk, "note": "walk"},
        "servicerequest-resolve": {"resolution": "walk"},
        "servicerequest-rate": {"rating": 5},
        "servicerequest-tell-client": {"channel": "sms"},
        "servicerequest-link-article": {"article": world.shared["service_article"].pk},
        "article-detail": {"title": "Overwritten"},
    }
