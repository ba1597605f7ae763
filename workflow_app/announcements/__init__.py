"""Public announcements (公告) of registration decisions: a list anyone logged in can read and print."""
