"""Where dispatch ends and the institution's case work begins. When the client chooses an institution,
every callable registered here is called with the chosen candidate, inside the same transaction (the case
exists exactly when the choice does). The cases app registers in its AppConfig.ready()."""
on_chosen: list = []


def register_on_chosen(func):
    on_chosen.append(func)
    return func
