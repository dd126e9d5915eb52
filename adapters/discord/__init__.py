"""The Discord adapter: application commands, mentions and DMs, answered as embeds (discord.py 2.x)."""
