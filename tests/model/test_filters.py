"""BGPFilter rules: v3.32's rule fields as confd v3.32.1 writes them, and the errors that name
file, document, field and value (projectcalico/calico ``api/pkg/apis/projectcalico/v3/bgpfilter.go``,
``confd/pkg/resource/template/template_funcs.go``)."""

import pytest

from fastroute.errors import ResourceError
from fastroute.model import reader
from fastroute.model.filters import filter_call, filter_functions

HEAD = "apiVersion: projectcalico.org/v3\nkind: BGPFilter\nmetadata: {name: f}\nspec:\n"


def _filter(spec):
    return reader.loads(HEAD + spec, "f.yaml").bgp_filters[0]


def test_every_v332_field_renders_as_confd():
    f = _filter("""  importV4:
  - {action: Accept, cidr: 10.0.0.0/8, matchOperator: In, prefixLength: {min: 16, max: 30},
     communities: {values: ['65000:100:7']}, asPathPrefix: [65001, '1.10'], priority: 100,
     operations: [{addCommunity: {value: '65000:1'}}, {prependASPath: {prefix: [1, 2]}}, {setPriority: {value: 7}}]}
  - {action: Reject, peerType: eBGP}
""")
    lines = filter_functions([f], 4, v332_rules=True)
    assert lines[1] == "function 'bgp_f_importFilterV4'(bool is_same_as) {"
    assert lines[2] == ("  if ((net ~ [ 10.0.0.0/8{16,30} ])&&((65000, 100, 7) ~ bgp_large_community)&&"
                        "(bgp_path ~ [= 65001 65546 * =])&&(defined(bgp_local_pref)&&(bgp_local_pref = 2147483547)))"
                        " then { bgp_community.add((65000, 1)); bgp_path.prepend(2); bgp_path.prepend(1); "
                        "bgp_local_pref = 2147483640; accept; }")
    assert lines[3] == "  if (!is_same_as) then { reject; }"
    assert filter_call(f, "import", 4, same_as=False) == "'bgp_f_importFilterV4'(false)"


def test_a_direction_without_peer_type_takes_no_argument():
    f = _filter("  exportV4: [{action: Accept, priority: 5}]\n  importV4: [{action: Reject, peerType: iBGP}]\n")
    assert filter_call(f, "export", 4, same_as=True) == "'bgp_f_exportFilterV4'()"
    assert filter_call(f, "import", 4, same_as=True) == "'bgp_f_importFilterV4'(true)"


def test_older_releases_refuse_v332_fields_naming_them():
    f = _filter("  exportV4: [{action: Accept, priority: 5}]\n")
    with pytest.raises(ResourceError, match=r"f\.yaml.*spec\.exportV4\[0\]\.priority.*v3\.32"):
        filter_functions([f], 4)


@pytest.mark.parametrize("rule, where, value", [
    ("{action: Reject, operations: [{setPriority: {value: 3}}]}", "spec.exportV4[0].operations", "Accept"),
    ("{action: Accept, priority: 0}", "spec.exportV4[0].priority", "0"),
    ("{action: Accept, peerType: IBGP}", "spec.exportV4[0].peerType", "'IBGP'"),
    ("{action: Accept, communities: {values: ['70000:1']}}", "spec.exportV4[0].communities.values[0]", "70000:1"),
    ("{action: Accept, asPathPrefix: [x]}", r"spec.exportV4[0].asPathPrefix[0]", "'x'"),
    ("{action: Accept, prefixLength: {min: 8}}", "spec.exportV4[0].prefixLength", "cidr is required"),
    ("{action: Accept, cidr: 10.0.0.0/8, matchOperator: In, prefixLength: {max: 33}}",
     "spec.exportV4[0].prefixLength.max", "33"),
    ("{action: Accept, operations: [{setPriority: {value: 3}, addCommunity: {value: '1:1'}}]}",
     "spec.exportV4[0].operations[0]", "exactly one"),
    ("{action: Accept, operations: [{prependASPath: {}}]}",
     "spec.exportV4[0].operations[0].prependASPath.prefix", "missing"),
    ("{action: Accept, matchOperator: In}", "spec.exportV4[0].matchOperator", "both"),
])
def test_invalid_rules_name_file_document_field_and_value(rule, where, value):
    with pytest.raises(ResourceError) as e:
        _filter(f"  exportV4: [{rule}]\n")
    text = str(e.value)
    assert "f.yaml" in text and where in text and value in text, text
