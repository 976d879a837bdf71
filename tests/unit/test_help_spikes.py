"""Help-traffic spikes: a surge at one site opens and resolves one, the same volume spread
over sites or a small site's handful does not, and the count is sessions, not clicks."""

from __future__ import annotations

from datetime import UTC, datetime

from models.base import Sample
from processors.help.spikes import CountScore
from tests.unit.test_help_fixtures import (
    START,
    drain,
    hi,
    make,
    run,
    spikes,
)

W = 300
SITES = ("par1", "lon2", "fra1", "ams1", "mad1", "ber1")


def baseline(windows: int = 24, tenant: str = "acme") -> list:
    """One session about the VPN per site per window: an ordinary two hours."""
    return [hi(w * W + 10 + i, session=f"{tenant}-b{w}-{site}", tenant=tenant, site=site,
               user=None)
            for w in range(windows) for i, site in enumerate(SITES)]


def burst(window: int, per_site: dict[str, int], *, query: str = "vpn not connecting",
          tenant: str = "acme", tag: str = "x") -> list:
    return [hi(window * W + 20 + k, session=f"{tag}{window}-{site}-{k}", tenant=tenant,
               site=site, user=None, query=query)
            for site, n in per_site.items() for k in range(n)]


def test_a_surge_at_one_site_opens_a_spike_and_quiet_windows_resolve_it() -> None:
    proc = make()
    events = baseline() + burst(24, {"par1": 30}) + burst(25, {"par1": 25})
    events += [e for e in baseline(30) if e.data.timestamp.timestamp() >= START + 26 * W]
    out = spikes(run(proc, events) + drain(proc))
    sid = f"acme|par1|vpn|{START + 24 * W:.0f}"
    opened, resolved = out[f"{sid}:open"], out[f"{sid}:resolved"]
    assert len(out) == 2 and opened.spike_id == resolved.spike_id == sid
    assert (opened.site, opened.topic, opened.count, opened.window_s) == ("par1", "vpn", 30, W)
    assert opened.score >= 0.5 and 0.5 < opened.expected < 2
    assert len(resolved.sessions) == 20 and resolved.queries == ["vpn connecting"]
    assert resolved.state == "resolved" and resolved.window_start == opened.window_start


def test_the_same_volume_spread_over_sites_does_not_spike() -> None:
    proc = make()
    events = baseline() + burst(24, {s: 5 for s in SITES}) + baseline(30)[24 * 6:]
    assert spikes(run(proc, events) + drain(proc)) == {}


def test_a_small_site_with_three_searches_does_not_spike() -> None:
    proc = make()
    events = baseline() + burst(24, {"tiny9": 3}) + baseline(30)[24 * 6:]
    out = run(proc, events)
    assert "acme|w|tiny9|vpn" in proc.series  # counted, and scored far up: but too few
    assert spikes(out + drain(proc)) == {}


def test_a_new_topic_at_a_known_site_can_spike_at_once_and_a_new_tenant_cannot() -> None:
    proc = make()
    events = baseline() + burst(24, {"par1": 12}, query="impresora atascada")
    events += burst(0, {"par1": 40}, tenant="newco")  # no history: no baseline to beat
    events += baseline(30)[24 * 6:]
    out = spikes(run(proc, events) + drain(proc))
    assert set(out) == {f"acme|par1|printer|{START + 24 * W:.0f}:open",
                        f"acme|par1|printer|{START + 24 * W:.0f}:resolved"}


def test_one_session_searching_over_and_over_counts_once() -> None:
    proc = make()
    events = baseline() + [hi(24 * W + 20 + k, session="frantic", user=None, query="vpn")
                           for k in range(60)]
    assert spikes(run(proc, events + baseline(30)[24 * 6:]) + drain(proc)) == {}


def test_an_article_view_counts_for_the_query_that_led_to_it_else_for_the_article() -> None:
    proc = make()
    run(proc, [hi(0, query="outlook crashed", session="a"), hi(5, "article_view", session="a"),
               hi(6, "article_view", session="b", article="kb-9"), hi(7, "vote", session="c")])
    assert sorted(proc.series) == ["acme|w|par1|email", "acme|w|par1|kb-9"]
    [win] = proc.series["acme|w|par1|email"].windows.values()
    assert win.sessions == {"a"}  # the search and the view: one session


def test_a_quiet_series_is_forgotten_after_its_ttl() -> None:
    proc = make(series_ttl_s=3600)
    run(proc, [hi(0, site="par1"), hi(10, site="lon2")])
    run(proc, [hi(t, site="lon2", session=f"l{t}") for t in range(600, 5 * 3600, 600)])
    assert sorted(proc.series) == ["acme|w|lon2|vpn"]
    assert proc.snapshot()["acme|w|par1|vpn"][1] is None  # deleted in the changelog too


def test_the_count_score_is_one_sided_and_a_run_of_empty_windows_does_not_freeze_it() -> None:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    score = CountScore(warmup=12)
    for _ in range(30):
        score.learn_one(Sample(0.0, t))
    for _ in range(60):  # then an ordinary five sessions per window
        score.learn_one(Sample(5.0, t))
    assert 4.5 < score.expected() < 5.5
    probe = [score.score_one(Sample(float(n), t)) for n in (0, 5, 8, 20, 50)]
    assert probe[0] == 0.0 and probe[1] < 0.1 and probe[2] < 0.5 < probe[3] <= probe[4] == 1.0
    assert CountScore(warmup=12).score_one(Sample(50.0, t)) == 0.0  # cold: never
