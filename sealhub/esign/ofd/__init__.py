"""OFD (GB/T 33190): read safely, render, seal with SES signatures, verify."""
