"""A Redis cache that degrades while Redis is unreachable instead of failing the request.

Nothing that must hold lives only in the cache (login failures are counted in the
database by django-axes; sessions are in the database). So during a Redis outage a
read is a miss, a write is dropped and a counter starts again from its delta: pages
are slower, rate limits built on the cache open up, and nothing answers 500. Each
dropped call logs a warning; redis-py reconnects by itself when Redis is back.
"""

import logging
from functools import wraps

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


def _degrade(fallback):
    """Run the method; if Redis cannot be reached, log and return ``fallback(*args, **kwargs)``."""

    def decorate(method):
        @wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as exc:
                log.warning("cache unreachable, %s skipped: %s", method.__name__, exc.__class__.__name__)
                return fallback(*args, **kwargs)

        return wrapper

    return decorate


def _default(key, default=None, version=None):
    return default


def _incr(key, delta=1, version=None):
    return delta


class DegradingRedisCache(RedisCache):
    add = _degrade(lambda *a, **k: False)(RedisCache.add)
    get = _degrade(_default)(RedisCache.get)
    set = _degrade(lambda *a, **k: None)(RedisCache.set)
    touch = _degrade(lambda *a, **k: False)(RedisCache.touch)
    delete = _degrade(lambda *a, **k: False)(RedisCache.delete)
    get_many = _degrade(lambda *a, **k: {})(RedisCache.get_many)
    has_key = _degrade(lambda *a, **k: False)(RedisCache.has_key)
    incr = _degrade(_incr)(RedisCache.incr)
    set_many = _degrade(lambda data, *a, **k: list(data))(RedisCache.set_many)
    delete_many = _degrade(lambda *a, **k: None)(RedisCache.delete_many)
    clear = _degrade(lambda *a, **k: False)(RedisCache.clear)
