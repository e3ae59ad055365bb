"""What the standard's pages ask of the apps built on it, which the standard may not
import. An app that answers connects a receiver in its `apps.ready()`."""

from django.dispatch import Signal

# Asked for what an element's page shows beyond the standard (published case studies).
# Argument: `element`. Each receiver answers a dict; see `common.hooks`.
element_page_parts = Signal()
