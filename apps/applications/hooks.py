"""Where review ends and dispatch begins. Review does not know how dispatch works: when an application
becomes ready (待派发) every callable registered here is called with it after the transaction commits.
The dispatch app registers its entry point in its AppConfig.ready()."""
on_ready: list = []


def register_on_ready(func):
    on_ready.append(func)
    return func
