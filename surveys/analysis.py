"""Survey analysis: driver scores with their intervals, breakdowns by channel, site and
customer group, key-driver analysis and the change since the last survey.

A selector module: it only reads. Means, shares and counts come from database
aggregates (the survey's stored summary, or one grouped query per breakdown), so a
survey of any size is never loaded row by row for them. Every statistic (intervals,
tests, regressions) comes from SciPy or statsmodels; this module only combines them.

`survey_analysis(survey)` returns a JSON-serialisable dict; `cached_survey_analysis`
keeps it in Django's cache for as long as the responses stay the same.
"""

import functools
from collections.abc import Sequence
from itertools import combinations
from math import factorial, isfinite

import numpy as np
import statsmodels.api as sm
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F
from django.db.models.fields.json import KeyTextTransform
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from scipy import stats
from statsmodels.stats.oneway import anova_generic
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)
from statsmodels.stats.weightstats import DescrStatsW

from standard.models import Driver

from .models import (
    OVERALL,
    SATISFACTION_COLUMNS,
    SURVEY_DRIVERS,
    Channel,
    Response,
    Survey,
)
from .services import (
    CONFIDENCE,
    margin_of_error,
    population_correction,
    score_aggregates,
    score_summary,
    shown,
    summary_of_row,
)

# Key-driver analysis needs this many respondents who answered all six questions.
KDA_MIN_COMPLETE = 30
SIGNIFICANCE = 1 - CONFIDENCE
CACHE_SECONDS = 7 * 24 * 3600

CONCENTRATE = "concentrate_here"
KEEP_UP = "keep_up_the_good_work"
LOW_PRIORITY = "low_priority"
OVERKILL = "possible_overkill"
# The order in which to act on the quadrants.
QUADRANT_ORDER = [CONCENTRATE, KEEP_UP, LOW_PRIORITY, OVERKILL]


def quadrant_labels() -> dict[str, str]:
    return {
        CONCENTRATE: _("Concentrate here"),
        KEEP_UP: _("Keep up the good work"),
        LOW_PRIORITY: _("Low priority"),
        OVERKILL: _("Possible overkill"),
    }


def column_label(column: str) -> str:
    if column == OVERALL:
        return str(_("Overall satisfaction"))
    return str(Driver(column).label)


def min_group_size(survey: Survey) -> int:
    """The fewest responses about which anything is published: the standard's rule, or
    the setting where that is larger. A setting may raise the rule, never lower it."""
    rule = int(survey.standard.survey_min_responses_to_publish)
    configured = getattr(settings, "SURVEY_MIN_GROUP_SIZE", None)
    if configured is None:
        return rule
    return max(rule, int(configured))


def _number(value) -> float | None:
    """A plain float for JSON, or None where a statistic is undefined."""
    if value is None:
        return None
    value = float(value)
    return value if isfinite(value) else None


def _fewer_than(minimum: int) -> str:
    return _("Fewer than %(n)s responses") % {"n": minimum}


# Intervals ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def t_critical(df: int) -> float:
    """The t quantile of a two-sided 95% interval. Kept per degrees of freedom: a page
    of many intervals would otherwise spend its time in scipy's distribution machinery."""
    return float(stats.t.ppf((1 + CONFIDENCE) / 2, df))


def mean_interval(mean: float, sd: float, n: int, population: int | None = None):
    """The 95% t interval of a mean, narrowed by the finite population correction."""
    if n < 2:
        return None, None
    scale = sd / n**0.5 * population_correction(n, population)
    if scale == 0:
        return mean, mean
    margin = t_critical(n - 1) * scale
    return float(mean - margin), float(mean + margin)


@functools.lru_cache(maxsize=65536)
def wilson_interval(satisfied: int, n: int) -> tuple[float, float]:
    """statsmodels' 95% Wilson interval, kept per count: pages of many intervals (a
    department's units, a sector's organisations) ask for the same ones again."""
    low, high = proportion_confint(satisfied, n, alpha=1 - CONFIDENCE, method="wilson")
    return float(low), float(high)


def share_interval(satisfied: int, n: int, population: int | None = None):
    """The 95% Wilson interval of a share (statsmodels' `proportion_confint`), which
    stays within 0 to 1 and does not shrink to nothing when everyone (or nobody) is
    satisfied. Where the population is known, each side's distance from the estimate
    is multiplied by the finite population correction `√((N-n)/(N-1))`, so the
    interval narrows around the estimate as the normal one would.

    The margin of error reported beside it is the scheme's own (`margin_of_error`, the
    normal approximation the method check uses), not half this interval's width."""
    share = satisfied / n
    low, high = wilson_interval(satisfied, n)
    correction = population_correction(n, population)
    low, high = share - (share - low) * correction, share + (high - share) * correction
    return max(0.0, float(low)), min(1.0, float(high))


