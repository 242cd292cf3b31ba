"""The pure core: content, understanding, the call and text flows, and the editors' checks.

Nothing here imports Flask, Twilio, SQLAlchemy or an adapter (tests/test_import_graph.py proves it).
"""
