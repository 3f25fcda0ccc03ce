"""What an institution may see of a client on an offer or case: one rule for the back office's pages and the
institution API, so both show exactly the same. In full only once it has accepted the case, and only where a
``viewer`` is named (the case's own page, the API's offer detail), where the reveal is logged like every other
full view of a client's ID number and mobile; masked everywhere else. Built before rendering so that a template
or a JSON answer never holds values it may not show."""
from apps.common.validators import mask_id, mask_mobile
from apps.members.services import pii_shown

from .models import Candidate


def mask_name(name: str) -> str:
    return f"{name[:1]}**" if name else ""


def client_view(cand: Candidate, *, viewer=None) -> dict:
    member = cand.application.member
    if cand.shows_client and viewer is not None:
        pii_shown(actor=viewer, member=member, fields="id_number,mobile")
        return {"name": member.real_name, "mobile": member.mobile, "id_number": member.id_number, "full": True}
    if cand.shows_client:
        return {"name": member.real_name, "mobile": mask_mobile(member.mobile), "id_number": mask_id(member.id_number),
                "full": False}
    return {"name": mask_name(member.real_name), "mobile": mask_mobile(member.mobile),
            "id_number": mask_id(member.id_number), "full": False}
