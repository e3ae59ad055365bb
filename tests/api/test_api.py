from django.core.management import call_command

from organisations.models import Role, Site


def test_organisations_are_listed_only_as_far_as_the_role_sees(alpha, beta, login):
    data = login(alpha[Role.APPLICANT_EDITOR]).get("/api/organisations/").json()
    names = {row["name"] for row in data["results"]}
    assert names == {alpha.applicant.name, alpha.unit.name}


def test_the_scheme_unit_sees_every_organisation(alpha, beta, scheme, login):
    data = login(scheme[Role.SCHEME_ANALYST]).get("/api/organisations/?kind=applicant").json()
    assert {alpha.applicant.name, beta.applicant.name} <= {r["name"] for r in data["results"]}


def test_an_admin_adds_a_site_through_the_api(alpha, login):
    client = login(alpha[Role.APPLICANT_ADMIN])
    response = client.post(
        "/api/sites/",
        {"organisation": alpha.unit.pk, "name": "Unit Depot", "address": "3 Mill Lane"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert Site.objects.get(name="Unit Depot").organisation == alpha.unit


def test_a_site_for_another_tenant_is_refused_as_not_valid(alpha, beta, login):
    client = login(alpha[Role.APPLICANT_ADMIN])
    response = client.post(
        "/api/sites/",
        {"organisation": beta.applicant.pk, "name": "Intruder", "address": "Nowhere"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "organisation" in response.json()
    assert not Site.objects.filter(name="Intruder").exists()


def test_a_duplicate_site_name_answers_400_with_the_reason(alpha, login):
    client = login(alpha[Role.APPLICANT_ADMIN])
    response = client.post(
        "/api/sites/",
        {"organisation": alpha.applicant.pk, "name": alpha.site.name, "address": "Again"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()


def test_an_editor_cannot_delete_a_site_through_the_api(alpha, login):
    response = login(alpha[Role.APPLICANT_EDITOR]).delete(f"/api/sites/{alpha.site.pk}/")
    assert response.status_code == 403
    assert Site.objects.filter(pk=alpha.site.pk).exists()


def test_the_standard_is_public_with_its_full_content(standard, client):
    versions = client.get("/api/standards/").json()
    assert {v["version"] for v in versions} == {"2025", "2026"}
    detail = client.get("/api/standards/2026/").json()
    assert len(detail["criteria"]) == 6
    assert detail["criteria"][0]["levels"]["leading"]
    assert any(q["code"] == "overall" for q in detail["core_questions"])


def test_me_says_who_is_signed_in_and_for_whom(alpha, login):
    data = login(alpha[Role.INTERNAL_ASSESSOR]).get("/api/me/").json()
    assert data["active_membership"]["organisation"]["name"] == alpha.applicant.name
    assert data["active_membership"]["role"] == Role.INTERNAL_ASSESSOR


def test_the_schema_documents_error_answers(client, db):
    schema = client.get("/api/schema/?format=json").json()
    site = schema["paths"]["/api/sites/{id}/"]["delete"]["responses"]
    assert {"403", "404"} <= set(site)


def test_an_unknown_api_address_answers_json(client, db):
    response = client.get("/api/sectors/no/such/thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_the_schema_generates_without_warnings(db, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))


def test_filters_do_not_tell_whether_another_tenants_object_exists(alpha, beta, login):
    client = login(alpha[Role.APPLICANT_ADMIN])
    theirs = client.get(f"/api/sites/?organisation={beta.applicant.pk}")
    missing = client.get("/api/sites/?organisation=987654321")
    assert theirs.status_code == missing.status_code == 200
    assert theirs.json()["count"] == missing.json()["count"] == 0
    assert client.get("/api/sites/?organisation=99999999999999999999999").status_code == 400
