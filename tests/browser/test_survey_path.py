"""A new user sets up a survey, uploads results with mistakes, fixes them, uploads
again and reads the analysis, as a person would."""

import csv
import datetime
import io
import re

import numpy as np
import pytest
from django.utils import timezone

from organisations.models import Role

from .conftest import assert_accessible
from .test_accessibility import sign_in

pytestmark = pytest.mark.browser

HEADER = [
    "Respondent ID",
    "Date",
    "Channel",
    "Overall satisfaction",
    "Delivery",
    "Timeliness",
    "Information",
    "Professionalism",
    "Staff attitude",
    "Age band",
]
AGE_BANDS = ["16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75 or over"]


def results_csv(rows=480, mistakes=False):
    """A survey export as an organisation's survey tool would write it."""
    rng = np.random.default_rng(7)
    fieldwork = timezone.localdate() - datetime.timedelta(days=40)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for n in range(rows):
        drivers = np.clip(np.rint(3.7 + rng.normal(0, 0.9, 5)), 1, 5).astype(int)
        overall = int(np.clip(np.rint(drivers @ [0.35, 0.25, 0.18, 0.12, 0.10]), 1, 5))
        day = fieldwork + datetime.timedelta(days=n % 20)
        writer.writerow(
            [
                f"R{n + 1:04d}",
                day.strftime("%d/%m/%Y"),
                ["Online", "Telephone"][n % 2],
                overall,
                *drivers,
                AGE_BANDS[n % len(AGE_BANDS)],
            ]
        )
    text = buffer.getvalue()
    if mistakes:
        lines = text.splitlines()
        lines[3] = lines[3].replace(",Online,", ",Fax,")  # row 4: unknown channel
        cells = lines[5].split(",")
        cells[3] = "7"  # row 6: overall out of scale
        cells[4] = ""  # row 6: delivery missing
        lines[5] = ",".join(cells)
        lines[8] = "R0002" + lines[8][5:]  # row 9: duplicate respondent id
        text = "\n".join(lines) + "\n"
    return text.encode()


def fill_date(page, name, day):
    for part, value in enumerate((day.day, day.month, day.year)):
        page.locator(f"#id_{name}_{part}").fill(str(value))


def test_a_new_user_sets_up_a_survey_fixes_an_upload_and_reads_the_analysis(
    page, standard, alpha, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    sign_in(page, alpha[Role.APPLICANT_EDITOR].user.email)
    page.get_by_role("link", name="Your customer surveys").click()
    assert_accessible(page)
    page.get_by_role("link", name="Set up a survey").click()
    assert_accessible(page)

    page.get_by_role("button", name="Save survey").click()
    assert page.locator(".govuk-error-summary").is_visible()
    assert_accessible(page)

    today = timezone.localdate()
    page.get_by_label("Name of the survey").fill("Residents survey 2026")
    fill_date(page, "period_start", datetime.date(2025, 4, 1))
    fill_date(page, "period_end", datetime.date(2026, 3, 31))
    page.get_by_label("Online").first.check()
    page.get_by_label("Telephone", exact=True).first.check()
    page.get_by_label("Simple random sample").check()
    page.get_by_label("Mixed modes").check()
    fill_date(page, "fieldwork_end", today - datetime.timedelta(days=10))
    page.get_by_label("How many customers were invited").fill("2400")
    page.get_by_label(re.compile("We asked the core questions")).check()
    page.get_by_label("Age band").check()
    page.get_by_role("button", name="Save survey").click()
    assert "Questions and customer groups" in page.content()
    assert_accessible(page)
    page.get_by_role("link", name="Done").click()
    assert "Does not meet the method yet" in page.content()
    assert_accessible(page)

    # An upload with mistakes: every one is listed, nothing is stored.
    page.get_by_role("link", name="Upload results").click()
    assert_accessible(page)
    wrong = tmp_path / "results.csv"
    wrong.write_bytes(results_csv(mistakes=True))
    page.get_by_label("Results file").set_input_files(str(wrong))
    page.get_by_role("button", name="Upload and check").click()
    assert "Match the file" in page.content()
    assert_accessible(page)
    assert page.get_by_label("Respondent ID", exact=True).input_value() == ("Respondent ID")
    page.get_by_role("button", name="Check and store the results").click()
    page.wait_for_selector("text=nothing was stored")
    assert_accessible(page)
    table = page.locator("table", has_text="What is wrong").inner_text()
    assert "Fax" in table and "7" in table and "R0002" in table
    assert alpha.applicant.surveys.get().responses.count() == 0

    # The corrected file: the columns are remembered, every row is stored.
    page.get_by_role("link", name="Upload the corrected file").click()
    fixed = tmp_path / "results-fixed.csv"
    fixed.write_bytes(results_csv())
    page.get_by_label("Results file").set_input_files(str(fixed))
    page.get_by_role("button", name="Upload and check").click()
    page.get_by_role("button", name="Check and store the results").click()
    page.wait_for_selector("text=Results stored")
    assert "480 responses" in page.content()
    assert_accessible(page)

    page.get_by_role("link", name="See the analysis of the results").click()
    assert_accessible(page)
    content = page.content()
    for words in ("Delivery", "Timeliness", "Staff attitude", "Key drivers"):
        assert words in content
    assert page.locator("svg[role=img]").count() >= 2
    # Each chart carries its data table.
    assert page.locator("table").count() >= page.locator("svg[role=img]").count()
