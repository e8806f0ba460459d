"""Jupyter config of the Up2U user image (and of the local preview's servers).

The image sets JUPYTER_CONFIG_PATH to this folder. Real-time collaboration
(jupyter-collaboration) is installed but off, unless the server's profile turns it on:
`collaboration: true` on a profile sets UP2U_COLLABORATION=1 in its servers. The file is
jupyter_config.py, which every Jupyter app reads from each config folder, even a server given a
config file of its own (--config, as the preview's are), where jupyter_server_config.py is not.
"""

import os

c = get_config()  # noqa: F821 (Jupyter's config loader provides it)
c.YDocExtension.disable_rtc = os.environ.get("UP2U_COLLABORATION") != "1"
