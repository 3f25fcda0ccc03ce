"""When a case is disbursed, every callable registered here is called with it inside the same transaction:
settlement registers the opening of the settlement (结算) there."""
on_disbursed: list = []


def register_on_disbursed(func):
    on_disbursed.append(func)
    return func
