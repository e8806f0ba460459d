"""Up2U's Jupyter service as a Pulumi program: z2jh on Kubernetes, configured per stack."""