# Driver scores ------------------------------------------------------------------------


def score_entry(column: str, figures: dict | None, *, minimum: int, population=None) -> dict:
    """One row of scores: count, mean (1 to 5 and 0 to 100), share satisfied and their
    intervals, or only a note when too few answered to publish anything. `margin_points`
    is the scheme's margin of error of the share (normal approximation, never clipped),
    the figure the method check compares with its limit."""
    entry = {"column": column, "label": column_label(column)}
    n = (figures or {}).get("count", 0)
    if figures is None or n < minimum or n == 0:
        return {**entry, "suppressed": True, "message": _fewer_than(minimum)}
    mean, sd, satisfied = figures["mean"], figures["sd"], figures["satisfied"]
    mean_low, mean_high = mean_interval(mean, sd, n, population)
    share_low, share_high = share_interval(satisfied, n, population)
    return {
        **entry,
        "suppressed": False,
        "count": n,
        "mean": mean,
        "mean_low": _number(mean_low),
        "mean_high": _number(mean_high),
        "score_100": (mean - 1) * 25,
        "score_100_low": None if mean_low is None else (mean_low - 1) * 25,
        "score_100_high": None if mean_high is None else (mean_high - 1) * 25,
        "satisfied_pct": satisfied / n * 100,
        "satisfied_pct_low": share_low * 100,
        "satisfied_pct_high": share_high * 100,
        "margin_points": margin_of_error(satisfied / n, n, population) * 100,
    }


def driver_scores(summary: dict, *, minimum: int, population=None) -> list[dict]:
    return [
        score_entry(column, summary.get(column), minimum=minimum, population=population)
        for column in SATISFACTION_COLUMNS
    ]


# Breakdowns ---------------------------------------------------------------------------


def _grouped_rows(survey: Survey, **key):
    """Score aggregates per value of the given expressions, in one query."""
    return (
        Response.objects.filter(survey=survey)
        .annotate(**key)
        .values(*key)
        .annotate(**score_aggregates(SATISFACTION_COLUMNS))
        .order_by()
    )


def grouped_summaries(survey: Survey, **key) -> dict:
    """Summaries per value of one expression (`value=...`), in one query."""
    # JSON numbers come back as numbers on SQLite and as text on PostgreSQL.
    return {
        _text(row["value"]): summary_of_row(row, SATISFACTION_COLUMNS)
        for row in _grouped_rows(survey, **key)
    }


def _text(value) -> str:
    return "" if value is None else str(value)


def _suppressed(entry: dict, minimum: int) -> dict:
    return {**entry, "suppressed": True, "message": _fewer_than(minimum)}


def _group_entry(value, label, summary, minimum, hidden: bool, hidden_columns: set) -> dict:
    entry = {"value": value, "label": label}
    if hidden:
        return _suppressed(entry, minimum)
    scores = []
    for column in SATISFACTION_COLUMNS:
        if column in hidden_columns:
            scores.append(_suppressed({"column": column, "label": column_label(column)}, minimum))
        else:
            scores.append(score_entry(column, summary.get(column), minimum=minimum))
    return {**entry, "suppressed": False, "count": summary["total"], "scores": scores}


def _breakdown(
    key: str, label: str, known: Sequence[tuple[str, str | Promise]], summaries: dict, minimum
):
    order = [value for value, _label in known]
    labels = dict(known)
    others = sorted(v for v in summaries if v and v not in labels)
    values = [value for value in [*order, *others, ""] if value in summaries]
    hidden = _complementary_suppression({v: summaries[v]["total"] for v in values}, minimum=minimum)
    hidden_cells = {}  # column -> the groups whose figure of that column is hidden
    for column in SATISFACTION_COLUMNS:
        counts = {v: summaries[v].get(column, {}).get("count", 0) for v in values}
        hidden_cells[column] = _complementary_suppression(counts, minimum=minimum, hidden=hidden)
    groups = []
    for value in values:
        shown = labels.get(value, value) if value else _("Not stated")
        columns = {column for column, cells in hidden_cells.items() if value in cells}
        groups.append(
            _group_entry(value, str(shown), summaries[value], minimum, value in hidden, columns)
        )
    return {"key": key, "label": str(label), "groups": groups}


