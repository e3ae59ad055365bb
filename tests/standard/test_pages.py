import pytest
from django.urls import reverse
from django.utils.html import escape

from standard.models import Element

pytestmark = pytest.mark.usefixtures("standard")


def test_the_standard_opens_on_the_current_version(client):
    response = client.get(reverse("standard:index"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("standard:version", args=["2026"])
    page = response.content.decode()
    assert "Customer insight" in page and "Staff attitude" in page


def test_a_criterion_lists_its_elements_and_what_each_level_looks_like(client):
    page = client.get(reverse("standard:criterion", args=["2026", "timeliness"])).content.decode()
    for element in Element.objects.filter(
        criterion__standard__version="2026", criterion__slug="timeliness"
    ):
        assert escape(element.title) in page
    for level in ("Developing", "Meeting", "Strong", "Leading"):
        assert level in page


def test_an_element_shows_guidance_evidence_and_chosen_sector_guidance(client):
    element = Element.objects.filter(
        criterion__standard__version="2026", sector_guidance__isnull=False
    ).first()
    guidance = list(element.sector_guidance.select_related("sector"))
    url = reverse("standard:element", args=["2026", element.code])
    page = client.get(url).content.decode()
    assert escape(element.requirement) in page
    assert all(escape(example) in page for example in element.evidence_examples)
    chosen = guidance[0]
    page = client.get(url, {"sector": chosen.sector.slug}).content.decode()
    assert escape(chosen.text) in page
    others = [escape(g.text) for g in guidance[1:]]
    assert not any(text in page for text in others)


def test_comparing_versions_shows_what_changed(client):
    response = client.get(reverse("standard:compare"), {"old": "2025", "new": "2026"})
    page = response.content.decode()
    for change in ("Added", "Reworded", "Split", "Merged", "Moved", "Removed"):
        assert change in page


def test_comparing_a_version_with_itself_is_an_error_not_a_crash(client):
    response = client.get(reverse("standard:compare"), {"old": "2026", "new": "2026"})
    assert response.status_code == 200
    assert "Choose two different versions" in response.content.decode()


def test_a_retired_version_says_it_has_been_replaced(client):
    page = client.get(reverse("standard:version", args=["2025"])).content.decode()
    assert "This version has been replaced" in page


def test_unknown_versions_and_elements_are_not_found(client):
    assert client.get(reverse("standard:version", args=["1999"])).status_code == 404
    assert client.get(reverse("standard:element", args=["2026", "9.99"])).status_code == 404


def test_the_standard_reads_in_welsh_too(client):
    response = client.get("/cy/standard/2026/")
    assert response.status_code == 200
    assert 'lang="cy"' in response.content.decode()
