"""The local preview: a stack's hub on 127.0.0.1, with only what cannot run locally swapped.

``plan`` decides what runs (the stack's values and the swaps), ``processes`` starts, watches
and stops it, ``command`` is the ``preview`` command. The preview hub loads ``config.py``, which
applies the values in the chart's order (``hubconfig``), answers the chart's ``z2jh`` lookups
(``hubvalues``, ``hub_pythonpath/z2jh.py``) and runs user servers with ``spawner``.
"""
