def inst_finance(request):
    """Position, risk margin and the low-position warning for the institution back-office header."""
    user = getattr(request, "user", None)
    if getattr(request, "area", "") != "inst" or not user or not user.is_authenticated:
        return {}
    if user.organization is None or not user.has_perm("positions.view_account"):
        return {}
    from .selectors import institution_finance_summary

    return {"inst_finance": institution_finance_summary(user.organization)}
