"""All SQL lives here: the database, its migrations, and one repository per aggregate."""

from storage.database import Database, DatabaseClosedError, DatabaseTooNewError

__all__ = ["Database", "DatabaseClosedError", "DatabaseTooNewError"]
