"""Translations: gettext PO catalogues, one per language (ar, fr, en)."""
