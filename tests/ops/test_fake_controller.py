"""The fake controller speaks the shapes of Keysight's client models, not shapes of our own."""

from __future__ import annotations

import json

from cyperf.models.agent import Agent
from cyperf.models.authenticate200_response import Authenticate200Response
from cyperf.models.get_agents200_response import GetAgents200Response
from cyperf.models.get_agents200_response_one_of import GetAgents200ResponseOneOf
from pydantic import BaseModel

from tests.ops.fake_controller import FakeController, agent_json


def aliases(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


def test_agent_json_uses_only_fields_of_the_agent_model_and_round_trips() -> None:
    document = agent_json("a1", "10.0.0.1", ["K8s-Group=CyPerf-Agent-Client"], offline=True)
    assert set(document) <= aliases(Agent)
    parsed = Agent.from_dict(document)
    assert parsed is not None
    assert (parsed.id, parsed.ip, parsed.agent_tags, parsed.offline, parsed.hostname) == (
        "a1",
        "10.0.0.1",
        ["K8s-Group=CyPerf-Agent-Client"],
        True,
        "a1",
    )
    # every field we send is read back by the model, under the name the client uses
    assert parsed.model_dump(by_alias=True, exclude_none=True) == document


def test_agents_answers_deserialize_as_the_clients_response_model_in_both_shapes() -> None:
    fake = FakeController(agents=[agent_json(f"a{i}", f"10.0.0.{i}", ["t=1"]) for i in range(3)])
    _, token = fake.token_response(
        {
            "client_id": ["clt-wap"],
            "grant_type": ["refresh_token"],
            "refresh_token": [fake.offline_token],
        }
    )
    bearer = f"Bearer {token['access_token']}"
    status, paged = fake.agents_response(bearer, {"take": ["2"], "skip": ["1"]})
    assert status == 200
    page = GetAgents200Response.from_json(json.dumps(paged)).actual_instance
    assert isinstance(page, GetAgents200ResponseOneOf)
    assert [a.id for a in page.data or []] == ["a1", "a2"] and page.total_count == 3
    assert set(paged) == aliases(GetAgents200ResponseOneOf)
    fake.paged = False
    _, plain = fake.agents_response(bearer, {})
    listed = GetAgents200Response.from_json(json.dumps(plain)).actual_instance
    assert isinstance(listed, list) and [a.ip for a in listed] == [
        "10.0.0.0",
        "10.0.0.1",
        "10.0.0.2",
    ]
    assert fake.agents_response("Bearer wrong", {})[0] == 401


def test_token_answer_matches_the_authenticate_model() -> None:
    fake = FakeController()
    status, body = fake.token_response(
        {
            "client_id": ["clt-wap"],
            "grant_type": ["password"],
            "username": [fake.username],
            "password": [fake.password],
        }
    )
    assert status == 200 and set(body) == aliases(Authenticate200Response)
    assert Authenticate200Response.from_dict(body).access_token == body["access_token"]  # type: ignore[union-attr]
    assert fake.token_response({"client_id": ["clt-wap"], "grant_type": ["password"]})[0] == 401
