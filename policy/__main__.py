"""The up2u-jupyter policy pack: `pulumi preview --policy-pack policy` runs it."""

from pulumi_policy import PolicyPack
from up2u_policies import POLICIES

PolicyPack(name="up2u-jupyter", policies=POLICIES)
