"""Detection label readers: YOLO txt, LLVIP VOC XML, M3FD (VOC XML with its own classes)."""

import pytest

from training.labels import read_labels, read_voc_xml

VOC = """<annotation><size><width>640</width><height>512</height></size>
<object><name>{a}</name><bndbox><xmin>10</xmin><ymin>20</ymin><xmax>50</xmax><ymax>120</ymax>
</bndbox></object>
<object><name>{b}</name><bndbox><xmin>100</xmin><ymin>200</ymin><xmax>300</xmax><ymax>260</ymax>
</bndbox></object></annotation>"""


def test_yolo_labels_with_classes_txt(tmp_path):
    (tmp_path / "classes.txt").write_text("person\ncar\n")
    (tmp_path / "f1.txt").write_text("0 0.5 0.5 0.2 0.4\n1 0.25 0.75 0.5 0.1\n")
    (tmp_path / "f2.txt").write_text("")
    labels = read_labels(tmp_path, size_of=lambda stem: (200, 100))
    assert set(labels) == {"f1", "f2"} and labels["f2"] == []
    person, car = labels["f1"]
    assert (person.label, person.x1, person.y1, person.x2, person.y2) == ("person", 80, 30,
                                                                           120, 70)
    assert car.label == "car" and car.x1 == pytest.approx(0) and car.y2 == pytest.approx(80)
    with pytest.raises(ValueError, match="size_of"):
        read_labels(tmp_path)


def test_llvip_voc_and_m3fd(tmp_path):
    (tmp_path / "010001.xml").write_text(VOC.format(a="person", b="person"))
    boxes = read_labels(tmp_path, "voc")["010001"]
    assert [(b.label, b.x1, b.y1, b.x2, b.y2) for b in boxes] == [
        ("person", 10, 20, 50, 120), ("person", 100, 200, 300, 260)]
    (tmp_path / "010001.xml").write_text(VOC.format(a="People", b="Lamp"))
    assert [b.label for b in read_labels(tmp_path, "m3fd")["010001"]] == ["person"]
    assert [b.label for b in read_labels(tmp_path)["010001"]] == ["people", "lamp"]


def test_bad_label_files_name_themselves(tmp_path):
    bad = tmp_path / "x.xml"
    bad.write_text("<annotation><object><name>car</name></object>")
    with pytest.raises(ValueError, match="x.xml"):
        read_voc_xml(bad)
    bad.write_text("<annotation><object><name>car</name></object></annotation>")
    with pytest.raises(ValueError, match="without a valid bndbox"):
        read_voc_xml(bad)
    with pytest.raises(ValueError, match="unknown label format"):
        read_labels(tmp_path, "kitti")