def _complementary_suppression(counts: dict, *, minimum: int, hidden=frozenset()) -> set:
    """The values to hide among those counted: those already `hidden`, those with fewer
    than `minimum`, and enough others that none of them can be worked out by
    subtraction. The survey's own figures are shown, so the hidden values together are
    the survey's figure less the shown ones: while the hidden values together have
    fewer than `minimum` (but more than none), the smallest shown one is hidden too.

    Applied to each breakdown's group totals, and then to each question's column
    across the groups (counting the groups already hidden), since a question few
    answered in one group could otherwise be had from the survey's figure for that
    question less the other groups'."""
    hidden = set(hidden) | {value for value, n in counts.items() if n < minimum}
    shown = sorted((n, value) for value, n in counts.items() if value not in hidden)
    while shown and 0 < sum(counts[value] for value in hidden) < minimum:
        hidden.add(shown.pop(0)[1])
    return hidden


def site_summaries(survey: Survey) -> tuple[list[tuple[str, str]], dict]:
    """The organisation's sites that have responses, in name order, and the summaries
    per site (with "" for responses from no site), in one query."""
    rows = _grouped_rows(
        survey,
        value=F("site"),
        site_name=F("site__name"),
        site_organisation=F("site__organisation"),
    )
    known, summaries = [], {}
    for row in rows:
        value = _text(row["value"])
        summaries[value] = summary_of_row(row, SATISFACTION_COLUMNS)
        if value and row["site_organisation"] == survey.organisation_id:
            known.append((value, row["site_name"]))
    known.sort(key=lambda site: (site[1].casefold(), site[1]))
    return known, summaries


def breakdowns(survey: Survey, *, minimum: int) -> list[dict]:
    """Scores by channel, by site (where any response has one) and by each customer
    group attribute; a group with fewer than `minimum` responses shows no figures, nor
    does a question fewer than `minimum` answered in a group, and others are hidden
    with them so that none can be worked out by subtraction. No finite population
    correction here: the size of each group in the population is not known."""
    channels = grouped_summaries(survey, value=F("channel"))
    known_channels = [(c.value, c.label) for c in Channel]
    result = [_breakdown("channel", _("Channel"), known_channels, channels, minimum)]
    known_sites, sites = site_summaries(survey)
    if sites.keys() - {""}:
        result.append(_breakdown("site", _("Site"), known_sites, sites, minimum))
    for attribute in survey.groups.all():
        summaries = grouped_summaries(survey, value=KeyTextTransform(attribute.code, "groups"))
        known = [(str(v), shown(str(v))) for v in attribute.values]
        result.append(_breakdown(attribute.code, shown(attribute.label), known, summaries, minimum))
    return result


# Key-driver analysis ------------------------------------------------------------------


