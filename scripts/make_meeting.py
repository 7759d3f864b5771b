#!/usr/bin/env python3
"""Synthesise a multi-voice meeting with known words, speakers and times.

Voices come from Debian packages (flite: rms, awb; festival: slt HTS), all offline and
deterministic. Writes NAME.wav (16 kHz mono s16) and NAME.json (the truth: one entry per
utterance with speaker, start_s, end_s, text).

    python scripts/make_meeting.py OUT_DIR [--turns N] [--name NAME] [--script FILE]

``--script`` takes a JSON list of ``[role, text]`` pairs (roles: worker, parent, uncle)
instead of the built-in home visit, or a meeting script such as scripts/note_meetings/*.json
(``{"voices": {role: voice}, "turns": [[role, text], ...]}``): its roles take the voices it
names (slt, rms, awb, or kal: festival's kal_diphone) and labels S1, S2, ... in that order.

Synthetic voices are far easier to tell apart than real people: use these meetings for
latency, load and plumbing, never to judge diarisation alone.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

RATE_HZ = 16000

# A home visit: social worker (S1), parent (S2), the parent's brother (S3).
SCRIPT = [
    ("worker", "Thanks for letting me come round this morning. How have things been since my last visit?"),
    ("parent", "Better, mostly. Jayden has been going to school every day this week."),
    ("worker", "That is really good to hear. How is he getting on with his new teacher?"),
    ("parent", "He likes her. She rang me on Tuesday to say he had a good week."),
    ("uncle", "He told me he wants to join the football club on Saturdays."),
    ("worker", "That sounds positive. Is there anything getting in the way of that?"),
    ("parent", "Money, really. The boots cost forty pounds and the fees are ten pounds a month."),
    ("worker", "I can look into the activity fund for you. I will check before our next meeting."),
    ("parent", "That would help a lot. The gas meter ran out twice last month."),
    ("worker", "Were you without heating for long?"),
    ("parent", "Two nights the first time. My brother lent me the money to top it up."),
    ("uncle", "I can help now and then, but I cannot do it every week."),
    ("worker", "Let us make a referral to the energy support scheme, so it does not happen again."),
    ("parent", "Yes please. I did not know there was anything like that."),
    ("worker", "How are you sleeping? Last time you said you felt very tired."),
    ("parent", "A bit better. The doctor gave me an appointment for the eighth of December."),
    ("worker", "Good. Would you like me to come with you, or is your brother going?"),
    ("uncle", "I will take her. I have the day off work."),
    ("worker", "Great. And how is Jayden at home in the evenings?"),
    ("parent", "He is calmer. We sit down for tea together now, like you suggested."),
    ("worker", "I noticed his room is tidy and there are drawings on the wall."),
    ("parent", "He did those at the weekend. He is proud of them."),
    ("worker", "So, to sum up. I will apply to the activity fund and make the energy referral by Friday."),
    ("parent", "And I will go to the doctor on the eighth and let you know how it went."),
    ("worker", "Perfect. I will visit again in two weeks. Thank you both."),
]

VOICES = {"worker": "slt", "parent": "rms", "uncle": "awb"}
LABELS = {"worker": "S1", "parent": "S2", "uncle": "S3"}
FESTIVAL_VOICES = {"slt": "(voice_cmu_us_slt_arctic_hts)", "kal": "(voice_kal_diphone)"}


def spoken(text: str) -> str:
    """Text as the voices should read it: they know neither "£" nor "%"."""
    text = re.sub(r"£(\d[\d,]*)\.(\d\d)\b", r"\1 pounds \2", text)
    text = re.sub(r"£(\d[\d,]*)", r"\1 pounds", text)
    return text.replace("%", " percent")


def synthesise(text: str, voice: str, work: Path) -> np.ndarray:
    out = work / "utt.wav"
    text = spoken(text)
    if voice in FESTIVAL_VOICES:
        subprocess.run(["text2wave", "-eval", FESTIVAL_VOICES[voice], "-o", str(out)],
                       input=text.encode(), check=True, capture_output=True)
    else:
        subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(out)], check=True,
                       capture_output=True)
    audio, rate = sf.read(str(out), dtype="float32")
    if audio.ndim > 1:
        audio = audio.mean(axis=1)
    audio = soxr.resample(audio, rate, RATE_HZ) if rate != RATE_HZ else audio
    peak = float(np.max(np.abs(audio))) or 1.0
    return (audio / peak * 0.6).astype(np.float32)


def build(turns: int, seed: int, script: list[tuple[str, str]] | None = None,
          voices: dict[str, str] | None = None) -> tuple[np.ndarray, list[dict[str, object]]]:
    """The script's first ``turns`` lines (cycling) as audio, and each one's truth.

    ``voices`` maps the script's roles to voices (labels S1, S2, ... in its order); by
    default the home visit's. Truth entries also say the role and the script line (turn).
    """
    script = script or SCRIPT
    labels = {role: f"S{i + 1}" for i, role in enumerate(voices)} if voices else LABELS
    voices = voices or VOICES
    rng = random.Random(seed)
    pieces = [np.zeros(int(1.0 * RATE_HZ), dtype=np.float32)]
    cursor = 1.0
    truth = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(turns):
            who, text = script[i % len(script)]
            speech = synthesise(text, voices[who], Path(tmp))
            truth.append({"speaker": labels[who], "start_s": round(cursor, 3),
                          "end_s": round(cursor + speech.size / RATE_HZ, 3), "text": text,
                          "role": who, "turn": i % len(script)})
            gap = rng.uniform(0.4, 1.2)
            pieces += [speech, np.zeros(int(gap * RATE_HZ), dtype=np.float32)]
            cursor += speech.size / RATE_HZ + int(gap * RATE_HZ) / RATE_HZ
    pieces.append(np.zeros(int(0.5 * RATE_HZ), dtype=np.float32))
    return np.concatenate(pieces), truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--turns", type=int, help="utterances (default: the whole script)")
    parser.add_argument("--script", type=Path,
                        help="JSON list of [role, text] pairs, or a meeting script")
    parser.add_argument("--name", help="output name (default: home_visit, or the script's)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    loaded = json.loads(args.script.read_text(encoding="utf-8")) if args.script else SCRIPT
    meeting = loaded if isinstance(loaded, dict) else None
    pairs = meeting["turns"] if meeting else loaded
    script = [tuple(pair) for pair in pairs]
    name = args.name or (args.script.stem if meeting else "home_visit")
    audio, truth = build(args.turns or len(script), args.seed, script,
                         meeting["voices"] if meeting else None)
    wav = args.out_dir / f"{name}.wav"
    sf.write(str(wav), audio, RATE_HZ, subtype="PCM_16")
    (args.out_dir / f"{name}.json").write_text(json.dumps(
        {"audio": wav.name, "duration_s": round(audio.size / RATE_HZ, 3), "utterances": truth},
        indent=1))
    print(f"{wav}: {audio.size / RATE_HZ:.1f} s, {len(truth)} utterances")


if __name__ == "__main__":
    main()
