"""Bundled default templates (mail, report). This folder is data, shipped as pyxl.templates."""
