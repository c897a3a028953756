"""Signing owners in with LINE Login v2.1 (OpenID Connect): the adapter for LINE (`client`), a local
stand-in for LINE (`fake`), start-up checks (`checks`) and the use cases (`services`).
docs/portal.md, "Sign in with LINE"."""
