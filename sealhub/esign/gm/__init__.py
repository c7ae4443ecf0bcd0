"""SM2/SM3 (GB/T 32918, GB/T 32905) through Tongsuo: keys, signatures, certificates."""
