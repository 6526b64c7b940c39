from rest_framework.pagination import PageNumberPagination

from grassroots.common.pagination import KeysFirstPaginator


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class KeysFirstPagination(StandardPagination):
    """Pages read keys first (``KeysFirstPaginator``): for large lists whose querysets carry no annotations."""

    django_paginator_class = KeysFirstPaginator
