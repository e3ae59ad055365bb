"""Consistency of certification bodies and assessors: do they rate alike?

For each body, the distribution of its findings (compliance plus, compliant, partial,
non-compliant) on each criterion and element is set against the pooled distribution
of all other bodies' findings, with a chi-square test of homogeneity and Cramér's V;
for each assessor with enough findings, the share rated compliance plus and the share
rated partial or non-compliant are set against their body's other assessors and
against everyone else, with Fisher's exact test and Wilson intervals. p-values are
adjusted for the many comparisons (Holm-Šidák), and a difference is flagged only when it is
both unlikely to be chance and large enough to matter.

Only findings of engagements that were reported or decided count; the assessor is the
person who last rated the finding. The loader reads two grouped queries; everything
else works on their DataFrames and returns plain, JSON-ready data.
"""

import numpy as np
import pandas as pd
from django.db.models import Count, F
from django.db.models.functions import Coalesce, ExtractYear
from django.utils.translation import gettext as _
from scipy import stats
from scipy.stats.contingency import association
from statsmodels.stats.multitest import multipletests

from assessments.models import RatingValue
from certification.models import Engagement, Finding
from standard.scales import GAPS
from surveys.analysis import share_interval

RATINGS = [rating.value for rating in RatingValue]
ALPHA = 0.05
# Holm-Šidák rather than Holm: statsmodels runs a full garbage collection on every Holm
# adjustment, which made a refresh of a large field spend most of its time collecting.
ADJUSTMENT = "holm-sidak"
# A body's distribution is compared only where it and the others have this many findings.
MIN_FINDINGS = 30
# An assessor is compared only with this many findings (and against at least as many).
MIN_ASSESSOR_FINDINGS = 40
# With many thousands of findings a trivial difference is "significant"; these say
# how large a difference must be before it is worth anyone's attention.
MIN_CRAMERS_V = 0.1
MIN_SHARE_DIFFERENCE = 0.05


# Loading ------------------------------------------------------------------------------


def _rated_findings(sector=None):
    findings = Finding.objects.filter(
        engagement__status__in=[Engagement.Status.REPORTED, Engagement.Status.DECIDED]
    ).exclude(rating="")
    if sector is not None:
        findings = findings.filter(engagement__application__applicant__sector=sector)
    # A finding counts in the year its engagement was reported; failing that, the year it
    # was last rated, and failing both, the year the engagement began (never unknown).
    return findings.annotate(
        year=ExtractYear(
            Coalesce("engagement__reported_at", "updated_at", "engagement__created_at")
        ),
        sector_id=F("engagement__application__applicant__sector"),
        body_id=F("engagement__application__certification_body"),
        body=F("engagement__application__certification_body__name"),
    ).order_by()


