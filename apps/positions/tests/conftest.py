import pytest


@pytest.fixture
def sim(tmp_path, settings, live_server):
    """The provider simulator (apps/positions/simulator.py) on a free port, both real providers switched on
    against it with its freshly generated keys, and notices sent to the live server."""
    from apps.positions.simulator import ProviderSimulator

    simulator = ProviderSimulator(tmp_path / "provider-keys").start()
    for name, value in simulator.settings().items():
        setattr(settings, name, value)
    settings.PAYMENT_NOTIFY_BASE_URL = live_server.url
    yield simulator
    simulator.stop()
