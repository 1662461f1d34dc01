"""Everything the bot sends that matters: the rate-limited sender, campaigns (broadcasts)
and the clock that delivers due rows."""
