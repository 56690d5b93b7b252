"""The plumbing every Rujukan service uses, written once.

settings, logging, metrics, problems (RFC 9457), auth, db (engine + shared tables), kafka
(clients + topic creation), outbox (transactional outbox + relay), consumer (runner with manual
commits, idempotency, DLQ), http (app factory with health/readiness/metrics) and runtime (the
``python -m <service>`` command line).
"""
