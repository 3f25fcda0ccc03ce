from django.shortcuts import get_object_or_404

from apps.accounts.selectors import scope_queryset

from .models import Case


def cases_for_user(*, user):
    """An institution's cases, by data scope: the admin all of them, a sub-institution's users those
    allocated to their unit and below, an officer only the cases allocated to them."""
    org = user.organization
    if org is None or not org.is_institution:
        return Case.objects.none()
    qs = Case.objects.filter(institution_id=org.root_id).select_related(
        "application__product", "application__region", "application__member", "unit", "officer")
    return scope_queryset(qs, user=user, org_field="unit", owner_field="officer")


def case_get_for_user(*, user, pk: int) -> Case:
    return get_object_or_404(cases_for_user(user=user), pk=pk)


def case_for_application(application) -> Case | None:
    return application.cases.select_related("institution", "unit", "officer").order_by("-id").first()


def case_documents(*, case: Case) -> dict:
    """What the institution may see of the client's files on its case: the application's documents and, when
    the client's consent covers identity data, the ID photos; nothing once the institution gave the case up."""
    from apps.members.services import consent_shares_identity

    if case.status == Case.Status.CANNOT_LEND:
        return {"documents": [], "id_photos": False}
    app = case.application
    return {"documents": list(app.documents.all()),
            "id_photos": consent_shares_identity(member=app.member, order_no=app.order_no)}
