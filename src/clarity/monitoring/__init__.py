"""The device protocol: recordings ("sessions"), live metrics, waveform chunks, events, idempotency."""
