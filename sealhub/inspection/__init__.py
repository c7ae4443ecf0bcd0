"""Inspection: OCR comparison of photos of stamped pages with the approved documents,
blank-page, swapped-page and imprint checks, verdicts stored with the application, alerts
for anomalies and a report per application."""
