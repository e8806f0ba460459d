"""Pupils' data at run time: erasure (retention, forget-user), hub database backups, inventory.

The modules the hub image carries (``volumes``, ``hubapi``, ``erase``, ``retention``, ``backup``)
import only the standard library and what that image has (KubeSpawner, kubernetes_asyncio,
boto3): no pydantic, no Pulumi. The operator's commands (``forget``, ``restore``,
``inventory``) and the program's pieces (``render``, ``resources``, ``preview``) read settings.
"""
