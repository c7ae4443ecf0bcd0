"""Stamp applications (申请单) and the approval workflow: flow definitions and versions,
routing, tasks (transfer, add-approver), the application lifecycle, photos of stamped pages
and the documents to stamp."""
