"""The request lifecycle across domains: a submission (the request and its catalogue
quote), the teachers' transitions (the quote gate, workshop bookings, the invoice when the
work is done), and the retention of clients' personal data. The only package that moves
requests, quotes, planning and invoices together."""
