"""Files the bot reads or makes: posters, imported tables."""
