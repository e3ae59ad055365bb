"""What surveys tell the apps built on them, which surveys may not import. An app that
follows surveys connects a receiver in its `apps.ready()`."""

from django.dispatch import Signal

# A survey's responses changed (an import, a hosted response, a removal); sent inside the
# transaction that changed them, once the summary and the method check are up to date.
# Arguments: `survey`; `was_counted`, whether it met the method before the change;
# `debounce`, true when responses arrive one at a time (the hosted form).
survey_scores_changed = Signal()
