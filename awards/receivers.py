"""What awards adds to the pages of the apps below it, which may not import it: these
receivers are connected in `AwardsConfig.ready()`."""

from .beacons import current_beacons_of
from .case_studies import published_for_element
from .results import holder_awards


def holder_page_parts(sender, *, holder, **kwargs) -> dict:
    """The register's page of a holder shows its published results and current beacons."""
    return {"awards": holder_awards(holder), "beacons": current_beacons_of(holder)}


def element_page_parts(sender, *, element, **kwargs) -> dict:
    """An element's page in the standard lists the published case studies tagged with it."""
    return {"case_studies": published_for_element(element)}
