"""Topic terms of texts and names: what the correlation compares tickets and alerts by."""

from __future__ import annotations

from processors.correlation.terms import (
    OUTAGE,
    is_request,
    name_terms,
    not_outage,
    site_wide,
    sites_in,
    terms,
    words,
)


def test_alert_and_service_names_split_into_their_subject() -> None:
    assert terms(["VpnTunnelDown and 2 other alerts on vpn-gw on 3 hosts at par1"],
                 exclude=["par1"]) <= {"vpn", "gw", "vpngw"}
    assert name_terms("UPSOnBattery") == {"power"}
    assert name_terms("par1-vpn-02", ("par1",)) == {"vpn"}


def test_synonyms_meet_in_one_term_whatever_the_product_name() -> None:
    assert terms(["AnyConnect keeps dropping"]) >= {"vpn"}
    assert terms(["Outlook not syncing"]) >= {"email"}
    assert "wifi" in terms(["Wi-Fi gone"]) and "email" in terms(["E-mail stuck"])
    assert "password" in terms(["olvidé mi contraseña"])  # accents folded


def test_words_that_say_nothing_about_what_broke_are_dropped() -> None:
    assert terms(["It is down again, please help urgently asap"]) - {"urgently"} == set()
    assert terms(["HostHighCpuLoad"]) <= {"hosthighcpuload"}  # CPU alerts name no subject


def test_a_text_that_only_says_things_are_broken_gets_the_outage_term() -> None:
    assert terms(["Everything is down, nothing works"]) == {OUTAGE}
    assert terms(["The whole office is offline, lights out"]) == {OUTAGE, "power"}
    assert OUTAGE not in terms(["VPN down"])


def test_requests_and_questions_are_told_from_fault_reports() -> None:
    assert is_request("How do I set up VPN on my new laptop?")
    assert is_request("Add me to the sales mailing list")
    assert is_request("New laptop request")
    assert is_request("", "What is this week's guest wifi password?")
    assert not is_request("VPN not connecting", "Nobody on floor 3 can connect")
    assert not is_request("Could you check the VPN? It drops every minute")


def test_site_names_are_found_in_text_as_whole_words_case_blind() -> None:
    assert sites_in("Cannot connect from PAR1 since 9:00", ["par1", "lon1"]) == ["par1"]
    assert sites_in("room par10, floor 2", ["par1"]) == []


def test_site_wide_incidents_are_power_reachability_or_many_services() -> None:
    assert site_wide("SitePowerLoss at par1", 1, 1)
    assert site_wide("InstanceDown and 3 other alerts", 1, 2)
    assert site_wide("HighErrorRate", 3, 3)
    assert not site_wide("VpnTunnelDown on vpn-gw", 1, 2)


def test_words_keep_a_camel_case_word_whole_and_in_parts() -> None:
    assert words("GlobalProtect") == ["globalprotect", "global", "protect"]
    assert words("HTTP 500") == ["http"]


def test_hyphenated_words_plurals_and_short_system_names_meet_their_service() -> None:
    assert "checkin" in terms(["check-in kiosks show an error"]) & name_terms("checkin")
    assert "ad" in terms(["Ads are not showing"]) & name_terms("ad-server")
    assert "rx" in terms(["Rx screen freezes"]) & name_terms("RxAppDown")
    assert terms(["it is on me, no"]) == set()  # two-letter function words say nothing


def test_a_site_is_found_by_its_parts_or_a_part_only_it_has() -> None:
    known = ["store-014", "store-102", "dc-north", "hq-leeds"]
    assert sites_in("Checkout is frozen in store 14.", known) == ["store-014"]
    assert sites_in("no wifi at the north DC", known) == ["dc-north"]
    assert sites_in("here at Leeds head office", known) == ["hq-leeds"]
    assert sites_in("the store is closed", known) == []


def test_past_or_personal_problems_are_no_outage_symptom() -> None:
    assert not_outage("Email was slow for me this morning, fine now, just FYI")
    assert not_outage("Excel crashes when I open big files, only on my machine")
    assert not not_outage("Email is down for the whole floor")
