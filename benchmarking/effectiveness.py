"""Does the standard work? Two comparisons of customer satisfaction scores (0 to 100):

(a) holders against comparable non-holders: organisations of the same sector with a
    score in the same year. Within each sector and year, Welch's t-test gives the
    difference in mean score and its 95% interval, with Hedges' g; across several
    sectors (or years) the within-stratum results are combined by a random-effects
    weighted mean (Paule-Mandel, statsmodels' `combine_effects`), so that holders are
    only ever compared with their own sector.
(b) before and after certification: organisations with a score in a year before their
    first certificate and one after, compared pair by pair (paired t-test, d_z).

Neither proves that certification causes better service: better services may seek
certification, and other things change over time. No result is given where fewer
organisations than the benchmark minimum stand behind it.
"""

import numpy as np
import pandas as pd
from django.db.models import F, Min
from django.utils.translation import gettext as _
from scipy import optimize, stats
from statsmodels.stats.meta_analysis import combine_effects, effectsize_smd

from certification.models import Certificate

from .models import Measure, OrganisationScore

CONFIDENCE = 0.95
Z = float(stats.norm.ppf(0.5 + CONFIDENCE / 2))
MEASURES = [measure.value for measure in Measure]


# Loading ------------------------------------------------------------------------------


def scores_frame(sector=None) -> pd.DataFrame:
    """Every organisation's score per year and measure, with its sector and whether it
    held a certificate that year. One query."""
    scores = OrganisationScore.objects.all()
    if sector is not None:
        scores = scores.filter(sector=sector)
    columns = ["organisation_id", "sector_id", "year", "measure", "score", "holder"]
    rows = scores.order_by().values_list(*columns, "sector__name")
    return pd.DataFrame.from_records(list(rows), columns=[*columns, "sector"])


def first_certified() -> pd.Series:
    """The year each organisation was first certified, as holder or as a unit in scope of
    a certificate. Two queries."""
    holders = Certificate.objects.values(organisation=F("holder")).annotate(
        first=Min("original_issue_date")
    )
    units = (
        Certificate.units.through.objects.values("organisation")
        .annotate(first=Min("certificate__original_issue_date"))
        .order_by()
    )
    frame = pd.DataFrame.from_records(
        [*holders.order_by(), *units], columns=["organisation", "first"]
    )
    if frame.empty:
        return pd.Series(dtype=int)
    years = frame.groupby("organisation")["first"].min()
    return years.map(lambda day: day.year).astype(int)


# Statistics ---------------------------------------------------------------------------


