"""GB/T 38540-2020 and GM/T 0031-2014 electronic seals and seal signatures (SES)."""
