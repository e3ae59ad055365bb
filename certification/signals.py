"""What certification tells the apps built on it, which certification may not import. An
app that follows certification connects a receiver in its `apps.ready()`."""

from django.dispatch import Signal

# A decision issued, renewed, suspended, withdrew or reinstated a certificate; sent inside
# the decision's transaction. Argument: `sector_id`, the holder's sector (may be None).
certificate_decided = Signal()

# Asked for what a holder's register page shows beyond its certificates (award results,
# beacons). Argument: `holder`. Each receiver answers a dict; see `common.hooks`.
holder_page_parts = Signal()
