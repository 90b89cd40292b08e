"""Extract the YAML resource examples of Calico's documentation into pinned files.

Reads the tigera/docs repository (https://github.com/tigera/docs, Apache-2.0) through git, so
nothing outside this folder is read by the tests: the files under ``examples/`` and
``manifest.json`` are the fixture and this script only rebuilds them.

    python tests/data/calico-docs/extract.py /path/to/tigera-docs-checkout [--commit HEAD]

Pages read (see README.md):

- every code block of ``calico/reference/resources/*.mdx`` that holds YAML;
- every code block elsewhere under ``calico/`` whose YAML has ``apiVersion: projectcalico.org/v3``
  or holds a resource of a kind that configures BGP or IPAM (ROUTING_KINDS), including YAML
  given to ``kubectl``/``calicoctl`` through a shell here-document;
- the same pages of ``calico_versioned_docs/version-3.32/`` where a block differs from ``calico/``.

Each block becomes ``examples/<page>--<NN>.yaml`` (NN: the block's place among the page's
fenced code blocks, from 01; ``v3.32--`` in front for a block only version-3.32 has) unless it
is not a whole resource, in which case the manifest records why it was skipped.
"""

import argparse
import json
import os
import re
import subprocess

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "examples")
MANIFEST = os.path.join(HERE, "manifest.json")

RESOURCE_PAGES = "calico/reference/resources/"
VERSIONED = "calico_versioned_docs/version-3.32/"
ROUTING_KINDS = (
    "IPPool", "BGPPeer", "BGPConfiguration", "BGPFilter", "IPReservation", "IPAMConfiguration",
    "BlockAffinity", "Node", "KubeControllersConfiguration", "FelixConfiguration", "WorkloadEndpoint",
)
_KIND_LINE = re.compile(r"^\s*(?:-\s+)?kind:\s*(%s)\s*$" % "|".join(ROUTING_KINDS), re.M)
_CALICO_API = re.compile(r"^\s*(?:-\s+)?apiVersion:\s*['\"]?projectcalico\.org/v3", re.M)
_FENCE = re.compile(r"^(\s*)```(\S*)(.*)$")
_HEREDOC = re.compile(r"<<\s*-?\s*['\"]?(\w+)['\"]?")
# a value left for the reader to fill in: <NODE_NAME>, $[prodname], {{ .Values.x }}, ${VAR}, x.x.x.x/16
_PLACEHOLDERS = [
    (re.compile(r"<[A-Za-z][^<>\n]*>"), "placeholder"),
    (re.compile(r"\$\[[^\]]+\]"), "docs variable (filled in when the site is built)"),
    (re.compile(r"\{\{[^}]*\}\}"), "template expression"),
    (re.compile(r"\$\{?[A-Z_][A-Z0-9_]*\}?"), "shell variable"),
    (re.compile(r"\b[xyz](\.[xyz]){3}(/\d+)?"), "placeholder address (not a valid IP)"),
]
_ELLIPSIS = re.compile(r"^\s*(#\s*)?(\.\.\.|…)\s*$|:\s*(\.\.\.|…)\s*$", re.M)


def git_show(repo, commit, path):
    return subprocess.run(["git", "-C", repo, "show", f"{commit}:{path}"], check=True, capture_output=True,
                          text=True).stdout


def git_pages(repo, commit):
    out = subprocess.run(["git", "-C", repo, "ls-tree", "-r", "--name-only", commit, "calico/"], check=True,
                         capture_output=True, text=True).stdout
    return [p for p in out.splitlines() if p.endswith((".md", ".mdx"))]


def fenced_blocks(text):
    """(ordinal from 1, language, body) of every fenced code block, fence indentation removed."""
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, lang = m.group(1), m.group(2)
        body, i = [], i + 1
        while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
            line = lines[i]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            i += 1
        blocks.append((len(blocks) + 1, lang.lower(), "\n".join(body) + "\n"))
        i += 1
    return blocks


def heredocs(body):
    """YAML bodies given to a command through ``<<EOF ... EOF`` in a shell block."""
    out, lines, i = [], body.splitlines(), 0
    while i < len(lines):
        m = _HEREDOC.search(lines[i])
        i += 1
        if not m:
            continue
        end, chunk = m.group(1), []
        while i < len(lines) and lines[i].strip() != end:
            chunk.append(lines[i])
            i += 1
        i += 1
        out.append("\n".join(chunk) + "\n")
    return out


def _wanted(text):
    return bool(_KIND_LINE.search(text) or _CALICO_API.search(text))


def candidates(page, blocks, every_yaml):
    """(name suffix, yaml text) of the blocks of one page worth recording."""
    out = []
    for n, lang, body in blocks:
        if lang in ("bash", "shell", "sh", "") and _HEREDOC.search(body):
            docs = heredocs(body)
            for j, doc in enumerate(docs):
                if _wanted(doc) or (every_yaml and "kind:" in doc):
                    out.append((f"{n:02d}" + (f"-{j + 1}" if len(docs) > 1 else ""), doc))
            continue
        is_yaml = lang in ("yaml", "yml") or (lang == "" and re.search(r"^\s*kind:\s*\S", body, re.M))
        if not is_yaml:
            continue
        if (every_yaml and lang in ("yaml", "yml")) or _wanted(body):
            out.append((f"{n:02d}", body))
    return out


