"""Storage: the media registry — encrypted, content-addressed objects per tenant (hash, data key,
page count, retention) kept in a blob backend (local folder or S3)."""
