"""The request lifecycle across domains: a submission (the request and its catalogue
quote), the teachers' transitions (the quote gate, workshop bookings), and the retention of
clients' personal data. The only package that moves requests, quotes and planning together."""
