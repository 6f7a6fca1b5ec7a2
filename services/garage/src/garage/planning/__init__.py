"""Workshop planning: the weekly teaching timetable, the sessions generated from it or
made by hand, bookings of requests into them, the teachers' iCalendar feed."""
