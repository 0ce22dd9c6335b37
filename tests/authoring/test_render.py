"""The rendered policy document: every rule, row and parameter is there with a stable
anchor, its words say what the YAML says, and the HTML needs nothing from elsewhere."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from decision_engine.authoring import words
from decision_engine.authoring.render import anchor, render
from decision_engine.policy import model as m
from decision_engine.policy.registry import PolicyVersion, Registry

REGISTRY = Registry.load()
VERSIONS = [pv for f in REGISTRY.families() for pv in REGISTRY.versions(f)]


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.external: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for k, v in attrs:
            if k == "id" and v:
                self.ids.append(v)
            if k in ("src", "href") and v and not v.startswith("#"):
                self.external.append(f"{tag} {k}={v}")


@pytest.mark.parametrize("pv", VERSIONS, ids=lambda pv: f"{pv.family}-{pv.version}")
def test_every_rule_row_and_parameter_has_a_unique_anchor(pv: PolicyVersion) -> None:
    page = _Ids()
    page.feed(render(pv, "html"))
    assert len(page.ids) == len(set(page.ids)), "duplicate anchors"
    expected = {anchor("rule", r.id) for r in pv.policy.rules}
    expected |= {anchor("row", t, k) for t, tab in pv.policy.tables.items() for k in tab.rows}
    expected |= {anchor("param", p) for p in pv.policy.parameters}
    assert expected <= set(page.ids)
    assert not page.external, "the page must not load or link anything from elsewhere"
    assert not {"script", "link", "img", "iframe"} & set(page.tags)
    md = render(pv, "md")
    for ident in expected:
        assert f'<a id="{ident}"></a>' in md


def test_rule_anchor_is_the_rule_id() -> None:
    assert anchor("rule", "band-3-youth-caution") == "rule-band-3-youth-caution"
    assert anchor("row", "offences", "theft_from_shop") == "row-offences-theft_from_shop"


def test_offence_rows_show_base_score_verified_and_source() -> None:
    pv = REGISTRY.get("gravity-matrix", "npcc-2025")
    md = render(pv, "md")
    row = next(line for line in md.splitlines() if 'id="row-offences-robbery"' in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    header = next(line for line in md.splitlines() if line.startswith("| key | title | base_score"))
    names = [c.strip() for c in header.strip("|").split("|")]
    assert cells[names.index("base_score")] == "5"
    assert cells[names.index("verified")] == "no"
    assert cells[names.index("source")].startswith("S2 (NPCC Child Gravity Matrix")
    assert "| in force from | 2025-02-01 |" in md
    assert f"| sha256 | {pv.sha256} |" in md


def test_rule_in_words_follows_the_yaml() -> None:
    pv = REGISTRY.get("gravity-matrix", "npcc-2025")
    md = render(pv, "md")
    assert ("When admission is admitted and signed_consent is false: blocks "
            "youth_conditional_caution.") in md
    assert "When final_score is at least 4: raises joint_decision_required." in md
    assert ("When age is less than 17: raises appropriate_adult_required — only when the "
            "outcome is youth_caution.") in md


def test_html_escapes_policy_text(tmp_path: object) -> None:
    pv = REGISTRY.get("gravity-matrix", "npcc-2025")
    rule = pv.policy.rules[0].model_copy(update={"reason": "<script>x</script> & more"})
    policy = pv.policy.model_copy(update={"rules": [rule, *pv.policy.rules[1:]]})
    doctored = PolicyVersion(pv.family, pv.entry, policy, pv.sha256, pv.path, pv.text)
    page = render(doctored, "html")
    assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt; &amp; more" in page


_facts = st.sampled_from(["age", "admission", "final_score", "offence_traffic"])
_leaf = st.builds(lambda f, op, v: m.Compare.model_validate({"fact": f, op: v}), _facts,
                  st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]),
                  st.integers(0, 20))
_cond = st.recursive(_leaf, lambda c: st.one_of(
    st.builds(lambda xs: m.AllOf(all=xs), st.lists(c, min_size=1, max_size=3)),
    st.builds(lambda xs: m.AnyOf(any=xs), st.lists(c, min_size=1, max_size=3)),
    st.builds(lambda x: m.Not.model_validate({"not": x}), c)), max_leaves=8)


def _leaves(c: object) -> list[m.Compare]:
    if isinstance(c, m.Compare):
        return [c]
    if isinstance(c, m.AllOf):
        return [x for p in c.all for x in _leaves(p)]
    if isinstance(c, m.AnyOf):
        return [x for p in c.any for x in _leaves(p)]
    assert isinstance(c, m.Not)
    return _leaves(c.not_)


@given(_cond)
def test_words_name_every_comparison_in_order_with_balanced_brackets(c: object) -> None:
    text = words.condition(c)
    assert text.count("(") == text.count(")")
    pos = 0
    for leaf in _leaves(c):
        op, v = leaf.operator()
        phrase = f"{leaf.fact} {words._OPS[op]} {v}"
        found = text.find(phrase, pos)
        assert found >= 0, (phrase, text)
        pos = found + len(phrase)
    assert re.search(r"\band\b", text) or not isinstance(c, m.AllOf) or len(c.all) == 1


def test_an_unverified_parameter_says_what_confirming_it_means() -> None:
    """A reading of a national text is confirmed against that text; a local setting by the
    service (Parameter.kind): the policy document says which, beside the value."""
    text = render(REGISTRY.get("gravity-matrix", "npcc-2025-r4"), "md")
    row = {m_.group(1): m_.group(0) for m_ in re.finditer(
        r"(?m)^\| <a id=\"param-(\w+)\"></a>.*$", text)}
    assert "a reading of a published text" in row["band_1_outcome"]
    assert "a local setting" in row["uses_enhanced_community_resolution"]
    assert "a local setting" not in row["score_min"]  # verified: nothing to confirm
    assert "a reading" not in row["score_min"]
