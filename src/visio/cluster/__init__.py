"""Visio on several app servers: what they share through Redis.

With ``VISIO_REDIS_URL`` unset, nothing here runs and Visio is one machine, as it always was.
"""