def complete_answers(survey: Survey) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct combination of the six answers among respondents who answered all
    six, and how many gave it.

    How it scales: the database reads the survey's rows once (by its survey index) and
    groups them; answers are 1 to 5, so at most 5**6 = 15,625 rows come back, whatever
    the number of respondents. A million respondents take one scan in the database
    (well under a second on PostgreSQL) and nothing per respondent in Python.
    """
    complete = {f"{column}__isnull": False for column in SATISFACTION_COLUMNS}
    rows = list(
        Response.objects.filter(survey=survey, **complete)
        .values(*SATISFACTION_COLUMNS)
        .annotate(n=Count("pk"))
        .values_list(*SATISFACTION_COLUMNS, "n")
        .order_by()
    )
    if not rows:
        return np.empty((0, len(SATISFACTION_COLUMNS))), np.empty(0)
    table = np.array(rows, dtype=float)
    return table[:, :-1], table[:, -1]


def subset_r_squared(y: np.ndarray, x: np.ndarray, weights: np.ndarray) -> dict:
    """R² of overall satisfaction on every subset of the drivers (by column index).

    Fitted on the distinct answer combinations weighted by their counts: weighted least
    squares with frequency weights gives the same coefficients and R² as ordinary
    least squares on every respondent, at a fraction of the cost."""
    drivers = range(x.shape[1])
    r_squared: dict[frozenset[int], float] = {frozenset(): 0.0}
    for size in range(1, x.shape[1] + 1):
        for subset in combinations(drivers, size):
            design = sm.add_constant(x[:, list(subset)], has_constant="add")
            fit = sm.WLS(y, design, weights=weights).fit()
            r_squared[frozenset(subset)] = float(fit.rsquared)
    return r_squared


def lmg_importance(r_squared: dict, p: int) -> list[float]:
    """Each driver's share of R² (LMG, the Shapley value of R²): its gain in R² when
    added, averaged over every order in which drivers can enter. Sums to the full R²."""
    shares = []
    for driver in range(p):
        others = [d for d in range(p) if d != driver]
        total = 0.0
        for size in range(p):
            weight = factorial(size) * factorial(p - size - 1) / factorial(p)
            for subset in combinations(others, size):
                before = frozenset(subset)
                total += weight * (r_squared[before | {driver}] - r_squared[before])
        shares.append(total)
    return shares


def _kda_unavailable(reason: str, n: int) -> dict:
    return {"available": False, "reason": reason, "n": n}


def key_driver_analysis(survey: Survey, scores: list[dict], *, minimum: int) -> dict:
    """OLS of overall satisfaction on the five drivers, with standardised weights,
    p-values, relative importance (LMG) and the importance-satisfaction quadrants."""
    combos, counts = complete_answers(survey)
    n = int(counts.sum())
    needed = max(KDA_MIN_COMPLETE, minimum)
    if n < needed:
        return _kda_unavailable(
            _(
                "Key-driver analysis needs at least %(needed)s respondents who answered "
                "all six questions; this survey has %(n)s."
            )
            % {"needed": needed, "n": n},
            n,
        )
    y, x = combos[:, 0], combos[:, 1:]
    if np.any(np.ptp(x, axis=0) == 0) or np.ptp(y) == 0:
        return _kda_unavailable(
            _(
                "Key-driver analysis needs answers that vary: at least one question got "
                "the same answer from every respondent."
            ),
            n,
        )
    design = np.column_stack([np.ones(len(x)), x])
    if np.linalg.matrix_rank(design) < design.shape[1]:
        return _kda_unavailable(
            _(
                "Key-driver analysis cannot separate the drivers: the answers to some "
                "of them always move together, so their effects cannot be told apart."
            ),
            n,
        )
    fit, betas = _full_fit(y, x, counts)
    importance = lmg_importance(subset_r_squared(y, x, counts), x.shape[1])
    drivers = _driver_rows(fit, betas, importance)
    axis = _importance_axis(survey, drivers, minimum)
    _place_in_quadrants(drivers, scores)
    return {
        "available": True,
        "n": n,
        "r_squared": float(fit.rsquared),
        "adj_r_squared": float(fit.rsquared_adj),
        "importance_source": axis,
        "importance_mean": float(np.mean([d["importance"] for d in drivers])),
        "satisfaction_mean": float(np.mean([d["satisfied_pct"] for d in drivers])),
        "drivers": drivers,
        "action_order": _rank_actions(drivers),
    }


def _full_fit(y, x, counts):
    # The full model on every respondent, so that its standard errors and p-values
    # count respondents, not answer combinations: about a second for a million.
    repeats = counts.astype(np.int64)
    y_all, x_all = np.repeat(y, repeats), np.repeat(x, repeats, axis=0)
    design = np.column_stack([np.ones(len(y_all)), x_all])  # add_constant checks too much
    fit = sm.OLS(y_all, design).fit()
    spread = DescrStatsW(np.column_stack([y, x]), weights=counts).std_ddof(1)
    betas = fit.params[1:] * spread[1:] / spread[0]
    return fit, betas


def _driver_rows(fit, betas, importance) -> list[dict]:
    r_squared = float(fit.rsquared)
    rows = []
    for index, column in enumerate(SURVEY_DRIVERS):
        p_value = _number(fit.pvalues[index + 1])
        rows.append(
            {
                "column": column,
                "label": column_label(column),
                "coefficient": float(fit.params[index + 1]),
                "beta": float(betas[index]),
                "p_value": p_value,
                "significant": p_value is not None and p_value < SIGNIFICANCE,
                "relative_importance": importance[index],
                "share_of_r_squared_pct": importance[index] / r_squared * 100 if r_squared else 0.0,
            }
        )
    ranked = sorted(rows, key=lambda row: -row["relative_importance"])
    for rank, row in enumerate(ranked, start=1):
        row["importance_rank"] = rank
    return rows


def _importance_axis(survey: Survey, drivers: list[dict], minimum: int) -> str:
    """Stated importance (mean of 1 to 5) where the survey asked it of enough people,
    otherwise the importance the regression derives (share of R², in per cent)."""
    stated = [survey.summary.get(f"importance_{d['column']}") for d in drivers]
    if survey.includes_importance and all(s and s["count"] >= minimum for s in stated):
        for driver, figures in zip(drivers, stated, strict=True):
            driver["importance"] = figures["mean"]
        return "stated"
    for driver in drivers:
        driver["importance"] = driver["share_of_r_squared_pct"]
    return "derived"


def _place_in_quadrants(drivers: list[dict], scores: list[dict]) -> None:
    satisfied = {s["column"]: s.get("satisfied_pct") for s in scores}
    for driver in drivers:
        driver["satisfied_pct"] = satisfied.get(driver["column"]) or 0.0
    importance_mean = np.mean([d["importance"] for d in drivers])
    satisfaction_mean = np.mean([d["satisfied_pct"] for d in drivers])
    labels = quadrant_labels()
    for driver in drivers:
        important = driver["importance"] >= importance_mean
        satisfying = driver["satisfied_pct"] >= satisfaction_mean
        if important:
            quadrant = KEEP_UP if satisfying else CONCENTRATE
        else:
            quadrant = OVERKILL if satisfying else LOW_PRIORITY
        driver["quadrant"], driver["quadrant_label"] = quadrant, str(labels[quadrant])


def _rank_actions(drivers: list[dict]) -> list[str]:
    """The drivers in the order to act on them: concentrate here first, then keep up the
    good work, low priority, possible overkill; within a quadrant the more important
    first, then the less satisfying."""
    ordered = sorted(
        drivers,
        key=lambda d: (QUADRANT_ORDER.index(d["quadrant"]), -d["importance"], d["satisfied_pct"]),
    )
    for rank, driver in enumerate(ordered, start=1):
        driver["action_rank"] = rank
    return [driver["column"] for driver in ordered]


# Change since the last survey ---------------------------------------------------------


def previous_survey(survey: Survey) -> Survey | None:
    """The organisation's latest survey with responses that ended before this one."""
    return (
        Survey.objects.filter(
            organisation_id=survey.organisation_id,
            period_end__lt=survey.period_end,
            response_count__gt=0,
        )
        .exclude(pk=survey.pk)
        .order_by("-period_end", "-pk")
        .first()
    )


