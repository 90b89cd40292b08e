"""fastroute demo: the seed article's captures come out of the computation."""

from importlib import resources

from fastroute.cli import main

# The article's captures on master, verbatim, as package data.
ARTICLE_STATUS = resources.files("fastroute").joinpath("data/seed-master-node-status.txt").read_text()

ARTICLE_IP_ROUTE = resources.files("fastroute").joinpath("data/seed-master-ip-route.txt").read_text()


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
