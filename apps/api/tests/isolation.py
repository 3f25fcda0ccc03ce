"""Entries for the URL isolation registry (tests/test_url_isolation.py merges them): institution B's API key, which
A's admin must not revoke."""


def b_key(c):
    from apps.api import services
    from apps.api.models import ApiKey

    key = ApiKey.objects.filter(institution=c.inst_b).first()
    if key is None:
        key, _raw = services.key_create(actor=c.b_admin, name="乙机构密钥", permission_codes=["dispatch.view_case"],
                                        rate_per_minute=60)
    return {"pk": key.pk}


FOREIGN = {"inst:apikey_revoke": b_key}
