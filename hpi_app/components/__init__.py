"""Pieces shared by pages: layout, blocks, fields, badges."""
