"""Redis through Sentinel: the settings helpers and the one pool class Django's cache needs.

With ``REDIS_SENTINELS`` set, nothing names the Redis master's address: Celery's broker (kombu's
``sentinel://`` transport), the cache (``SentinelMasterPool``) and the beat lock (``redis_client``) ask
the sentinels for the current master and ask again after a failover. redis-py does the discovery and
the reconnection; this module only adapts its classes to the places that build connections from URLs.
"""
from urllib.parse import quote

from django.core.exceptions import ImproperlyConfigured
from redis.sentinel import SentinelConnectionPool

SENTINEL_PORT = 26379


def parse_sentinels(raw: str) -> list[tuple[str, int]]:
    """``"s1:26379, s2:26379,s3"`` → ``[("s1", 26379), ("s2", 26379), ("s3", 26379)]``; a bad entry stops
    the process (settings fail loudly)."""
    sentinels = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        host, sep, port = item.rpartition(":")
        if not sep:
            host, port = item, str(SENTINEL_PORT)
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ImproperlyConfigured(f"REDIS_SENTINELS: expected host:port, got {item!r}")
        sentinels.append((host.strip("[]"), int(port)))
    return sentinels


def sentinel_redis_url(*, master: str, db: int, password: str = "") -> str:
    """``redis://[:password@]<master name>/<db>``: the form ``SentinelMasterPool`` reads (the host part is
    the monitored master's name, not an address)."""
    auth = f":{quote(password, safe='')}@" if password else ""
    return f"redis://{auth}{master}/{db}"


def celery_sentinel_broker(*, sentinels, master: str, db: int, password: str = "",
                           sentinel_password: str = "") -> tuple[str, dict]:
    """Celery's broker URL and transport options for a master behind Sentinel.

    kombu takes every ``sentinel://`` URL of the ``;``-separated list as a sentinel to ask, the first
    one's password and database number for the data connection, and the master's name from the
    ``master_name`` transport option."""
    auth = f":{quote(password, safe='')}@" if password else ""
    url = ";".join(f"sentinel://{auth}{_host(host)}:{port}/{db}" for host, port in sentinels)
    options: dict = {"master_name": master}
    if sentinel_password:
        options["sentinel_kwargs"] = {"password": sentinel_password}
    return url, options


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class SentinelMasterPool(SentinelConnectionPool):
    """redis-py's Sentinel-backed pool, buildable by Django's ``RedisCache`` (its ``pool_class`` option).

    Django calls ``pool_class.from_url(LOCATION, **OPTIONS)``; LOCATION is
    ``redis://[:password@]<master name>/<db>`` and OPTIONS carry ``sentinels`` (and optionally
    ``sentinel_password``). Connections go to whatever master the sentinels name, re-asked on reconnect."""

    @classmethod
    def from_url(cls, url, *, sentinels, sentinel_password=None, **kwargs):
        from redis.connection import parse_url
        from redis.sentinel import Sentinel

        options = parse_url(url)
        master = options.pop("host")
        options.pop("port", None)
        manager = Sentinel(sentinels, sentinel_kwargs={"password": sentinel_password} if sentinel_password else None)
        return cls(master, manager, **{**options, **kwargs})


def redis_client(*, socket_timeout: float = 5.0):
    """A redis-py client for the product's Redis master (Sentinel-aware), for coordination such as the
    beat lock."""
    import redis
    from django.conf import settings

    if settings.REDIS_SENTINELS:
        from redis.sentinel import Sentinel

        sentinel_kwargs = {"socket_timeout": socket_timeout}
        if settings.REDIS_SENTINEL_PASSWORD:
            sentinel_kwargs["password"] = settings.REDIS_SENTINEL_PASSWORD
        manager = Sentinel(settings.REDIS_SENTINELS, sentinel_kwargs=sentinel_kwargs)
        return manager.master_for(settings.REDIS_SENTINEL_MASTER, db=settings.REDIS_DB,
                                  password=settings.REDIS_PASSWORD or None,
                                  socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout)
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=socket_timeout,
                                socket_connect_timeout=socket_timeout)
