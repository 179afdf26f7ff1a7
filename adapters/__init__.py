"""The only modules that touch other libraries' private names: one per library.

Each names what it relies on, and tests/unit/adapters/ pins that behaviour, so an upgrade that
changes it fails there, naming the library's version, instead of deep in a request. The rest of
the code uses these functions (and the libraries' public APIs), never the private names.
"""
