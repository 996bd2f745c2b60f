from __future__ import annotations

import pytest

from domain.call import CallContext, Deadline
from tests.fake_catalog import FakeCatalog
from tests.fake_gateway import FakeGateway
from tests.fake_ledger import FakeLedger


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def ledger() -> FakeLedger:
    return FakeLedger()


@pytest.fixture
def catalog() -> FakeCatalog:
    return FakeCatalog()


@pytest.fixture
def call() -> CallContext:
    return CallContext(caller_id="caller-a", deadline=Deadline.after(60))
