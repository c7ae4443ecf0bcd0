"""E-seals: seal images, the organisation's CA and seal certificates, e-seal applications,
PDF sealing with a willingness check, verification, CRLs and timestamps."""
