"""Production settings for the load and fault benchmarks (bench_load.py, bench_faults.py).

The only change: the client address is read from ``X-Real-IP``, as behind the reverse proxy the operations
guide describes, so that each simulated resident of the public form has an address of its own and the
per-address limits apply to each as they would in production (all the load comes from 127.0.0.1).
"""

from config.settings import *  # noqa: F403

PUBLIC_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
