"""Entries for the URL isolation registry (tests/test_url_isolation.py): the hand-over decision and the product
confirmation are 数银 pages whose ids are not tenant data (a CM who may not decide a hand-over gets 404, tested in
test_handover.py; ops users outside an application's scope get 404 and institution users 403 on the product
confirmation, tested in test_product_confirm.py)."""
FOREIGN_DEFAULT_OK = {"ops:handover_decide", "ops:application_product"}
