"""The convener's desk: the same engine as the CLI, in a local web page.

It sits with :mod:`balancer.cli` at the top of the layers: a Starlette application
(:mod:`balancer.app.server`) over a workspace folder of ordinary files
(:mod:`balancer.app.workspace`), guarded by a start token, sessions and CSRF tokens
(:mod:`balancer.app.security`), with every word in :mod:`balancer.app.strings`.
"""
