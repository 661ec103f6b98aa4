"""Sign-in through the organisation's OpenID Connect providers (ProConnect first)."""