def mean_change(now: dict, before: dict) -> dict:
    """Difference of two means with Welch's t-test and its 95% interval, from the
    summary statistics alone."""
    difference = now["mean"] - before["mean"]
    test = stats.ttest_ind_from_stats(
        now["mean"],
        now["sd"],
        now["count"],
        before["mean"],
        before["sd"],
        before["count"],
        equal_var=False,
    )
    variances = np.array([now["sd"] ** 2, before["sd"] ** 2])
    nobs = np.array([now["count"], before["count"]])
    standard_error = float(np.sqrt((variances / nobs).sum()))
    if standard_error == 0:
        return {
            "mean_difference": difference,
            "mean_difference_low": difference,
            "mean_difference_high": difference,
            "mean_p_value": 1.0 if difference == 0 else 0.0,
        }
    with np.errstate(divide="ignore", invalid="ignore"):
        welch = anova_generic(
            np.array([now["mean"], before["mean"]]), variances, nobs, use_var="unequal"
        )
    df = welch.df[1]
    if not isfinite(df):  # one survey's answers all alike: Welch's df is the other's n - 1
        df = nobs[variances > 0][0] - 1
    low, high = stats.t.interval(CONFIDENCE, df, loc=difference, scale=standard_error)
    return {
        "mean_difference": difference,
        "mean_difference_low": float(low),
        "mean_difference_high": float(high),
        "mean_p_value": _number(test.pvalue),
    }


