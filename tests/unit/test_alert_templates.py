"""Alert text templates: masking and Drain-style merging."""

from __future__ import annotations

from processors.alerts.templates import TemplateMiner, mask


def test_masking_hides_numbers_hosts_ips_and_ids() -> None:
    assert mask("disk 91% on db-7") == ["disk", "<NUM>", "on", "<HOST>"]
    assert mask("up 10.0.0.12:8080, id deadbeef12 at https://x.y/z") == [
        "up", "<IP>", "id", "<HEX>", "at", "<URL>"]
    assert mask("web-03.fra1.example.net:9100 down for 5m") == ["<HOST>", "down", "for", "<NUM>"]
    assert mask("api.fra1.example.net unreachable") == ["<HOST>", "unreachable"]


def test_same_kind_of_alert_is_one_template() -> None:
    miner = TemplateMiner()
    a = miner.add("HostDiskFull disk 91% on db-7")
    b = miner.add("HostDiskFull disk 95% on db-9")
    c = miner.add("HostHighCpu cpu 95% on db-9")
    assert a.template_id == b.template_id != c.template_id
    assert a.text == "HostDiskFull disk <NUM> on <HOST>"


def test_drain_generalises_differing_words_and_keeps_the_id() -> None:
    miner = TemplateMiner(sim_threshold=0.5)
    a = miner.add("PodCrash pod checkout restarted in namespace shop")
    b = miner.add("PodCrash pod cart restarted in namespace shop")
    assert a.template_id == b.template_id
    assert a.text == "PodCrash pod <*> restarted in namespace shop"
    assert miner.add("PodCrash pod basket restarted in namespace shop").template_id == a.template_id


def test_miner_is_bounded() -> None:
    miner = TemplateMiner(max_templates=20)
    for i in range(200):
        miner.add(f"Alert{i} something happened")
    assert len(miner) <= 21
