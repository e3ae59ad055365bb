"""How benchmarking follows the apps below it, which may not import it: these receivers
are connected in `BenchmarkingConfig.ready()`."""

from .models import Refresh
from .services import benchmarks_refresh_soon


def survey_scores_changed(sender, *, survey, was_counted, debounce=False, **kwargs) -> None:
    """Benchmarks count only surveys that meet the method: the sector's are worked out
    again when this survey counts, or counted until now."""
    if was_counted or survey.method_meets:
        benchmarks_refresh_soon(
            sector_id=survey.organisation.sector_id,
            trigger=Refresh.Trigger.IMPORT,
            debounce=debounce,
        )


def certificate_decided(sender, *, sector_id, **kwargs) -> None:
    """Sector benchmarks tell holders from non-holders: the sector's are worked out again."""
    benchmarks_refresh_soon(sector_id=sector_id, trigger=Refresh.Trigger.DECISION)
