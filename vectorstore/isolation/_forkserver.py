"""Imported only by the forkserver, as its first preload (see :mod:`.starting`): it exits soon after its host dies,
taking any worker still alive with it (:mod:`.tether`). Importing it anywhere else would tie that process instead."""

from .tether import watch_host

watch_host()
