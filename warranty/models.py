"""Products, shipments, units and the warranty policy versions (SPEC "Domain")."""

import secrets
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from rma_portal.cleaning import SingleLineCharField


class ComponentKind(models.TextChoices):
    CAMERA_MODULE = "camera_module", _("Integrated camera module (W3)")
    MECHANICAL = "mechanical", _("Subject to mechanical wear (W4)")
    THIRD_PARTY = "third_party", _("Third-party common-use part (W2)")
    STANDARD = "standard", _("Standard part")


class ProductModel(models.Model):
    code = SingleLineCharField(_("model code"), max_length=64, unique=True)
    name = SingleLineCharField(_("name"), max_length=200)
    is_camera_module = models.BooleanField(
        _("camera module"), default=False, help_text=_("W3: 12 months.")
    )
    mechanical_wear = models.BooleanField(
        _("subject to mechanical wear"), default=False, help_text=_("W4: 12 months.")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("product model")
        verbose_name_plural = _("product models")

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Component(models.Model):
    product_model = models.ForeignKey(
        ProductModel, on_delete=models.CASCADE, related_name="components"
    )
    name = SingleLineCharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=16, choices=ComponentKind.choices, default=ComponentKind.STANDARD
    )

    class Meta:
        verbose_name = _("component")
        verbose_name_plural = _("components")
        ordering = ["product_model", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["product_model", "name"], name="component_unique_name_per_model"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class Shipment(models.Model):
    """One CPRO proforma invoice (PI) shipped to a buyer against its PO (N3)."""

    pi_number = SingleLineCharField(_("PI number"), max_length=64, unique=True)
    po_number = SingleLineCharField(_("PO number"), max_length=64, db_index=True)
    buyer = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="shipments", verbose_name=_("buyer")
    )
    shipment_date = models.DateField(_("shipment date"))
    delivery_date = models.DateField(
        _("delivery date"), null=True, blank=True, help_text=_("W1 start; may be unknown.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-shipment_date", "pi_number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(delivery_date__isnull=True) | Q(delivery_date__gte=F("shipment_date")),
                name="shipment_delivery_not_before_shipment",
                violation_error_message=_("The delivery date cannot be before the shipment date."),
            )
        ]
        indexes = [models.Index(fields=["buyer", "-shipment_date"])]

    def __str__(self) -> str:
        return f"PI {self.pi_number} / PO {self.po_number}"

    @property
    def warranty_start(self) -> date:
        """W1: delivery date, or the shipment date where none is recorded."""
        return self.delivery_date or self.shipment_date


class Unit(models.Model):
    """One serial-numbered product shipped to a buyer."""

    # Unique by the constraint below, not ``unique=True``: on PostgreSQL that would add a second
    # index (``varchar_pattern_ops``, for LIKE 'x%') that no query uses and that every imported
    # unit has to update (issue 19).
    serial_number = SingleLineCharField(_("serial number"), max_length=64)
    # Both references are checked by statement-level triggers, not foreign-key constraints
    # (db_constraint=False; warranty/integrity.py): the same guarantee at one check per
    # statement instead of one per unit, half an import's time at 1,000,000 units (issue 19).
    shipment = models.ForeignKey(
        Shipment, on_delete=models.PROTECT, related_name="units", db_constraint=False
    )
    # No index on product_model (issue 19): no query looks units up by model (the counts per
    # model are UnitCount's), a few dozen models would make it barely selective, and every
    # imported unit had to update it. Deleting a model scans the units once (PROTECT).
    product_model = models.ForeignKey(
        ProductModel,
        on_delete=models.PROTECT,
        related_name="units",
        verbose_name=_("model"),
        db_index=False,
        db_constraint=False,
    )
    unit_price = models.DecimalField(_("invoiced unit price"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="USD")

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["serial_number"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="unit_price_positive"),
            models.UniqueConstraint(fields=["serial_number"], name="unit_serial_number_unique"),
        ]

    def __str__(self) -> str:
        return self.serial_number


class UnitCount(models.Model):
    """Units of one model in one shipment: a summary of ``Unit`` that database triggers keep
    exact in the same statement as every write on units (warranty/summaries.py). Read by the
    quality analytics and the dashboard (issues 15, 19); never written by Python."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="unit_counts")
    product_model = models.ForeignKey(
        ProductModel, on_delete=models.CASCADE, related_name="unit_counts"
    )
    units = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "product_model"], name="unit_count_per_shipment_model"
            )
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id}/{self.product_model_id}: {self.units}"


class WarrantyPolicy(models.Model):
    """A version of CPRO's terms; a unit is judged by the version in force on its delivery date."""

    version = models.CharField(_("version"), max_length=32, unique=True)
    effective_from = models.DateField(_("effective from"), unique=True)
    standard_months = models.PositiveSmallIntegerField(
        _("standard period (W1), months"), default=24
    )
    camera_module_months = models.PositiveSmallIntegerField(
        _("camera modules (W3), months"), default=12
    )
    mechanical_wear_months = models.PositiveSmallIntegerField(
        _("mechanical wear (W4), months"), default=12
    )
    notice_days = models.PositiveSmallIntegerField(_("notice period (N1), days"), default=8)
    replacement_min_months = models.PositiveSmallIntegerField(
        _("replacement minimum (D1), months"),
        default=0,
        help_text=_(
            "A replacement unit is covered until the replaced unit's warranty end, or at least "
            "this many months from its shipment if that is later. 0: no minimum."
        ),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("warranty policy version")
        verbose_name_plural = _("warranty policy versions")
        constraints = [
            models.CheckConstraint(
                condition=Q(standard_months__gt=0)
                & Q(camera_module_months__gt=0)
                & Q(mechanical_wear_months__gt=0)
                & Q(notice_days__gt=0),
                name="policy_periods_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.version} (from {self.effective_from})"


def shipment_import_upload_to(instance: "ShipmentImport", filename: str) -> str:
    """A non-guessable stored name; the uploaded name is kept in ``file_name`` only."""
    return f"imports/shipments/{secrets.token_urlsafe(24)}.csv"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ShipmentImport(models.Model):
    """A shipment CSV uploaded in the admin and imported in the background (large files)."""

    file_name = SingleLineCharField(_("file name"), max_length=255)
    file = models.FileField(_("file"), upload_to=shipment_import_upload_to, max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="shipment_imports",
        verbose_name=_("uploaded by"),
    )
    create_buyers = models.BooleanField(_("create unknown buyers"), default=False)
    status = models.CharField(
        _("status"), max_length=8, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows checked"), default=0)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    # Stored as codes and values (``importing.RowError.as_dict``), worded when shown: the
    # status page speaks the reader's language. What the import came to is worded from
    # ``counts`` and ``errors`` too (``importing.import_outcome``).
    errors = models.JSONField(
        _("errors"), default=list, blank=True, help_text=_("[{line, column, code, params}, …]")
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    # When its task was last handed to the broker (None: not yet, e.g. Redis was down).
    published_at = models.DateTimeField(_("handed to a worker at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("shipment import")
        verbose_name_plural = _("shipment imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in {ImportStatus.DONE, ImportStatus.FAILED}
