"""Serializer bases shared by the API apps."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class VersionedUpdateSerializer(serializers.Serializer):
    """PATCH input under optimistic concurrency: fields left out stay unchanged, ``version`` (the version
    the client read) is always required. Such a serializer is never partial, neither when DRF validates
    nor in the generated schema, which would otherwise mark every PATCH field optional."""

    version = serializers.IntegerField(
        min_value=1, help_text="The version you read; a stale one answers 409."
    )

    @property
    def partial(self) -> bool:
        return False

    @partial.setter
    def partial(self, value: Any) -> None:
        """Ignored: see the class docstring."""

    def changes(self) -> tuple[int, dict[str, Any]]:
        """``(version, {field: value})`` of the fields the client sent."""
        data = dict(self.validated_data)
        return data.pop("version"), data
