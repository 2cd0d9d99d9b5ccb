"""The benchmark (基准测试, ``make bench`` / ``kangdang bench run``): speed and memory figures for the main
operations on a synthetic county, on SQLite and PostgreSQL, each beside the same work as bare SQL (the floor).

It talks to a real server over HTTP like a user (it never imports the web or API transports), and runs the
bulk paths in-process through the same functions the CLI uses. See docs/performance.md.
"""
