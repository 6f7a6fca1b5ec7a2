"""Attachments: screenshots and PDFs on tickets and followups, kept in PostgreSQL."""
