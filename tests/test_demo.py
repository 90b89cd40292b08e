"""fastroute demo: the seed article's captures come out of the computation."""

from fastroute.cli import main

# The article's captures (shared/seed/000_873567d96dd0477d.txt), verbatim.
ARTICLE_STATUS = """\
Calico process is running.

IPv4 BGP status
+----------------+-------------------+-------+----------+-------------+
|  PEER ADDRESS  |     PEER TYPE     | STATE |  SINCE   |    INFO     |
+----------------+-------------------+-------+----------+-------------+
| 192.168.31.202 | node-to-node mesh | up    | 09:32:50 | Established |
| 192.168.31.203 | node-to-node mesh | up    | 09:32:49 | Established |
+----------------+-------------------+-------+----------+-------------+

IPv6 BGP status
No IPv6 peers found.
"""

ARTICLE_IP_ROUTE = """\
default via 192.168.31.1 dev ens33 proto static metric 100
10.244.166.128/26 via 192.168.31.202 dev ens33 proto bird
10.244.219.64 dev cali83494b49003 scope link
blackhole 10.244.219.64/26 proto bird
10.244.219.65 dev calia43cac5d3d1 scope link
10.244.219.66 dev calic88c1a5fc6d scope link
172.17.0.0/16 dev docker0 proto kernel scope link src 172.17.0.1
192.168.31.0/24 dev ens33 proto kernel scope link src 192.168.31.201 metric 100
"""


def _indented(text):
    return "\n".join(("  " + line).rstrip() for line in text.splitlines())


def test_demo_tells_the_articles_story(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    lines = "\n".join(line.rstrip() for line in out.splitlines())
    assert _indented(ARTICLE_STATUS) in lines
    assert _indented(ARTICLE_IP_ROUTE) in lines
    # the article's pods: master holds .64-.66 of 10.244.219.64/26, node1 .129/.130 of 10.244.166.128/26
    assert "10.244.219.64/26" in out and "10.244.219.66" in out and "10.244.166.130" in out
    # the ping's path and ttl
    assert "route 10.244.166.128/26 via 192.168.31.202 dev ens33 proto bird" in out
    assert "in calic88c1a5fc6d" in out and "ee:ee:ee:ee:ee:ee" in out
    assert "delivered: ttl=62 on arrival" in out
    # the article: 10.244.166.130 matches the same route
    i = out.index("10.244.166.130  the other echo pod")
    assert "-> 10.244.166.128/26 via 192.168.31.202 dev ens33 proto bird" in out[i:i + 200]
    assert "\x1b[" not in out               # plain text when stdout is not a terminal
