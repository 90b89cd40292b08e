"""Tests for fastroute.model.names."""

import hashlib

import pytest

from fastroute.model import names

# Host interfaces seen in the seed cluster (docs/seed.md: `ip link`, `ip route` on master)
# and the pods that own them.
SEED_INTERFACES = [
    ("default", "echo-deployment-598f49cc44-td2lf", "calic88c1a5fc6d"),
    ("kube-system", "coredns-74ff55c5b-7vkbm", "cali83494b49003"),
    ("kube-system", "coredns-74ff55c5b-v7bjv", "calia43cac5d3d1"),
]


@pytest.mark.parametrize("namespace, pod, expected", SEED_INTERFACES)
def test_interface_names_of_the_seed(namespace, pod, expected):
    assert names.interface_name(namespace, pod) == expected


def test_interface_name_prefix_and_length():
    name = names.interface_name("default", "web-0", prefix="tap")
    assert name.startswith("tap") and len(name) == 14
    assert name[3:] == hashlib.sha1(b"default.web-0").hexdigest()[:11]
    assert len(names.interface_name("default", "web-0")) == 15


def test_interface_name_depends_on_namespace():
    assert names.interface_name("a", "p") != names.interface_name("b", "p")


@pytest.mark.parametrize(
    "cidr, expected",
    [("10.244.219.64/26", "10-244-219-64-26"), ("fd00:10:244::/122", "fd00-10-244---122")],
)
def test_cidr_name(cidr, expected):
    assert names.cidr_name(cidr) == expected


def test_affinity_name_short_and_long():
    assert names.affinity_name("node1", "10.244.166.128/26") == "node1-10-244-166-128-26"
    long_node = "n" * 260
    name = names.affinity_name(long_node, "10.244.166.128/26")
    assert len(name) < 253
    assert name.endswith(hashlib.sha256(f"{long_node}+10-244-166-128-26".encode()).hexdigest()[:11])
    assert "-10-244-166-128-26-" in name


def test_wep_name_escapes_dashes():
    assert names.wep_name("my-node", "echo-1") == "my--node-k8s-echo--1-eth0"


def test_pod_handle_is_stable_and_distinct():
    h = names.pod_handle("default", "a")
    assert h == names.pod_handle("default", "a")
    assert h.startswith("k8s-pod-network.") and len(h) == len("k8s-pod-network.") + 64
    assert h != names.pod_handle("default", "b")
    assert names.pod_handle("x", "y", cid="abc") == "k8s-pod-network.abc"
