"""Pages of large lists, read keys first."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet


class KeysFirstPaginator(Paginator):
    """A paginator for a queryset whose filter and order an index can serve: a page is read as its primary
    keys first (the database filters, sorts and limits on the index alone, without visiting the rows of every
    match), then only those rows in full, with the queryset's ``select_related`` and ``prefetch_related``.

    Annotations and deferred fields of the queryset are not carried over to the second read: use it for
    querysets without them."""

    def _get_page(self, object_list: Any, number: int, paginator: Paginator) -> Page:
        if not isinstance(object_list, QuerySet):
            return super()._get_page(object_list, number, paginator)
        ids = list(object_list.values_list("pk", flat=True))
        source: QuerySet = self.object_list
        rows = source.model._default_manager.filter(pk__in=ids)
        rows.query.select_related = source.query.select_related
        rows = rows.prefetch_related(*source._prefetch_related_lookups)
        by_id = {row.pk: row for row in rows}
        return super()._get_page([by_id[pk] for pk in ids if pk in by_id], number, paginator)
