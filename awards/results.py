"""Published award results: what the public reads on the winners' page, the register's
holder pages and the API.

Results are public by the scheme's rules once the scheme unit publishes their cycle, so
these reads are not scoped to a person: each is limited to the current (not superseded)
results of published cycles in categories that have a winner, and names nothing of an
entry but the organisation, the team or person, the place and the reasons.
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from organisations.models import Organisation

from .models import AwardCycle, Category, Result


def published_cycles() -> QuerySet[AwardCycle]:
    return AwardCycle.objects.filter(published_at__isnull=False)


def published_results() -> QuerySet[Result]:
    current = Result.objects.filter(superseded_by__isnull=True)
    has_winner = current.filter(category=OuterRef("category"), place=Result.Place.WINNER)
    return (
        current.filter(category__cycle__published_at__isnull=False)
        .filter(Exists(has_winner))
        .select_related(
            "category__cycle",
            "category__criterion",
            "category__sector",
            "entry__organisation",
        )
        .order_by(
            "-category__cycle__year",
            "category__criterion__number",
            "category__sector__name",
            "category__kind",
            "category__level",
            "place",
            "pk",
        )
    )


def published_result(result_pk: int) -> Result | None:
    return published_results().filter(pk=result_pk).first()


@dataclass
class CategoryResults:
    category: Category
    winners: list[Result]
    commended: list[Result]


def winners_page(year: int) -> tuple[AwardCycle, list[CategoryResults]] | None:
    """A published cycle's results by category; None for a year not published."""
    cycle = published_cycles().filter(year=year).first()
    if cycle is None:
        return None
    by_category: dict[int, CategoryResults] = {}
    for result in published_results().filter(category__cycle=cycle):
        group = by_category.setdefault(result.category_id, CategoryResults(result.category, [], []))
        if result.place == Result.Place.WINNER:
            group.winners.append(result)
        else:
            group.commended.append(result)
    return cycle, list(by_category.values())


def holder_awards(organisation: Organisation) -> list[Result]:
    """An organisation's published results (its own and its units'), newest cycle first."""
    return list(
        published_results().filter(
            Q(entry__organisation=organisation.pk) | Q(entry__organisation__parent=organisation.pk)
        )
    )


def nominee_label(result: Result) -> str:
    """Who the result is for: the team or person and their organisation, or the organisation."""
    entry = result.entry
    if entry.nominee_name:
        return f"{entry.nominee_name}, {entry.organisation.name}"
    return entry.organisation.name
