"""Recognising formats from the content, the registry, and what the samples load as."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from etl.contract import FileRejected
from etl.formats import FORMATS, UnknownFormat, UnreadableFile, convert, detect, guidance

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "docs" / "samples"
EXPECTED = {
    "v1_messages.csv": "v1",
    "whatsapp_webhook.jsonl": "whatsapp_webhook",
    "twilio_messages.csv": "twilio_csv",
    "twilio_bulkexport.jsonl.gz": "twilio_bulkexport",
    "meta_pricing_analytics.json": "meta_pricing_analytics",
}


def test_every_format_has_a_document_and_a_sample_that_it_recognises():
    assert {f.sample.split("/")[-1] for f in FORMATS.values()} == set(EXPECTED)
    for name, fmt in FORMATS.items():
        assert (REPO / fmt.sample).is_file()
        assert (REPO / fmt.doc).is_file()
        assert detect(REPO / fmt.sample) == name
    for name in FORMATS:
        if name != "v1":
            assert (REPO / "docs" / "formats" / f"{name}.md").is_file()
    assert (REPO / "docs" / "formats" / "README.md").is_file()


def test_the_name_does_not_decide_the_content_does(tmp_path):
    for sample, fmt in EXPECTED.items():
        misleading = tmp_path / ("data.csv" if not sample.endswith(".csv") else "data.json")
        shutil.copy(SAMPLES / sample, misleading)
        assert detect(misleading) == fmt, sample
        zipped = tmp_path / "export.txt"
        zipped.write_bytes(
            gzip.compress((SAMPLES / sample).read_bytes())
            if not sample.endswith(".gz")
            else (SAMPLES / sample).read_bytes()
        )
        assert detect(zipped) == fmt, sample


def test_a_large_first_body_is_still_recognised(tmp_path):
    path = tmp_path / "big.json"
    path.write_text('{"object": "whatsapp_business_account", "padding": "' + "x" * (2 << 20) + '", "entry": []}')
    assert detect(path) == "whatsapp_webhook"


def test_a_file_that_matches_nothing_gets_guidance_naming_every_format(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("colour,size\nred,3\n")
    assert detect(path) is None
    with pytest.raises(UnreadableFile) as exc:
        convert(path, None, tmp_path / "o")
    text = str(exc.value)
    assert text == guidance("notes.csv") and text.startswith("notes.csv: matches none of the formats")
    for fmt in FORMATS.values():
        assert fmt.title in text and fmt.sample in text
    assert isinstance(exc.value, FileRejected)
    for content in (b"", b"\x00\x01\x02", b"   \n"):
        path.write_bytes(content)
        assert detect(path) is None


def test_unknown_names_and_unreadable_files_are_one_sentence(tmp_path):
    with pytest.raises(UnknownFormat, match="'nope' is not a format name; the names are: v1, whatsapp_webhook"):
        convert(SAMPLES / "v1_messages.csv", "nope", tmp_path)
    bad_gz = tmp_path / "hooks.jsonl.gz"
    bad_gz.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(UnreadableFile, match=r"^hooks.jsonl.gz: is not a readable gzip file"):
        convert(bad_gz, "whatsapp_webhook", tmp_path)
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(b'{"a": 1}\n{"b": "caf\xe9"}\n')
    with pytest.raises(UnreadableFile, match=r"^latin.jsonl: line 2 is not UTF-8 text"):
        convert(latin, "whatsapp_webhook", tmp_path)
    with pytest.raises(UnreadableFile, match=r"^missing.json: no such file$"):
        convert(tmp_path / "missing.json", "whatsapp_webhook", tmp_path)
    big = tmp_path / "big.jsonl"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(UnreadableFile, match=r"^big.jsonl: is 0 MB, larger than the 0 MB limit$"):
        convert(big, "whatsapp_webhook", tmp_path, max_bytes=1024)


def test_v1_files_pass_through_unconverted(tmp_path):
    conv = convert(SAMPLES / "v1_messages.csv", None, tmp_path)
    assert conv.passthrough and conv.files == {"messages": SAMPLES / "v1_messages.csv"} and conv.loadable


def test_the_samples_load_with_nothing_quarantined_and_a_second_load_changes_nothing(tmp_path):
    from etl.ingest.load import exit_code, load_files

    files = [SAMPLES / "v1_messages.csv"]
    for sample in ("whatsapp_webhook.jsonl", "twilio_messages.csv", "twilio_bulkexport.jsonl.gz"):
        conv = convert(SAMPLES / sample, None, tmp_path / "out")
        files += [p for k, p in conv.files.items() if k in ("messages", "businesses", "opt_outs")]
    root = tmp_path / "store"
    first = load_files(root, files, user="test", rebuild=False)
    assert exit_code(first) == 0, [(r.file, r.error, r.top_reasons) for r in first]
    assert sum(r.loaded for r in first) == sum(r.rows_read for r in first) > 20
    again = load_files(root, files, user="test", rebuild=False)
    assert exit_code(again) == 0 and sum(r.loaded for r in again) == 0
