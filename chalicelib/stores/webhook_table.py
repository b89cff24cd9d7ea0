"""The webhooks table (DynamoDB, SSE-KMS): subscriptions with their signing secrets."""
from __future__ import annotations

from typing import Protocol

from botocore.exceptions import ClientError

from chalicelib.domain.webhooks import SigningSecret, Subscription
from chalicelib.errors import Conflict, NotFound
from chalicelib.settings import get_settings
from chalicelib.stores.clients import table
from chalicelib.stores.stored import is_condition_failure, parse, put_new


class SubscriptionStore(Protocol):
    def create(self, subscription: Subscription) -> None: ...
    def get(self, webhook_id: str) -> Subscription: ...
    def delete(self, webhook_id: str) -> None: ...
    def of_owner(self, owner: str) -> list[Subscription]: ...
    def all(self) -> list[Subscription]: ...
    def replace_secrets(self, webhook_id: str, rotation: int, secrets: tuple[SigningSecret, ...]) -> Subscription: ...


class WebhookTable:
    """`SubscriptionStore` on DynamoDB (the table named by the WEBHOOKS_TABLE setting). Listing
    scans: subscriptions are few (a handful per channel; the policy caps them)."""

    @staticmethod
    def _table():
        return table(get_settings().webhooks_table)

    def create(self, subscription: Subscription) -> None:
        put_new(self._table(), subscription.model_dump(mode="json"), "webhook_id", "webhook")

    def get(self, webhook_id: str) -> Subscription:
        item = self._table().get_item(Key={"webhook_id": webhook_id}, ConsistentRead=True).get("Item")
        if item is None:
            raise NotFound(webhook_id)
        return parse(Subscription, item, "webhook", webhook_id)

    def delete(self, webhook_id: str) -> None:
        self._table().delete_item(Key={"webhook_id": webhook_id})

    def all(self) -> list[Subscription]:
        items, kwargs = [], {"ConsistentRead": True}
        while True:
            page = self._table().scan(**kwargs)
            items += [parse(Subscription, i, "webhook", i.get("webhook_id", "?")) for i in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return sorted(items, key=lambda s: (s.created_at, s.webhook_id))
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def of_owner(self, owner: str) -> list[Subscription]:
        return [s for s in self.all() if s.owner == owner]

    def replace_secrets(self, webhook_id: str, rotation: int, secrets: tuple[SigningSecret, ...]) -> Subscription:
        """Store the secrets as rotation `rotation` + 1 if the subscription is still at `rotation`
        (of two rotations at once, one wins; the other is a Conflict)."""
        try:
            item = self._table().update_item(
                Key={"webhook_id": webhook_id}, UpdateExpression="SET secrets = :new, rotation = :next",
                ConditionExpression="rotation = :current",
                ExpressionAttributeValues={":new": [s.model_dump(mode="json") for s in secrets],
                                           ":current": rotation, ":next": rotation + 1},
                ReturnValues="ALL_NEW")["Attributes"]
        except ClientError as exc:
            if is_condition_failure(exc):
                raise Conflict("the secret was rotated at the same time; read the webhook again") from exc
            raise
        return parse(Subscription, item, "webhook", webhook_id)
