"""Entries for the URL isolation registry (tests/test_url_isolation.py): the hand-over decision is a 数银 page
whose id is not tenant data (a CM who may not decide it gets 404, tested in test_handover.py)."""
FOREIGN_DEFAULT_OK = {"ops:handover_decide"}