def skip_reason(text):
    """Why a block is not a whole resource, or None when it is one."""
    m = _ELLIPSIS.search(text)
    if m:
        return f"partial snippet: elided with '{' '.join(m.group(0).split())}'"
    for pattern, what in _PLACEHOLDERS:
        m = pattern.search(text)
        if m:
            return f"{what} {m.group(0)!r} left for the reader to fill in"
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        return "not valid YAML: " + " ".join(str(exc).split())
    if not docs:
        return "empty"
    if len(docs) == 1 and isinstance(docs[0], list):
        docs = docs[0]      # calicoctl also reads a YAML sequence of resources (resourcemgr.go)
    for d in docs:
        if not isinstance(d, dict):
            return f"not a resource: a YAML {type(d).__name__}, not a mapping"
        if "items" in d and "kind" not in d:
            return ("a list with its kind cut off (calicoctl refuses it: Object 'Kind' is missing; what"
                    " `calicoctl get -o yaml` prints ends with `kind: <Kind>List`)")
        if d.get("kind") == "CalicoAPIConfig":
            return ("calicoctl's own client configuration (calicoctl.cfg, kind CalicoAPIConfig), not a resource"
                    " of the cluster: calicoctl apply does not take it")
        if "kind" not in d or "apiVersion" not in d:
            keys = ", ".join(list(d)[:4])
            return f"not a resource: no apiVersion/kind (top-level keys: {keys}) - a fragment or Helm values"
    return None


def kinds_of(text):
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
        docs = [d for x in docs for d in (x if isinstance(x, list) else [x]) if isinstance(d, dict)]
    except yaml.YAMLError:
        return sorted(set(m.group(1) for m in re.finditer(r"^\s*(?:-\s+)?kind:\s*(\w+)", text, re.M)))
    kinds = []
    for d in docs:
        items = d.get("items") if str(d.get("kind", "List")).endswith("List") else None
        for item in items if isinstance(items, list) else [d]:
            if isinstance(item, dict) and item.get("kind") not in kinds:
                kinds.append(item.get("kind"))
    return [str(k) for k in kinds]


def slug(page):
    rel = page.split("/", 1)[1] if page.startswith("calico/") else page[len(VERSIONED):]
    return rel.rsplit(".", 1)[0].replace("/", "-").replace("_", "")


def collect(repo, commit):
    entries, texts = [], {}
    for page in git_pages(repo, commit):
        every = page.startswith(RESOURCE_PAGES)
        text = git_show(repo, commit, page)
        found = candidates(page, fenced_blocks(text), every)
        if not found:
            continue
        versioned = VERSIONED + page[len("calico/"):]
        try:
            vtext = git_show(repo, commit, versioned)
        except subprocess.CalledProcessError:
            vtext = None
        pages = [(page, "", found)]
        if vtext is not None and vtext != text:
            seen = {body for _, body in found}
            vfound = [(s, b) for s, b in candidates(versioned, fenced_blocks(vtext), every) if b not in seen]
            pages.append((versioned, "v3.32--", vfound))
        for src, prefix, blocks in pages:
            for suffix, body in blocks:
                name = f"{prefix}{slug(page)}--{suffix}.yaml"
                reason = skip_reason(body)
                entry = {"file": name, "page": src, "block": suffix, "kinds": kinds_of(body),
                         "status": "skipped" if reason else "example"}
                if reason:
                    entry["reason"] = reason
                else:
                    texts[name] = body
                entries.append(entry)
    return entries, texts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("repo", help="a git checkout (or bare mirror) of https://github.com/tigera/docs")
    ap.add_argument("--commit", default="HEAD")
    args = ap.parse_args()
    commit = subprocess.run(["git", "-C", args.repo, "rev-parse", args.commit], check=True, capture_output=True,
                            text=True).stdout.strip()
    entries, texts = collect(args.repo, commit)
    os.makedirs(EXAMPLES, exist_ok=True)
    for old in os.listdir(EXAMPLES):
        os.remove(os.path.join(EXAMPLES, old))
    for name, body in texts.items():
        with open(os.path.join(EXAMPLES, name), "w") as f:
            f.write(f"# from tigera/docs {commit[:12]} {next(e['page'] for e in entries if e['file'] == name)}"
                    f" (Apache-2.0, see ../LICENSE.tigera-docs)\n" + body)
    with open(MANIFEST, "w") as f:
        json.dump({"source": "https://github.com/tigera/docs", "commit": commit, "examples": entries}, f, indent=1)
        f.write("\n")
    print(f"{len(texts)} examples, {len(entries) - len(texts)} skipped, from {commit}")


if __name__ == "__main__":
    main()
