"""Small adapters built on the core's toolkit: the worked example of ``docs/adapters.md`` and this repository's
persistent test double. They declare no entry point, so installing the suite adds no adapter; tests register them
with :func:`vectorstore_conformance.registration.visible_plugins`."""
