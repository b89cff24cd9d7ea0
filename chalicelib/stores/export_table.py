"""The exports table (DynamoDB): one record per data-portability export, its status and where
its package is (the package itself is in the documents bucket)."""
from __future__ import annotations

from typing import Any, Protocol

from botocore.exceptions import ClientError

from chalicelib.domain.export_record import ExportRecord
from chalicelib.errors import NotFound
from chalicelib.settings import get_settings
from chalicelib.stores.clients import table
from chalicelib.stores.stored import RetainedItems, RetainedItemStore, is_condition_failure, parse, put_new, record_fields


class ExportStore(RetainedItemStore, Protocol):
    def create(self, record: ExportRecord) -> None: ...
    def get(self, export_id: str) -> ExportRecord: ...
    def update(self, export_id: str, fields: dict[str, Any]) -> ExportRecord: ...


class ExportTable(RetainedItems):
    """`ExportStore` on DynamoDB (the table named by the EXPORTS_TABLE setting)."""

    _KEY = "export_id"

    @staticmethod
    def _table():
        return table(get_settings().exports_table)

    def create(self, record: ExportRecord) -> None:
        """Conflict if an export with this id exists."""
        put_new(self._table(), record.model_dump(mode="json", exclude_none=True), "export_id", "export")

    def get(self, export_id: str) -> ExportRecord:
        item = self._table().get_item(Key={"export_id": export_id}, ConsistentRead=True).get("Item")
        if item is None:
            raise NotFound(export_id)
        return parse(ExportRecord, record_fields(item), "export", export_id)

    def update(self, export_id: str, fields: dict[str, Any]) -> ExportRecord:
        names = {f"#f{i}": k for i, k in enumerate(fields)}
        values = {f":v{i}": v for i, v in enumerate(fields.values())}
        try:
            item = self._table().update_item(
                Key={"export_id": export_id}, ExpressionAttributeNames=names, ExpressionAttributeValues=values,
                UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields))),
                ConditionExpression="attribute_exists(export_id)", ReturnValues="ALL_NEW")["Attributes"]
        except ClientError as exc:
            if is_condition_failure(exc):
                raise NotFound(export_id) from exc
            raise
        return parse(ExportRecord, record_fields(item), "export", export_id)
