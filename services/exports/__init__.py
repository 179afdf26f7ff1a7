"""Bulk export of the admin lists as background jobs (SPEC §9): start, run, sign links, expire.

`jobs` starts and reads jobs, `runner` claims and runs them in any process, `lists` holds the
exportable lists (tables, columns, each list's own scope and filter), `rows` streams their rows
and masks them as GraphQL does, `criteria` stores a list's criteria as JSON, `links`
signs download URLs.
"""
