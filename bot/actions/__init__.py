"""Every button action of Ustaz, by audience: the one place both services and handlers import from.

Each class keeps the wire prefix and argument order its button had as a bare string, so buttons
already sent to people keep working. A route registers the class (`@router.action(GradeQueue)`);
a notice or a screen builds its button from the same class (`GradeQueue(12).button(label)`).
"""

from __future__ import annotations

# Imported here so that the registry knows every action once any of them is used.
from bot.actions import common, parent, staff, student, teacher, tutor

AUDIENCES = (common, student, parent, teacher, tutor, staff)
