"""Rooms: their links, their participants and the room protocol spoken over the WebSocket."""
