"""Every screen Ustaz shows, for a native reader to review (`ustaz screens`) and for the tests: a driver
that talks as a person through the real inbox, core and outbox (driver.py), a walk that presses every
button a role's screens show (walk.py), every msgid rendered with sample values (catalog.py), and the
files a reviewer reads (review.py)."""
