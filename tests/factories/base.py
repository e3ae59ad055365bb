"""What the factories of states share: saving only what passes the model's rules, and
ratings given by element code."""

import factory

from standard.models import Element


class CleanFactory(factory.django.DjangoModelFactory):
    """Saves only what passes the model's own rules (`full_clean()`)."""

    class Meta:
        abstract = True
        skip_postgeneration_save = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        instance = model_class(*args, **kwargs)
        instance.full_clean()
        instance.save()
        return instance


def ratings_by_code(standard, ratings: dict) -> dict:
    """`ratings` (element code to value, "*" for every element not named) for every
    element of `standard`; an element left out of both stays unrated."""
    default = ratings.get("*", "")
    codes = Element.objects.filter(criterion__standard=standard).values_list("code", "pk")
    return {pk: ratings.get(code, default) for code, pk in codes}
