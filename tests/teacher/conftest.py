"""The teacher's journeys run at a fixed moment: Monday 23 November 2026, 12:00 in Almaty."""

from __future__ import annotations

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
