"""The shared cache's table, owned by the migrations.

``django_cache`` is the table Django's database cache (``createcachetable``)
expects: it backs the ``throttle`` cache when no ``REDIS_URL`` is set. A
migration creates it, so ``migrate`` is the one setup step on every database
(and Supabase's row-level security is enabled on it like on every table).
"""

from django.db import models

CACHE_TABLE = "django_cache"


class CacheEntry(models.Model):
    """One cache entry: key, value (the database cache's pickled text, or a
    throttle's counter as decimal text), expiry time."""

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = CACHE_TABLE
        verbose_name_plural = "cache entries"

    def __str__(self) -> str:
        return self.cache_key
