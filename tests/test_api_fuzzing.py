"""Fuzzing the REST API from its own OpenAPI description (schemathesis): never a server error."""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.support import start_server


def test_api_answers_any_request_without_a_server_error(tmp_path: Path) -> None:
    """For every operation in the OpenAPI description, generated requests (valid and not) get an
    answer below 500, and the operations actually exist on the server."""
    server = start_server(tmp_path / "visio")
    try:
        schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 8, [op.label for op in operations]
        failures: list[str] = []
        calls = 0
        for operation in operations:
            valid_or_not = operation.as_strategy() | operation.as_strategy(
                generation_mode=schemathesis.GenerationMode.NEGATIVE
            )

            @given(case=valid_or_not)
            @settings(
                max_examples=25,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
            )
            def exercise(case: schemathesis.Case) -> None:
                nonlocal calls
                calls += 1
                response = case.call(base_url=server.url)
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}"
                    )

            exercise()
        assert failures == []
        assert calls >= 5 * len(operations), "the fuzzer barely ran"
    finally:
        server.stop()
