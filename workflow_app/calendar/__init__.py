"""The working-day calendar: statutory holidays, 调休 make-up days and due-date arithmetic."""
