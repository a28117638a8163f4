"""What status, doctor and prune share: the stack tag rule, whether credentials are configured,
and the controller address from the options and the stack."""

from __future__ import annotations

import argparse

import pytest

from ops.connect import controller_address, credentials_configured, stack_tag
from ops.errors import UsageError
from ops.stack import Secret
from tests.ops.conftest import make_stack


def test_stack_tag_rule() -> None:
    assert stack_tag("east-west", "client") == "cyperf-k8s=east-west.client"


def test_credentials_configured_from_env_or_secret_config() -> None:
    assert not credentials_configured({}, {})
    assert credentials_configured({"CYPERF_OFFLINE_TOKEN": "t"}, {})
    assert credentials_configured({"CYPERF_USERNAME": "u"}, {})  # half-set: refused later
    assert credentials_configured({}, {"controllerOfflineToken": Secret("t")})
    assert not credentials_configured({"CYPERF_OFFLINE_TOKEN": ""}, {"other": "x"})


def test_controller_address_from_option_or_stack() -> None:
    stack = make_stack("http://127.0.0.1:9")
    assert controller_address(argparse.Namespace(controller=None), stack) == "https://192.0.2.10"
    given = argparse.Namespace(controller="ctl:8443")
    assert controller_address(given, stack) == "https://ctl:8443"
    proxy = make_stack("http://127.0.0.1:9", **{"cyperf-k8s:controllerIsProxy": ("true", False)})
    with pytest.raises(UsageError, match="Controller Proxy"):
        controller_address(argparse.Namespace(controller=None), proxy)
