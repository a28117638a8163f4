"""The bundle's redaction seam: a secret value is replaced wherever it sits in a string."""

from __future__ import annotations

from ops.redact import redact


def test_secret_values_replaced_everywhere() -> None:
    pod = {
        "spec": {
            "containers": [
                {
                    "env": [
                        {"name": "HTTPS_PROXY", "value": "http://user:s3cret-pw@proxy:3128"},
                        {"name": "AGENT_TAGS", "value": "a=b"},
                    ]
                }
            ]
        },
        "note": ("token abcdef-long", 3),
    }
    clean = redact(pod, ["s3cret-pw", "abcdef", "abcdef-long", ""])
    env = clean["spec"]["containers"][0]["env"]
    assert env[0]["value"] == "http://user:[secret]@proxy:3128"
    assert env[1]["value"] == "a=b"
    assert clean["note"] == ["token [secret]", 3]
    assert redact(pod, []) is pod
