"""The Fast DDS profile the node chooses for itself, and the shipped profile's contents."""

import xml.etree.ElementTree as ET

from textfusion_ros.paths import find_shipped
from textfusion_ros.ros.fastdds import (
    CHOICE_VARIABLE,
    LEGACY_PROFILE_VARIABLE,
    PROFILE_VARIABLE,
    QOS_FROM_XML_VARIABLE,
    SHIPPED_PROFILE,
    choose_profile,
)

NS = {"dds": "http://www.eprosima.com"}


def test_the_shipped_profile_is_chosen_when_nothing_is_set():
    environ = {}
    assert choose_profile(environ) == str(find_shipped(SHIPPED_PROFILE))
    assert environ == {PROFILE_VARIABLE: str(find_shipped(SHIPPED_PROFILE)),
                       QOS_FROM_XML_VARIABLE: "1"}  # for its history memory policy
    environ = {QOS_FROM_XML_VARIABLE: "0"}
    choose_profile(environ)
    assert environ[QOS_FROM_XML_VARIABLE] == "0"


def test_a_profile_the_user_set_is_kept():
    for variable in (PROFILE_VARIABLE, LEGACY_PROFILE_VARIABLE):
        environ = {variable: "/etc/my_dds.xml", CHOICE_VARIABLE: "/elsewhere.xml"}
        assert choose_profile(environ) == f"/etc/my_dds.xml (from {variable})"
        assert environ == {variable: "/etc/my_dds.xml", CHOICE_VARIABLE: "/elsewhere.xml"}
    shipped = str(find_shipped(SHIPPED_PROFILE))  # as exported for the camera drivers
    environ = {PROFILE_VARIABLE: shipped}
    assert choose_profile(environ) == f"{shipped} (from {PROFILE_VARIABLE})"
    assert environ == {PROFILE_VARIABLE: shipped, QOS_FROM_XML_VARIABLE: "1"}


def test_the_choice_variable_names_a_profile_or_none():
    environ = {CHOICE_VARIABLE: "/opt/rig.xml"}
    assert choose_profile(environ) == "/opt/rig.xml"
    assert environ == {CHOICE_VARIABLE: "/opt/rig.xml", PROFILE_VARIABLE: "/opt/rig.xml"}
    environ = {CHOICE_VARIABLE: "none"}
    assert "defaults" in choose_profile(environ)
    assert PROFILE_VARIABLE not in environ


def test_other_middlewares_are_left_alone():
    environ = {"RMW_IMPLEMENTATION": "rmw_cyclonedds_cpp"}
    assert "rmw_cyclonedds_cpp is not Fast DDS" in choose_profile(environ)
    assert PROFILE_VARIABLE not in environ
    environ = {"RMW_IMPLEMENTATION": "rmw_fastrtps_dynamic_cpp"}
    choose_profile(environ)
    assert PROFILE_VARIABLE in environ


def test_the_shipped_profile_is_a_default_participant_profile_with_a_large_segment():
    root = ET.parse(find_shipped(SHIPPED_PROFILE)).getroot()
    participant = root.find("dds:profiles/dds:participant", NS)
    assert participant.get("is_default_profile") == "true"
    used = [t.text for t in participant.findall("dds:rtps/dds:userTransports/dds:transport_id",
                                                NS)]
    descriptors = {d.find("dds:transport_id", NS).text: d
                   for d in root.findall("dds:profiles/dds:transport_descriptors/"
                                         "dds:transport_descriptor", NS)}
    kinds = {descriptors[name].find("dds:type", NS).text: descriptors[name] for name in used}
    assert set(kinds) == {"SHM", "UDPv4"}  # the builtin pair, replaced as a whole
    assert participant.find("dds:rtps/dds:useBuiltinTransports", NS).text == "false"
    segment = int(kinds["SHM"].find("dds:segment_size", NS).text)
    assert segment >= 8 * 640 * 512 * 3  # several 640×512 colour frames, not 512 KB


def test_the_shipped_profile_frees_history_payloads_with_their_samples():
    root = ET.parse(find_shipped(SHIPPED_PROFILE)).getroot()
    for kind in ("data_writer", "data_reader"):
        profile = root.find(f"dds:profiles/dds:{kind}", NS)
        assert profile.get("is_default_profile") == "true"
        assert profile.find("dds:historyMemoryPolicy", NS).text == "DYNAMIC"
