"""Pulumi entry point: `pulumi up` runs this for the selected stack."""

from up2u_jupyter.program import main

main()
