"""Open311: the casework categories published as GeoReport services, API keys, and what an Open311 client
sent with a request or an update that casework itself does not keep."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grassroots.casework.models import Kind

CODE_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9_.\-]+$", _("Letters, digits, dot, dash and underscore only (it appears in URLs).")
)


class ServiceType(models.TextChoices):
    REALTIME = "realtime", _("Realtime: the request id is returned at once")
    BATCH = "batch", _("Batch: a token is returned, the id is looked up with it")
    BLACKBOX = "blackbox", _("Blackbox: neither id nor token is returned")


class Datatype(models.TextChoices):
    STRING = "string", _("String (one line)")
    NUMBER = "number", _("Number")
    DATETIME = "datetime", _("Date and time (ISO 8601)")
    TEXT = "text", _("Text (several lines)")
    SINGLEVALUELIST = "singlevaluelist", _("One value from a list")
    MULTIVALUELIST = "multivaluelist", _("Several values from a list")


LIST_DATATYPES = frozenset({Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST})


class Service(models.Model):
    """A casework category an administrator publishes to Open311 clients as a service type."""

    category = models.ForeignKey(
        "casework.Category",
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="open311_services",
    )
    service_code = models.CharField(
        _("service code"), max_length=40, unique=True, validators=[CODE_VALIDATOR]
    )
    name = models.CharField(
        _("service name"), max_length=160, blank=True, help_text=_("Empty: the category's name.")
    )
    description = models.TextField(_("description"), blank=True)
    group = models.CharField(_("group"), max_length=80, blank=True)
    keywords = models.CharField(_("keywords"), max_length=300, blank=True, help_text=_("Comma separated."))
    kind = models.CharField(_("request kind"), max_length=16, choices=Kind.choices, default=Kind.HELP)
    type = models.CharField(
        _("type"), max_length=16, choices=ServiceType.choices, default=ServiceType.REALTIME
    )
    notice = models.CharField(
        _("service notice"),
        max_length=500,
        blank=True,
        help_text=_("What the office will do; empty: a notice computed from the request's deadline."),
    )
    metadata = models.BooleanField(
        _("has attributes"), default=False, editable=False, help_text=_("Set from the attribute definitions.")
    )
    is_active = models.BooleanField(_("published"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "service_code"]
        verbose_name = _("Open311 service")
        verbose_name_plural = _("Open311 services")

    def __str__(self) -> str:
        return f"{self.service_code} {self.display_name}"

    @property
    def display_name(self) -> str:
        return self.name or self.category.name


class Attribute(models.Model):
    """One field of a service definition (GET services/{code}); values arrive as ``attribute[code]``."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="attributes")
    code = models.CharField(_("code"), max_length=40, validators=[CODE_VALIDATOR])
    datatype = models.CharField(_("datatype"), max_length=16, choices=Datatype.choices)
    required = models.BooleanField(_("required"), default=False)
    variable = models.BooleanField(
        _("asks for input"), default=True, help_text=_("Off: the attribute only informs the user.")
    )
    order = models.PositiveIntegerField(_("order"), default=1)
    description = models.CharField(_("description"), max_length=500, blank=True)
    datatype_description = models.CharField(_("datatype description"), max_length=300, blank=True)
    values = models.JSONField(
        _("values"),
        default=list,
        blank=True,
        help_text=_('For lists: [{"key": "1", "name": "…"}, …].'),
    )

    class Meta:
        ordering = ["service_id", "order", "code"]
        verbose_name = _("attribute")
        verbose_name_plural = _("attributes")
        constraints = [models.UniqueConstraint(fields=["service", "code"], name="open311_attribute_code")]

    def __str__(self) -> str:
        return f"{self.service_id}:{self.code}"

    def clean(self) -> None:
        values = self.values or []
        if self.datatype in LIST_DATATYPES:
            keys = (
                [v.get("key") if isinstance(v, dict) else None for v in values]
                if isinstance(values, list)
                else []
            )
            if not keys or any(k in (None, "") for k in keys) or len(set(map(str, keys))) != len(keys):
                raise ValidationError(
                    {"values": _('A list needs values like [{"key": "1", "name": "…"}] with distinct keys.')}
                )
        elif values:
            raise ValidationError({"values": _("Only list datatypes take values.")})


class ApiKeyQuerySet(models.QuerySet):
    def active(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """A key an Open311 client posts with. Requests and updates it posts act as its owner; requests land
    in its area unless their address_id or address names a place inside it. Only a hash is stored."""

    name = models.CharField(_("name"), max_length=120)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acts as"),
        on_delete=models.PROTECT,
        related_name="open311_keys",
    )
    region = models.ForeignKey(
        "territory.Region", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    prefix = models.CharField(_("key prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("issued at"), editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Submission(models.Model):
    """What an Open311 client sent with a request beyond the casework fields."""

    request = models.OneToOneField("casework.Request", on_delete=models.CASCADE, related_name="open311")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="submissions")
    api_key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, related_name="submissions")
    token = models.CharField(max_length=32, unique=True)
    attributes = models.JSONField(default=dict, blank=True)
    email = models.CharField(max_length=254, blank=True)
    media_url = models.URLField(max_length=1000, blank=True)
    address_id = models.CharField(max_length=64, blank=True)
    zipcode = models.CharField(max_length=16, blank=True)
    device_id = models.CharField(max_length=100, blank=True)
    account_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Open311 submission")
        verbose_name_plural = _("Open311 submissions")

    def __str__(self) -> str:
        return f"{self.request_id} via {self.api_key_id}"


class PostedUpdate(models.Model):
    """A POST servicerequestupdates: the extended status asked for and the casework event it caused (none
    for a comment that leaves the status as it is). Retrying the same client update_id returns it."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, related_name="updates")
    client_update_id = models.CharField(max_length=64, blank=True)
    request = models.ForeignKey("casework.Request", on_delete=models.CASCADE, related_name="open311_updates")
    status = models.CharField(max_length=32)
    description = models.TextField(blank=True)
    media_url = models.URLField(max_length=1000, blank=True)
    event = models.ForeignKey(
        "casework.RequestEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("Open311 update")
        verbose_name_plural = _("Open311 updates")
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "client_update_id"],
                condition=~Q(client_update_id=""),
                name="open311_update_client_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.status}"