def share_change(now: dict, before: dict) -> dict:
    """Difference of two shares satisfied with a two-proportion z-test and its 95%
    (Wald) interval, in percentage points. The z-test's p-value is reported as it is,
    but whether the change is real is decided by the interval (see `change_row`)."""
    counts = np.array([now["satisfied"], before["satisfied"]])
    nobs = np.array([now["count"], before["count"]])
    difference = counts[0] / nobs[0] - counts[1] / nobs[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        _z, p_value = proportions_ztest(counts, nobs)
        low, high = confint_proportions_2indep(
            counts[0], nobs[0], counts[1], nobs[1], method="wald", compare="diff"
        )
    p_value = _number(p_value)
    if p_value is None:  # everyone satisfied (or nobody) both times: no change at all
        p_value = 1.0 if difference == 0 else 0.0
    return {
        "satisfied_points": float(difference * 100),
        "satisfied_points_low": float(low * 100),
        "satisfied_points_high": float(high * 100),
        "satisfied_p_value": p_value,
    }


def change_statement(points: float, real: bool) -> str:
    if abs(points) < 0.05:
        direction = _("no change")
    elif points > 0:
        direction = _("up %(points)s points") % {"points": f"{points:.1f}"}
    else:
        direction = _("down %(points)s points") % {"points": f"{-points:.1f}"}
    verdict = _("a real change") if real else _("within the margin of error")
    return _("%(direction)s, %(verdict)s") % {"direction": direction, "verdict": verdict}


def change_row(column: str, now: dict | None, before: dict | None, minimum: int) -> dict:
    """The change in one question since the previous survey.

    A change in the share satisfied is real when the 95% interval of the difference
    that the chart and table show (the unpooled Wald interval) leaves out zero. The
    pooled z-test's p-value is given too, but it does not decide: near the edges of the
    scale the two can disagree, and the verdict must agree with the whiskers shown. A
    change in the average is real when Welch's test says so, which is the same as its
    interval leaving out zero."""
    row = {"column": column, "label": column_label(column)}
    if not now or not before or min(now["count"], before["count"]) < minimum:
        return {**row, "suppressed": True, "message": _fewer_than(minimum)}
    shares, means = share_change(now, before), mean_change(now, before)
    real = shares["satisfied_points_low"] > 0 or shares["satisfied_points_high"] < 0
    return {
        **row,
        "suppressed": False,
        "count_before": before["count"],
        "count_now": now["count"],
        "satisfied_pct_before": before["satisfied"] / before["count"] * 100,
        "satisfied_pct_now": now["satisfied"] / now["count"] * 100,
        "mean_before": before["mean"],
        "mean_now": now["mean"],
        **shares,
        **means,
        "real_change": real,
        "mean_real_change": (means["mean_p_value"] or 0) < SIGNIFICANCE,
        "statement": change_statement(shares["satisfied_points"], real),
    }


def change_since(survey: Survey, previous: Survey | None, *, minimum: int) -> dict:
    if previous is None:
        return {
            "available": False,
            "reason": _("There is no earlier survey with responses to compare with."),
        }
    return {
        "available": True,
        "previous": {
            "pk": previous.pk,
            "title": previous.title,
            "period_end": previous.period_end.isoformat(),
            "response_count": previous.response_count,
        },
        "rows": [
            change_row(column, survey.summary.get(column), previous.summary.get(column), minimum)
            for column in SATISFACTION_COLUMNS
        ],
    }


# The entry points ---------------------------------------------------------------------


def survey_analysis(survey: Survey, *, previous: Survey | None = None) -> dict:
    """Everything the survey pages and the report show, as plain data."""
    minimum = min_group_size(survey)
    rate = survey.response_rate
    summary = survey.summary or score_summary(Response.objects.filter(survey=survey))
    scores = driver_scores(summary, minimum=minimum, population=survey.population)
    previous = previous or previous_survey(survey)
    return {
        "survey": {
            "pk": survey.pk,
            "title": survey.title,
            "data_version": survey.data_version,
            "response_count": summary.get("total", 0),
            "population": survey.population,
            "invited_count": survey.invited_count,
            "response_rate_pct": None if rate is None else rate * 100,
            "includes_importance": survey.includes_importance,
        },
        "confidence_pct": round(CONFIDENCE * 100),
        "min_group_size": minimum,
        "scores": scores,
        "breakdowns": breakdowns(survey, minimum=minimum),
        "kda": key_driver_analysis(survey, scores, minimum=minimum),
        "change": change_since(survey, previous, minimum=minimum),
    }


def analysis_cache_key(survey: Survey, previous: Survey | None) -> str:
    # The change section also depends on the previous survey's responses, the words on
    # the language, and the intervals and response rate on the survey's population and
    # invitations, which can be edited without any change of responses.
    before = f"{previous.pk}.{previous.data_version}" if previous else "none"
    language = translation.get_language() or settings.LANGUAGE_CODE
    facts = f"{survey.population}.{survey.invited_count}"
    return f"survey-analysis:{survey.pk}:{survey.data_version}:{facts}:{before}:{language}"


def cached_survey_analysis(survey: Survey) -> dict:
    """`survey_analysis`, kept until the survey's (or the previous survey's) responses
    change."""
    previous = previous_survey(survey)
    key = analysis_cache_key(survey, previous)
    result = cache.get(key)
    if result is None:
        result = survey_analysis(survey, previous=previous)
        cache.set(key, result, CACHE_SECONDS)
    return result
