"""The Kafka receiver: ``aiops.notifications`` is its delivery. ``reader.py`` is how a
downstream system reads the notifications addressed to its receiver."""
