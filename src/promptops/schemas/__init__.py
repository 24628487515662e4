"""JSON Schemas of every promptops file format, shipped as package data."""
