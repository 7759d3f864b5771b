"""Who said what, end to end: labels on finals, relabels at stop, names in exports."""

import json
import subprocess
import sys
from collections import Counter

import httpx
import pytest

from tests.conftest import ROOT
from tests.streaming import load_pcm, stream_pcm

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def meeting(tmp_path_factory):
    folder = tmp_path_factory.mktemp("meeting")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_meeting.py"), str(folder),
                    "--turns", "9"], check=True, capture_output=True)
    return folder / "home_visit.wav", json.loads((folder / "home_visit.json").read_text())


def true_speaker(truth, start, end):
    talk = Counter()
    for u in truth["utterances"]:
        overlap = min(end, u["end_s"]) - max(start, u["start_s"])
        if overlap > 0:
            talk[u["speaker"]] += overlap
    return talk.most_common(1)[0][0] if talk else None


async def test_three_voices_get_three_labels_that_settle_at_stop(server, meeting):
    wav, truth = meeting
    pcm, rate = load_pcm(wav)
    result = await stream_pcm(server.ws(), pcm, rate, realtime=False)
    meeting_id = result.started["meeting_id"]
    kinds = [f["type"] for f in result.frames]
    assert kinds.index("stopped") < len(kinds) - 1  # relabels and the note may follow
    live = {f["segment_id"]: f["speaker"] for f in result.finals}
    for frame in result.of("speakers"):
        assert all(change["segment_id"] in live for change in frame["changes"])
        for change in frame["changes"]:
            live[change["segment_id"]] = change["speaker"]
    async with httpx.AsyncClient(base_url=server.http, headers=server.headers) as http:
        stored = (await http.get(f"/v1/meetings/{meeting_id}")).json()
    assert {s["segment_id"]: s["speaker"] for s in stored["segments"]} == live
    # Each label stands for one voice and each voice for one label.
    pairs = Counter((true_speaker(truth, s["start"], s["end"]), s["speaker"])
                    for s in stored["segments"])
    by_truth = {}
    for (voice, label), count in pairs.most_common():
        by_truth.setdefault(voice, label)
    assert len(by_truth) == 3 and len(set(by_truth.values())) == 3
    agree = sum(count for (voice, label), count in pairs.items() if by_truth[voice] == label)
    assert agree / sum(pairs.values()) >= 0.85


async def test_names_reach_exports(server, meeting):
    wav, _ = meeting
    pcm, rate = load_pcm(wav)
    pcm = pcm[: 20 * rate * 2]
    result = await stream_pcm(server.ws(), pcm, rate)
    meeting_id = result.started["meeting_id"]
    labels = sorted({f["speaker"] for f in result.finals})
    async with httpx.AsyncClient(base_url=server.http, headers=server.headers) as http:
        await http.patch(f"/v1/meetings/{meeting_id}/speakers",
                         json={labels[0]: {"name": "Sarah", "role": "social worker"}})
        txt = (await http.get(f"/v1/meetings/{meeting_id}/transcript.txt")).text
        vtt = (await http.get(f"/v1/meetings/{meeting_id}/transcript.vtt")).text
        body = (await http.get(f"/v1/meetings/{meeting_id}")).json()
    assert "Sarah (social worker):" in txt
    assert "<v Sarah (social worker)>" in vtt
    assert body["speakers"][labels[0]] == {"name": "Sarah", "role": "social worker"}
