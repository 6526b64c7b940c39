"""Domain errors: exceptions with a stable code. One API handler maps them to one shape."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldError:
    field: str
    message: str
    row: int | None = None
    code: str = "invalid"

    def as_dict(self) -> dict:
        data = {"field": self.field, "message": str(self.message), "code": self.code}
        if self.row is not None:
            data["row"] = self.row
        return data


@dataclass
class DomainError(Exception):
    message: str
    code: str = "domain_error"
    errors: list[FieldError] = field(default_factory=list)
    http_status: int = 400

    def __str__(self) -> str:
        if self.errors:
            return f"{self.message}: " + "; ".join(
                (f"row {e.row}, " if e.row is not None else "") + f"{e.field}: {e.message}"
                for e in self.errors
            )
        return str(self.message)


class ValidationFailed(DomainError):
    def __init__(self, message: str = "Invalid input", errors: list[FieldError] | None = None):
        super().__init__(message=message, code="validation_failed", errors=errors or [], http_status=400)


class NotFound(DomainError):
    def __init__(self, message: str = "Not found"):
        super().__init__(message=message, code="not_found", http_status=404)


class Forbidden(DomainError):
    def __init__(self, message: str = "You may not do this"):
        super().__init__(message=message, code="forbidden", http_status=403)


class Conflict(DomainError):
    def __init__(self, message: str = "The object was changed by someone else; reload and try again"):
        super().__init__(message=message, code="conflict", http_status=409)
