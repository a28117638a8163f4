"""Entry point: the language host runs this file (`python <pack dir>`) to serve the pack.

The runner executes it as a script with policy/ itself on sys.path. Putting the directory above
it there too lets `policy.pack` import the same way in the pack, in the tests and under mypy.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policy.pack import POLICIES, POLICY_PACK_NAME

PolicyPack(
    name=POLICY_PACK_NAME,
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=POLICIES,
)
