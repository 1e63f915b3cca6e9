"""Attestation: who is admitted to it (Order 169 item 29), the identity check that proctors it (item 16)."""
