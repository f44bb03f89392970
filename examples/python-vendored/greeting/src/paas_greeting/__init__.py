"""A tiny package that the python-vendored example installs offline."""


def greet(name):
    return "hello from %s (vendored paas-greeting wheel)" % name