def _number(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def welch_difference(holders: np.ndarray, others: np.ndarray) -> dict:
    """Holders' mean score less non-holders', with Welch's 95% interval and Hedges' g."""
    result = stats.ttest_ind(holders, others, equal_var=False)
    interval = result.confidence_interval(CONFIDENCE)
    mean_h, mean_o = float(holders.mean()), float(others.mean())
    sd_h, sd_o = float(holders.std(ddof=1)), float(others.std(ddof=1))
    g, g_variance = effectsize_smd(mean_h, sd_h, len(holders), mean_o, sd_o, len(others))
    return {
        "holders": len(holders),
        "non_holders": len(others),
        "holder_mean": mean_h,
        "non_holder_mean": mean_o,
        "difference": mean_h - mean_o,
        "low": _number(interval.low),
        "high": _number(interval.high),
        "p": _number(result.pvalue),
        "variance": sd_h**2 / len(holders) + sd_o**2 / len(others),
        "g": _number(g),
        "g_variance": _number(g_variance),
        "g_low": _number(g - Z * g_variance**0.5),
        "g_high": _number(g + Z * g_variance**0.5),
    }


def _combined(strata: list[dict]) -> dict:
    """The strata's differences and g combined by a random-effects weighted mean."""
    if len(strata) == 1:
        return {key: value for key, value in strata[0].items() if key != "label"}
    difference = combine_effects(
        np.array([s["difference"] for s in strata]),
        np.array([s["variance"] for s in strata]),
        method_re="iterated",
        use_t=False,
    )
    g = combine_effects(
        np.array([s["g"] for s in strata]),
        np.array([s["g_variance"] for s in strata]),
        method_re="iterated",
        use_t=False,
    )
    estimate, se = difference.mean_effect_re, difference.sd_eff_w_re
    return {
        "holders": sum(s["holders"] for s in strata),
        "non_holders": sum(s["non_holders"] for s in strata),
        "holder_mean": None,
        "non_holder_mean": None,
        "difference": _number(estimate),
        "low": _number(estimate - Z * se),
        "high": _number(estimate + Z * se),
        "p": _number(2 * stats.norm.sf(abs(estimate / se))),
        "g": _number(g.mean_effect_re),
        "g_low": _number(g.mean_effect_re - Z * g.sd_eff_w_re),
        "g_high": _number(g.mean_effect_re + Z * g.sd_eff_w_re),
    }


def _stratum_label(sector: str, year: int, *, by_sector: bool, by_year: bool) -> str:
    if by_sector and by_year:
        return f"{sector}, {year}"
    return sector if by_sector else str(year)


def holder_comparison(scores: pd.DataFrame, *, minimum: int) -> list[dict]:
    """Per measure, holders against non-holders of the same sector and year: the
    result of each sector-year with at least `minimum` of each, and their combination."""
    results = []
    by_sector = scores["sector_id"].nunique() > 1
    by_year = scores["year"].nunique() > 1
    for measure in MEASURES:
        rows = scores[scores["measure"] == measure]
        strata = []
        for (_sector_id, sector, year), cell in rows.groupby(["sector_id", "sector", "year"]):
            holders = cell.loc[cell["holder"], "score"].to_numpy(float)
            others = cell.loc[~cell["holder"], "score"].to_numpy(float)
            if len(holders) >= minimum and len(others) >= minimum:
                label = _stratum_label(sector, year, by_sector=by_sector, by_year=by_year)
                strata.append({"label": label, **welch_difference(holders, others)})
        entry = {
            "measure": measure,
            "holders": int(rows["holder"].sum()),
            "non_holders": int((~rows["holder"]).sum()),
            "enough": bool(strata),
        }
        if strata:
            entry["result"] = _combined(strata)
            entry["strata"] = strata
        results.append(entry)
    return results


def latest_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """Each organisation's latest year of scores only, so nobody counts twice."""
    latest = scores.groupby("organisation_id")["year"].transform("max")
    return scores[scores["year"] == latest]


def _d_z_interval(t: float, n: int) -> tuple[float | None, float | None]:
    """The exact 95% interval of d_z from the noncentral t distribution of the paired
    t statistic (its noncentrality is d_z·√n), found by inverting its distribution."""
    if not np.isfinite(t):
        return None, None
    df, root_n = n - 1, n**0.5

    def bound(probability):
        def gap(ncp):
            return stats.nct.cdf(t, df, ncp) - probability

        width = 10 + abs(t) * 2
        return optimize.brentq(gap, t - width, t + width) / root_n

    try:
        return bound(0.5 + CONFIDENCE / 2), bound(0.5 - CONFIDENCE / 2)
    except ValueError:
        # Differences all but identical (equal but for rounding) give a t too large for
        # the distribution to be inverted: no interval, rather than a failed refresh.
        return None, None


def _no_spread(differences: np.ndarray) -> bool:
    """Whether the differences are all equal but for floating-point rounding (scores
    on 0 to 100 worked out from means carry noise near 1e-14), where a t statistic or
    d_z would be absurdly large rather than meaningful."""
    scale = max(float(np.abs(differences).max(initial=0.0)), 1.0)
    return bool(np.isclose(differences.std(ddof=1), 0.0, rtol=0.0, atol=1e-9 * scale))


def paired_difference(before: np.ndarray, after: np.ndarray) -> dict:
    """After less before, pair by pair: paired t-test, its interval and d_z. Where every
    pair changed by the same amount there is no spread, so no test, interval or d_z,
    and `same_change` is true."""
    differences = after - before
    shared = {
        "pairs": len(differences),
        "before_mean": float(before.mean()),
        "after_mean": float(after.mean()),
        "difference": float(differences.mean()),
    }
    if _no_spread(differences):
        return {
            **shared,
            **dict.fromkeys(["low", "high", "p", "d_z", "d_z_low", "d_z_high"]),
            "same_change": True,
        }
    result = stats.ttest_rel(after, before)
    interval = result.confidence_interval(CONFIDENCE)
    d_z = float(differences.mean()) / float(differences.std(ddof=1))
    d_low, d_high = _d_z_interval(float(result.statistic), len(differences))
    return {
        **shared,
        "same_change": False,
        "low": _number(interval.low),
        "high": _number(interval.high),
        "p": _number(result.pvalue),
        "d_z": _number(d_z),
        "d_z_low": d_low,
        "d_z_high": d_high,
    }


def certification_pairs(scores: pd.DataFrame, first_year: pd.Series) -> pd.DataFrame:
    """Per organisation and measure, its latest score before the year of its first
    certificate and its earliest after it, with that year. The year itself is left
    out: a survey that year may have been before or after the certificate."""
    frame = scores.assign(certified=scores["organisation_id"].map(first_year)).dropna(
        subset=["certified"]
    )
    before = frame[frame["year"] < frame["certified"]]
    after = frame[frame["year"] > frame["certified"]]
    keys = ["organisation_id", "measure"]
    before = before.sort_values("year").groupby(keys).last()[["score", "certified"]]
    after = after.sort_values("year").groupby(keys).first()[["score", "sector_id"]]
    pairs = before.rename(columns={"score": "score_before"}).join(
        after.rename(columns={"score": "score_after"}), how="inner"
    )
    return pairs.reset_index().astype({"certified": int})


def before_after(pairs: pd.DataFrame, *, minimum: int) -> list[dict]:
    """Per measure, the paired comparison, or only the count where fewer than `minimum`."""
    results = []
    for measure in MEASURES:
        rows = pairs[pairs["measure"] == measure]
        entry = {"measure": measure, "pairs": len(rows), "enough": len(rows) >= minimum}
        if entry["enough"]:
            entry["result"] = paired_difference(
                rows["score_before"].to_numpy(float), rows["score_after"].to_numpy(float)
            )
        results.append(entry)
    return results


def effectiveness_figure(scores: pd.DataFrame, pairs: pd.DataFrame, *, minimum: int) -> dict:
    """The JSON stored for one sector (or all) and period, from scores and before/after
    pairs already narrowed to them (for all years, each organisation's latest scores)."""
    return {
        "minimum": minimum,
        "holders": holder_comparison(scores, minimum=minimum),
        "before_after": before_after(pairs, minimum=minimum),
    }


# In plain words -----------------------------------------------------------------------


def _points(value: float) -> str:
    return f"{abs(value):.1f}"


def _figure(value: float | None, places: int = 1) -> str:
    return "–" if value is None else f"{value:.{places}f}"


def holder_statement(entry: dict, *, minimum: int) -> str:
    label = Measure(entry["measure"]).label
    if not entry["enough"]:
        return _(
            "%(measure)s: too few organisations to say. Comparing holders with non-holders "
            "needs at least %(minimum)s of each in the same sector and year."
        ) % {"measure": label, "minimum": minimum}
    result = entry["result"]
    direction = (
        _("higher than") if result["difference"] > 0 else _("lower than")
        if result["difference"] < 0 else _("the same as")
    )  # fmt: skip
    sentence = _(
        "%(measure)s: holders score %(points)s points %(direction)s comparable non-holders "
        "in the same sector and year (95%% interval %(low)s to %(high)s points; "
        "effect size g = %(g)s; %(holders)s holders, %(others)s non-holders)."
    ) % {
        "measure": label,
        "points": _points(result["difference"]),
        "direction": direction,
        "low": _figure(result["low"]),
        "high": _figure(result["high"]),
        "g": _figure(result["g"], 2),
        "holders": result["holders"],
        "others": result["non_holders"],
    }
    return f"{sentence} {_verdict(result)}"


def _verdict(result: dict) -> str:
    if result["low"] is None or result["high"] is None:
        return _("Every organisation scored the same, so there is no interval to judge by.")
    if result["low"] > 0 or result["high"] < 0:
        return _(
            "The difference is unlikely to be chance, but it shows an association, not "
            "proof that certification caused it."
        )
    return _("The interval includes no difference at all, so this could be chance.")


def before_after_statement(entry: dict, *, minimum: int) -> str:
    label = Measure(entry["measure"]).label
    if not entry["enough"]:
        return _(
            "%(measure)s: too few organisations to say. Comparing before and after "
            "certification needs at least %(minimum)s organisations with a survey in a "
            "year before their first certificate and one after."
        ) % {"measure": label, "minimum": minimum}
    result = entry["result"]
    direction = (
        _("higher") if result["difference"] > 0 else _("lower")
        if result["difference"] < 0 else _("no different")
    )  # fmt: skip
    if result.get("same_change"):
        return _(
            "%(measure)s: every one of the %(pairs)s organisations with a survey before and "
            "after their first certificate changed by the same amount: %(points)s points "
            "%(direction)s after. With no spread there is no interval or effect size to "
            "judge by."
        ) % {
            "measure": label,
            "pairs": result["pairs"],
            "points": _points(result["difference"]),
            "direction": direction,
        }
    sentence = _(
        "%(measure)s: the %(pairs)s organisations with a survey before and after their "
        "first certificate scored %(points)s points %(direction)s after (95%% interval "
        "%(low)s to %(high)s points; effect size d_z = %(d_z)s)."
    ) % {
        "measure": label,
        "pairs": result["pairs"],
        "points": _points(result["difference"]),
        "direction": direction,
        "low": _figure(result["low"]),
        "high": _figure(result["high"]),
        "d_z": _figure(result["d_z"], 2),
    }
    return f"{sentence} {_verdict(result)}"
