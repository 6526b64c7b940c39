"""Request routing: suggests the category / responsible unit (or dispute type) of a request from its text.

The engine used by casework: :class:`~grassroots.routing.model.RoutingModel` (trained on an
organisation's own labelled history), :mod:`~grassroots.routing.rules` (keyword rules), loaders in
:mod:`~grassroots.routing.data` and text handling in :mod:`~grassroots.routing.text`. See docs/routing.md.
"""
