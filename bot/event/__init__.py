"""The event: its file (models and validation), versions and diffs, and the service that
loads it, plans reminders and tells people what changed."""
