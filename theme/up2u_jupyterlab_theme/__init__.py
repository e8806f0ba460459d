"""The Up2U JupyterLab theme, a prebuilt JupyterLab 4 extension (share/jupyter/labextensions)."""

__version__ = "1.0.0"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "@up2u/jupyterlab-theme"}]
