"""Where webhooks may not go: loopback, private, link-local and metadata addresses, by default.

Each refusal is checked where it matters, at send time after DNS resolution, and nothing
reaches the receiver; `WEBHOOK_ALLOWED_HOSTS` names the on-premises hosts that may.
"""

from __future__ import annotations

import ipaddress
import socket

import pytest

from brm.core.errors import InputError
from brm.webhooks import network, sending, services
from brm.webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery
from complaints.services import ComplaintInput, file_complaint

pytestmark = pytest.mark.django_db


def _send_one(unit, actor):
    file_complaint(
        ComplaintInput(unit=unit, title="Outage", description="Down.", severity="high"),
        actor=actor,
    )
    (delivery,) = WebhookDelivery.objects.all()
    sending.deliver(delivery.pk)
    delivery.refresh_from_db()
    return delivery


def test_loopback_is_refused_without_the_allow_setting(
    receiver, subscribe, unit_a, brm, allow_local
):
    subscribe(receiver.url, ["complaint.filed"])
    allow_local.WEBHOOK_ALLOWED_HOSTS = []  # the allowance is withdrawn: checked at send time
    delivery = _send_one(unit_a, brm)
    assert receiver.requests == []
    assert delivery.state == DeliveryState.FAILED  # refused: never retried
    (attempt,) = WebhookAttempt.objects.all()
    assert attempt.status_code is None and "loopback" in attempt.error
    assert attempt.will_retry is False


def test_a_name_that_resolves_to_loopback_is_refused(receiver, subscribe, unit_a, brm, allow_local):
    # 127.0.0.1 is allowed by name; "localhost" is another name, checked on its addresses.
    subscribe(f"http://localhost:{receiver.port}/hook", ["complaint.filed"])
    delivery = _send_one(unit_a, brm)
    assert receiver.requests == []
    assert delivery.state == DeliveryState.FAILED
    assert "localhost may not receive webhooks" in delivery.last_error


def test_an_allowed_name_is_connected_to_its_checked_address_with_its_host_header(
    receiver, subscribe, unit_a, brm, settings
):
    settings.WEBHOOK_ALLOWED_HOSTS = ["LocalHost"]  # names compare case-insensitively
    subscribe(f"http://localhost:{receiver.port}/hook?src=brm", ["complaint.filed"])
    delivery = _send_one(unit_a, brm)
    assert delivery.state == DeliveryState.DELIVERED
    (request,) = receiver.requests
    assert request.path == "/hook?src=brm"
    assert request.headers["host"] == f"localhost:{receiver.port}"


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.10.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("169.254.10.1", "link-local"),
        ("fe80::1", "link-local"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "private or reserved"),
        ("0.0.0.0", "private or reserved"),
        ("fc00::5", "private"),
        ("224.0.0.1", "multicast"),
    ],
)
def test_it_names_why_an_address_is_refused(address, why):
    assert why in network.refusal(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::1111", "8.8.8.8"])
def test_public_addresses_are_accepted(address):
    assert network.refusal(ipaddress.ip_address(address)) == ""


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/hook",
        "http://[::1]:8080/hook",
        "https://192.168.0.10/hook",
    ],
)
def test_sending_to_internal_addresses_is_refused_at_send_time(url):
    with pytest.raises(network.RefusedTarget):
        network.resolve(url)
    answer = network.post(url, b"{}", {})
    assert answer.refused and answer.status is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/hook", "Only http and https"),
        ("file:///etc/passwd", "Only http and https"),
        ("gopher://example.com/", "Only http and https"),
        ("https://user:pw@example.com/hook", "no user name or password"),
        ("https:///hook", "no host"),
        ("http://169.254.169.254/", "metadata"),
        ("http://10.0.0.5/", "private"),
        ("http://127.0.0.1:9000/", "loopback"),
    ],
)
def test_a_subscription_refuses_what_could_never_be_sent(webhook_admin, url, message):
    with pytest.raises(InputError, match=message):
        services.create_subscription(actor=webhook_admin, url=url, event_types=["complaint.filed"])


def test_a_literal_address_on_the_allow_list_may_be_subscribed(webhook_admin, allow_local):
    subscription, _ = services.create_subscription(
        actor=webhook_admin, url="http://127.0.0.1:9000/", event_types=["complaint.filed"]
    )
    assert subscription.url == "http://127.0.0.1:9000/"


def test_a_name_that_does_not_resolve_is_retried_not_refused(subscribe, unit_a, brm):
    subscribe("https://no-such-host.invalid/hook", ["complaint.filed"])
    delivery = _send_one(unit_a, brm)
    assert delivery.state == DeliveryState.PENDING
    assert "did not resolve" in delivery.last_error


def test_the_host_is_pinned_to_the_checked_address():
    target = network.Target(
        network.check_url("https://hooks.example.com:8443/in?x=1"),
        "hooks.example.com",
        8443,
        (ipaddress.ip_address("93.184.215.14"),),
    )
    url, host = network._pinned(target, target.addresses[0])
    assert url == "https://93.184.215.14:8443/in?x=1"
    assert host == {"host": "hooks.example.com:8443"}
    v6 = ipaddress.ip_address("2606:4700::1111")
    url, host = network._pinned(target, v6)
    assert url == "https://[2606:4700::1111]:8443/in?x=1"


def test_retry_after_reads_seconds_and_http_dates():
    assert network.retry_after_seconds("120") == 120
    assert network.retry_after_seconds(None) is None
    assert network.retry_after_seconds("soon") is None
    assert network.retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # past: now


def test_a_name_is_refused_if_any_of_its_addresses_is_internal(monkeypatch):
    # A resolver answer is all it takes; the connection must never be tried on a mixed answer.
    answer = [
        (2, 1, 6, "", ("93.184.215.14", 443)),
        (2, 1, 6, "", ("10.0.0.7", 443)),
    ]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: answer)
    with pytest.raises(network.RefusedTarget, match="10.0.0.7 is a private"):
        network.resolve("https://mixed.example.com/hook")
