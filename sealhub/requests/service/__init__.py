"""Applications' front door: flows, documents, the application lifecycle and approvals.

One module per use-case cluster; callers keep `from sealhub.requests import service`.
"""

from sealhub.requests.service.apply import (
    add_presses,
    change_window,
    create_request,
    submit,
    withdraw,
)
from sealhub.requests.service.decide import add_approver, approve, reject, transfer
from sealhub.requests.service.documents import (
    document_content,
    get_document,
    request_documents,
    upload_document,
)
from sealhub.requests.service.flows import (
    create_flow,
    deactivate_flow,
    get_flow,
    list_flows,
    preview_flow,
    update_flow,
)
from sealhub.requests.service.read import (
    can_read,
    created_since,
    get_request,
    list_requests,
    numbers,
    pending_task_count,
)
from sealhub.requests.service.use import (
    archive,
    end,
    expire_due,
    hand_out,
    photo_content,
    record_use,
    seal_returned,
    take_back,
    upload_photo,
)

__all__ = [
    "add_approver",
    "add_presses",
    "approve",
    "archive",
    "can_read",
    "change_window",
    "create_flow",
    "create_request",
    "created_since",
    "deactivate_flow",
    "document_content",
    "end",
    "expire_due",
    "get_document",
    "get_flow",
    "get_request",
    "hand_out",
    "list_flows",
    "list_requests",
    "numbers",
    "pending_task_count",
    "photo_content",
    "preview_flow",
    "record_use",
    "reject",
    "request_documents",
    "seal_returned",
    "submit",
    "take_back",
    "transfer",
    "update_flow",
    "upload_document",
    "upload_photo",
    "withdraw",
]