def findings_frames(sector=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts of rated findings (column `n`): by body, sector, year, criterion, element
    and rating; and by assessor, body, sector, year and rating. Two queries."""
    findings = _rated_findings(sector)
    by_element = findings.values(
        "body_id",
        "body",
        "sector_id",
        "year",
        "rating",
        criterion=F("element__criterion__number"),
        criterion_title=F("element__criterion__title"),
        element_code=F("element__code"),
        element_title=F("element__title"),
    ).annotate(n=Count("id"))
    by_assessor = (
        findings.exclude(updated_by=None)
        .values(
            "body_id",
            "body",
            "sector_id",
            "year",
            "rating",
            assessor_id=F("updated_by"),
            assessor=F("updated_by__full_name"),
        )
        .annotate(n=Count("id"))
    )
    element_columns = [
        "body_id", "body", "sector_id", "year", "rating",
        "criterion", "criterion_title", "element_code", "element_title", "n",
    ]  # fmt: skip
    assessor_columns = [
        "body_id", "body", "sector_id", "year", "rating", "assessor_id", "assessor", "n",
    ]  # fmt: skip
    return (
        pd.DataFrame.from_records(list(by_element), columns=element_columns).rename(
            columns={"element_code": "element"}
        ),
        pd.DataFrame.from_records(list(by_assessor), columns=assessor_columns),
    )


# Step by step --------------------------------------------------------------------------
#
# Compared with "everyone else", one body that rates very differently drags the pool
# towards itself, and every other body then looks different from that pool. So the
# comparisons go step by step: the unit that stands out most is set aside, and the
# rest are compared again without it, until none stands out. To stand out at a step, a
# difference must pass the Bonferroni bound over the whole family (which the Holm-Šidák
# adjustment reported at the end never exceeds) and be at least the minimum size.


def _step_down(units: dict, test, *, threshold: float, min_size: float) -> dict:
    """Each unit's comparison with the others still in the pool, as `test(own, others)`
    (None where there is too little to test) gives it; units set aside as standing out
    carry `stands_out=True` and the comparison that set them aside."""
    remaining = set(units)
    results = {}
    while len(remaining) >= 2:
        current = {}
        for unit in remaining:
            others = sum(units[other] for other in remaining - {unit})
            current[unit] = test(units[unit], others)
        candidates = [
            unit
            for unit, result in current.items()
            if result is not None and result["p"] < threshold and result["size"] >= min_size
        ]
        for unit, result in current.items():
            results[unit] = None if result is None else {**result, "stands_out": False}
        if not candidates:
            break
        worst = max(candidates, key=lambda unit: current[unit]["size"])
        results[worst]["stands_out"] = True
        remaining.remove(worst)
    return results


def _adjust(entries: list[dict]) -> None:
    """Holm-Šidák-adjusted p-values (`p_adjusted`), in place."""
    if not entries:
        return
    # A p-value of exactly 1 takes log(0) inside Holm-Šidák; its adjusted value is 1 all the same.
    with np.errstate(divide="ignore"):
        _reject, adjusted, _sidak, _bonferroni = multipletests(
            [entry["p"] for entry in entries], alpha=ALPHA, method=ADJUSTMENT
        )
    for entry, value in zip(entries, adjusted, strict=True):
        entry["p_adjusted"] = float(value)


def _rating_table(frame: pd.DataFrame, index: list[str]) -> pd.DataFrame:
    """Counts with one column per rating, in the scale's order."""
    table = frame.pivot_table(index=index, columns="rating", values="n", aggfunc="sum")
    return table.reindex(columns=RATINGS, fill_value=0).fillna(0).astype(int)


# Bodies against the pool --------------------------------------------------------------


def _homogeneity(counts: np.ndarray, others: np.ndarray) -> dict | None:
    """Chi-square test that the body's and the others' ratings share one distribution,
    and Cramér's V; ratings nobody gave are left out. None with too few findings."""
    if counts.sum() < MIN_FINDINGS or others.sum() < MIN_FINDINGS:
        return None
    table = np.array([counts, others])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return None
    chi2, p, dof, _expected = stats.chi2_contingency(table)
    v = float(association(table, method="cramer"))
    return {
        "chi2": float(chi2),
        "dof": int(dof),
        "p": float(p),
        "cramers_v": v,
        "size": v,
        "others": others.tolist(),
    }


def _largest_difference(counts: list[int], others: list[int]) -> dict:
    """The rating whose share differs most between the body and the others."""
    n, n_others = sum(counts), sum(others)
    shares = [(mine / n, theirs / n_others) for mine, theirs in zip(counts, others, strict=True)]
    index = max(range(len(RATINGS)), key=lambda i: abs(shares[i][0] - shares[i][1]))
    share, others_share = shares[index]
    return {
        "rating": RATINGS[index],
        "share": share,
        "others_share": others_share,
        "ratio": share / others_share if others_share else None,
    }


def body_comparisons(frame: pd.DataFrame, *, level: str) -> list[dict]:
    """Each body against the other bodies, on each criterion (`level="criterion"`) or
    element (`level="element"`), from counts by body, criterion, element and rating."""
    if frame.empty or frame["body_id"].nunique() < 2:
        return []
    key, title = (
        ("criterion", "criterion_title") if level == "criterion" else ("element", "element_title")
    )
    titles = frame.groupby(key)[title].first()
    names = frame.groupby("body_id")["body"].first()
    table = _rating_table(frame, [key, "body_id"])
    family = max(1, int((table.sum(axis=1) >= MIN_FINDINGS).sum()))
    comparisons = []
    for item, rows in table.groupby(level=key):
        counts = {body_id: row.to_numpy() for (_item, body_id), row in rows.iterrows()}
        results = _step_down(counts, _homogeneity, threshold=ALPHA / family, min_size=MIN_CRAMERS_V)
        for body_id, result in results.items():
            own = counts[body_id].tolist()
            entry = {
                "level": level,
                "key": str(item),
                "title": titles[item],
                "body_id": int(body_id),
                "body": names[body_id],
                "counts": own,
                "findings": sum(own),
                "tested": result is not None,
            }
            if result is not None:
                entry.update(result)
                entry["others_findings"] = sum(result["others"])
                entry["largest"] = _largest_difference(own, result["others"])
            comparisons.append(entry)
    tested = [entry for entry in comparisons if entry["tested"]]
    _adjust(tested)
    for entry in comparisons:
        entry["flagged"] = (
            entry["tested"] and entry.pop("stands_out") and (entry["p_adjusted"] < ALPHA)
        )
    return sorted(comparisons, key=_natural_key)


def _natural_key(entry: dict):
    parts = tuple(int(part) if part.isdigit() else 0 for part in entry["key"].split("."))
    return parts, entry["body"]


# Assessors ----------------------------------------------------------------------------


def _share_test(own: np.ndarray, others: np.ndarray) -> dict | None:
    """An assessor's share (`own` = [hits, findings]) against the others': Fisher's
    exact test, or None with too few findings on either side."""
    (hits, n), (other_hits, other_n) = own, others
    if n < MIN_ASSESSOR_FINDINGS or other_n < MIN_ASSESSOR_FINDINGS:
        return None
    _odds, p = stats.fisher_exact([[hits, n - hits], [other_hits, other_n - other_hits]])
    share = other_hits / other_n
    return {"share": share, "findings": int(other_n), "p": float(p), "size": abs(hits / n - share)}


def assessor_results(frame: pd.DataFrame) -> dict:
    """Assessors with at least the minimum of findings, each with their share rated
    compliance plus and their share rated partial or non-compliant, against their
    body's other assessors and against all other assessors; and how many assessors
    had too few findings to say."""
    if frame.empty:
        return {"assessors": [], "too_few": 0}
    table = _rating_table(frame, ["body_id", "assessor_id"])
    table["plus"] = table[RatingValue.COMPLIANCE_PLUS.value]
    table["gaps"] = table[list(GAPS)].sum(axis=1)
    table["n"] = table[RATINGS].sum(axis=1)
    eligible = table[table["n"] >= MIN_ASSESSOR_FINDINGS]
    names = frame.groupby("assessor_id")["assessor"].first()
    bodies = frame.groupby("body_id")["body"].first()
    assessors = {
        key: {
            "assessor_id": int(key[1]),
            "assessor": names[key[1]] or _("Unnamed assessor"),
            "body_id": int(key[0]),
            "body": bodies[key[0]],
            "findings": int(row["n"]),
        }
        for key, row in eligible.iterrows()
    }
    threshold = ALPHA / max(1, 4 * len(assessors))
    comparisons = []
    for measure in ("plus", "gaps"):
        for key, row in eligible.iterrows():
            low, high = share_interval(int(row[measure]), int(row["n"]))
            assessors[key][measure] = {"share": row[measure] / row["n"], "low": low, "high": high}
        counts = {key: row[[measure, "n"]].to_numpy() for key, row in table.iterrows()}
        pools = {"pool": [counts]}
        pools["body_others"] = [
            {key: value for key, value in counts.items() if key[0] == body_id}
            for body_id in table.index.get_level_values("body_id").unique()
        ]
        for against, groups in pools.items():
            for group in groups:
                results = _step_down(
                    group, _share_test, threshold=threshold, min_size=MIN_SHARE_DIFFERENCE
                )
                for key in group:
                    if key in assessors:
                        result = results.get(key)
                        assessors[key][measure][against] = result
                        if result is not None:
                            comparisons.append(result)
    _adjust(comparisons)
    for comparison in comparisons:
        comparison["stands_out"] = comparison["stands_out"] and comparison["p_adjusted"] < ALPHA
    for entry in assessors.values():
        entry["flagged"] = any(
            (entry[measure][against] or {}).get("stands_out", False)
            for measure in ("plus", "gaps")
            for against in ("body_others", "pool")
        )
    ordered = sorted(assessors.values(), key=lambda a: (a["body"], a["assessor"]))
    return {"assessors": ordered, "too_few": len(table) - len(eligible)}


# The stored figure --------------------------------------------------------------------


def consistency_figure(by_element: pd.DataFrame, by_assessor: pd.DataFrame) -> dict:
    """The JSON stored for one sector (or all) and period, from the loader's frames
    already narrowed to them."""
    bodies = (
        by_element.groupby(["body_id", "body"])["n"].sum().reset_index().sort_values("body")
        if not by_element.empty
        else pd.DataFrame(columns=["body_id", "body", "n"])
    )
    return {
        "findings": int(by_element["n"].sum()),
        "bodies": [
            {"body_id": int(row.body_id), "body": row.body, "findings": int(row.n)}
            for row in bodies.itertuples()
        ],
        "ratings": RATINGS,
        "criteria": body_comparisons(by_element, level="criterion"),
        "elements": body_comparisons(by_element, level="element"),
        **assessor_results(by_assessor),
        "rules": {
            "alpha": ALPHA,
            "adjustment": ADJUSTMENT,
            "min_findings": MIN_FINDINGS,
            "min_assessor_findings": MIN_ASSESSOR_FINDINGS,
            "min_cramers_v": MIN_CRAMERS_V,
            "min_share_difference": MIN_SHARE_DIFFERENCE,
        },
    }


# In plain words -----------------------------------------------------------------------


def _fractions() -> list[tuple[float, str]]:
    return [
        (1 / 3, _("a third as often as the other bodies")),
        (1 / 4, _("a quarter as often as the other bodies")),
        (1 / 5, _("a fifth as often as the other bodies")),
        (1 / 10, _("a tenth as often as the other bodies")),
    ]


def _times(ratio: float | None) -> str:
    """How often a body gives a rating against the other bodies, in words: a ratio well
    below one reads as a fraction ("a third as often"), never as "0.0 times"."""
    if ratio is None:
        return _("although the other bodies never do")
    if 1.9 <= ratio < 2.1:
        return _("twice as often as the other bodies")
    if 0.45 <= ratio < 0.55:
        return _("half as often as the other bodies")
    if ratio < 0.45:
        for value, words in _fractions():
            if abs(ratio - value) <= value * 0.1:
                return words
        if ratio < 0.1:
            return _("less than a tenth as often as the other bodies")
    figure = f"{ratio:.2g}" if ratio < 0.45 else f"{ratio:.1f}"
    return _("%(ratio)s times as often as the other bodies") % {"ratio": figure}


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def comparison_statement(entry: dict) -> str:
    """One flagged body comparison in a sentence."""
    largest = entry["largest"]
    where = (
        _("on criterion %(key)s (%(title)s)")
        if entry["level"] == "criterion"
        else _("on element %(key)s (%(title)s)")
    ) % {"key": entry["key"], "title": entry["title"]}
    if not largest["share"]:
        return _(
            "%(body)s never rates %(rating)s %(where)s, while the other bodies do in "
            "%(others)s of their findings. This is unlikely to be chance (adjusted %(p)s)."
        ) % {
            "body": entry["body"],
            "rating": str(RatingValue(largest["rating"]).label).lower(),
            "where": where,
            "others": f"{largest['others_share']:.0%}",
            "p": _p_text(entry["p_adjusted"]),
        }
    return _(
        "%(body)s rates %(rating)s %(times)s %(where)s: %(share)s of its findings against "
        "%(others)s. This is unlikely to be chance (adjusted %(p)s)."
    ) % {
        "body": entry["body"],
        "rating": str(RatingValue(largest["rating"]).label).lower(),
        "times": _times(largest["ratio"]),
        "where": where,
        "share": f"{largest['share']:.0%}",
        "others": f"{largest['others_share']:.0%}",
        "p": _p_text(entry["p_adjusted"]),
    }


def _assessor_sentences() -> dict:
    return {
        ("plus", "body_others"): _(
            "%(assessor)s (%(body)s) rates compliance plus in %(share)s of findings, against "
            "%(other)s for the body's other assessors (adjusted %(p)s)."
        ),
        ("plus", "pool"): _(
            "%(assessor)s (%(body)s) rates compliance plus in %(share)s of findings, against "
            "%(other)s for all other assessors (adjusted %(p)s)."
        ),
        ("gaps", "body_others"): _(
            "%(assessor)s (%(body)s) rates partial or non-compliant in %(share)s of findings, "
            "against %(other)s for the body's other assessors (adjusted %(p)s)."
        ),
        ("gaps", "pool"): _(
            "%(assessor)s (%(body)s) rates partial or non-compliant in %(share)s of findings, "
            "against %(other)s for all other assessors (adjusted %(p)s)."
        ),
    }


def assessor_statements(entry: dict) -> list[str]:
    """Why one assessor stands out, a sentence per comparison in which they do."""
    sentences = _assessor_sentences()
    return [
        sentences[measure, against]
        % {
            "assessor": entry["assessor"],
            "body": entry["body"],
            "share": f"{entry[measure]['share']:.0%}",
            "other": f"{comparison['share']:.0%}",
            "p": _p_text(comparison["p_adjusted"]),
        }
        for measure in ("plus", "gaps")
        for against in ("body_others", "pool")
        if (comparison := entry[measure][against]) and comparison["stands_out"]
    ]


def consistency_statements(data: dict) -> list[str]:
    """The figure's findings in plain words, for the page and the API."""
    flagged = [e for e in data.get("criteria", []) + data.get("elements", []) if e["flagged"]]
    statements = [comparison_statement(entry) for entry in flagged]
    if len(data.get("bodies", [])) < 2:
        statements.append(
            _(
                "Fewer than two certification bodies have reported findings here, so there "
                "is no other body to compare with."
            )
        )
    elif not flagged:
        statements.append(
            _(
                "No certification body's ratings differ from the other bodies' by more "
                "than chance would explain, or by enough to matter."
            )
        )
    for entry in data.get("assessors", []):
        statements += assessor_statements(entry)
    return statements
