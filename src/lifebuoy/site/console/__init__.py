"""The technician's pages (the Technician Console)."""
