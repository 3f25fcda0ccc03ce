def inst_finance(request):
    """Position, risk margin and the low-position warning for the institution back-office header (机构后台 十一
    公共显示信息 9 and 5): read-only figures every user of the institution sees, whatever their role. Links
    (recharge) appear only for those who may open them."""
    user = getattr(request, "user", None)
    if getattr(request, "area", "") != "inst" or not user or not user.is_authenticated:
        return {}
    if user.organization is None or not user.organization.is_institution:
        return {}
    from .selectors import institution_finance_summary

    return {"inst_finance": institution_finance_summary(user.organization)}
