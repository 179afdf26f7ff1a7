"""Bulk export of the admin lists as background jobs (SPEC §9): start, run, sign links, expire.

`jobs` starts and reads jobs, `runner` claims and runs them in any process, `rows` streams a
list's rows with the caller's scope and masking, `criteria` stores a filter AST as JSON, `links`
signs download URLs.
"""
