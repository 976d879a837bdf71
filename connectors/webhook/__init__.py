"""The webhook receiver: payload shapes (``payload.py``), HMAC signing (``signing.py``) and
one delivery attempt over HTTP (``sender.py``). Retries are the delivery loop's
(``pipelines/deliver.py``); the schedule is ``sender.backoff_s``."""
