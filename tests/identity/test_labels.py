"""Identity's status labels, as /meta/enums serves them to the console."""

from __future__ import annotations

from sealhub.identity.models import InvitationStatus


async def test_invitation_status_labels_cover_every_value(client):
    labels = (await client.get("/api/v1/meta/enums")).json()
    status = {x["value"]: x for x in labels["invitation_status"]}
    assert set(status) == {s.value for s in InvitationStatus}
    assert set(status) == {"pending", "accepted", "declined", "cancelled"}
    assert status["pending"] == {
        "value": "pending",
        "zh": "待接受",
        "en": "Pending",
        "color": "warning",
    }
    assert status["cancelled"]["zh"] == "已撤回" and status["cancelled"]["en"] == "Withdrawn"
    assert all(x["zh"] and x["en"] and x["color"] for x in status.values())
