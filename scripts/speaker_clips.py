"""The speaker benchmarks' clips: designs that each make one thing hard, with their truth.

Every builder is deterministic: seeded choices, the offline voices of make_meeting and
bench_speakers (flite rms/awb, festival slt, kal), and ``sox -D -R`` for pitch shifts.
Each writes a 16 kHz mono s16 wav and returns a ``bench_speakers.Clip``:

- **similar voices**: one synthetic voice and the same voice two semitones lower (slt for
  "two women", rms for "two men"), taking turns;
- **monologue**: one voice for about 40 s, then short turns among three voices;
- **backchannel**: two voices in long lines, with many turns under 1 s ("Yeah.", "OK.")
  from the listener or a third voice that says nothing else;
- **overlap**: three voices, every turn starting 0.3-1.0 s before the previous one ends,
  mixed by adding the waveforms, so the truth's spans overlap.

Lines are trimmed of the synthesiser's leading and trailing silence, so that the truth of a
short turn is its speech rather than the voice's padding. Clips stop growing at a target
length (60-75 s), so each lies within 45-120 s whatever the voices' speed.
``clip_builders`` names every clip of bench_speakers_served: these designs, the real
pyannote sample and bench_speakers' synthetic meetings.
"""

from __future__ import annotations

import random
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from scripts import bench_speakers, make_meeting, real_meetings
from scripts.bench_speakers import Clip, Span

RATE_HZ = 16000
LEAD_S = 1.0  # silence before the first line
TAIL_S = 0.5  # silence after the last
PEAK = 0.6  # every line's peak, as bench_speakers.synthesise leaves it
MIX_PEAK = 0.95  # an overlapped mix is scaled down to this peak when the sum exceeds it
TRIM_LEVEL = 0.02  # of a line's peak: below it, the line's ends count as silence
TRIM_MARGIN_S = 0.02  # kept either side of the speech when trimming
MIN_LEAD_S = 0.3  # a turn starts at least this long after the turn it overlaps
MIN_PAUSE_S = 0.1  # one voice never overlaps itself: it pauses at least this long
SEMITONE_CENTS = 100

BACKCHANNELS = ("Yeah.", "OK.", "Right.", "Uh huh.", "Sure.", "Yes.")
SHORT_REPLIES = ("Yes, that is right.", "Since last Tuesday.", "Twice, I think.",
                 "Not really, no.", "He is at school now.", "Monday works for me.",
                 "I will ring them.", "Only in the mornings.", "About ten pounds.",
                 "She said it was fine.", "No, not yet.", "Thank you, that helps.")


@dataclass(frozen=True)
class Voice:
    """A synthetic voice, optionally shifted in pitch (cents; negative is lower)."""

    base: str  # slt, rms, awb or kal
    cents: int = 0

    @property
    def name(self) -> str:
        return self.base if not self.cents else f"{self.base}{self.cents:+d}c"


Speak = Callable[[Voice, str], np.ndarray]  # (voice, text) -> 16 kHz float32 speech


def place_start(previous: Span | None, gap_s: float, same_voice_end_s: float | None,
                lead_s: float = LEAD_S) -> float:
    """Where a line starts: ``gap_s`` after the previous line's end (negative: before it
    ends, an overlap), yet after the previous line's start and its own voice's last line."""
    if previous is None:
        return lead_s
    start = max(previous.end_s + gap_s, previous.start_s + MIN_LEAD_S)
    if same_voice_end_s is not None:
        start = max(start, same_voice_end_s + MIN_PAUSE_S)
    return start


class Timeline:
    """Lines placed on one track, mixed by addition; the truth is one span per line."""

    def __init__(self, speak: Speak) -> None:
        self._speak = speak
        self._spoken: dict[tuple[Voice, str], np.ndarray] = {}
        self._pieces: list[tuple[int, np.ndarray]] = []  # (first sample, speech)
        self._voice_end_s: dict[str, float] = {}
        self.truth: list[Span] = []

    @property
    def end_s(self) -> float:
        """The end of the last speech on the track."""
        return max((s.end_s for s in self.truth), default=LEAD_S)

    @property
    def last(self) -> Span | None:
        return self.truth[-1] if self.truth else None

    def say(self, voice: Voice, text: str, gap_s: float) -> Span:
        key = (voice, text)
        if key not in self._spoken:
            self._spoken[key] = self._speak(voice, text)
        speech = self._spoken[key]
        start = place_start(self.last, gap_s, self._voice_end_s.get(voice.name))
        first = int(round(start * RATE_HZ))
        span = Span(voice.name, first / RATE_HZ, (first + speech.size) / RATE_HZ)
        self._pieces.append((first, speech))
        self._voice_end_s[voice.name] = span.end_s
        self.truth.append(span)
        return span

    def mix(self) -> np.ndarray:
        total = max((first + s.size for first, s in self._pieces), default=0)
        audio = np.zeros(total + int(TAIL_S * RATE_HZ), dtype=np.float32)
        for first, speech in self._pieces:
            audio[first:first + speech.size] += speech
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        return audio * (MIX_PEAK / peak) if peak > MIX_PEAK else audio

    def write(self, path: Path, name: str) -> Clip:
        sf.write(str(path), self.mix(), RATE_HZ, subtype="PCM_16")
        return Clip(name, path, list(self.truth))


# -- voices -------------------------------------------------------------------------------

def trim(audio: np.ndarray) -> np.ndarray:
    """The speech without the synthesiser's silent ends (a margin kept)."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    loud = np.flatnonzero(np.abs(audio) >= TRIM_LEVEL * peak) if peak else np.zeros(0, int)
    if loud.size == 0:
        return audio
    margin = int(TRIM_MARGIN_S * RATE_HZ)
    return audio[max(0, loud[0] - margin):loud[-1] + 1 + margin]


def pitch_shift(audio: np.ndarray, cents: int, work: Path) -> np.ndarray:
    """The same speech ``cents`` higher (negative: lower), length kept, by sox's WSOLA
    ``pitch``; ``-D`` (no dither) and ``-R`` (fixed seeds) make it repeatable."""
    source, shifted = work / "pitch-in.wav", work / "pitch-out.wav"
    sf.write(str(source), audio, RATE_HZ, subtype="FLOAT")
    subprocess.run(["sox", "-D", "-R", "-V1", str(source), str(shifted), "pitch", str(cents)],
                   check=True, capture_output=True)
    out, rate = sf.read(str(shifted), dtype="float32")
    if rate != RATE_HZ:
        raise RuntimeError(f"sox changed the rate to {rate} Hz")
    peak = float(np.max(np.abs(out))) or 1.0
    return (out / peak * PEAK).astype(np.float32)


def tts(work: Path) -> Speak:
    """The offline voices, trimmed; a shifted voice is its base voice through sox."""
    def speak(voice: Voice, text: str) -> np.ndarray:
        audio = bench_speakers.synthesise(text, voice.base, work)
        if voice.cents:
            audio = pitch_shift(audio, voice.cents, work)
        return trim(audio)
    return speak


# -- designs ------------------------------------------------------------------------------

def script_line(i: int) -> str:
    return make_meeting.SCRIPT[i % len(make_meeting.SCRIPT)][1]


def other(rng: random.Random, voices: list[Voice], previous: Voice | None) -> Voice:
    """A voice other than the previous one, at random."""
    return rng.choice([v for v in voices if v != previous])


def similar_voices(line: Timeline, rng: random.Random, base: str,
                   target_s: float = 60.0) -> None:
    """A voice and itself two semitones lower, taking turns with 0.4-1.2 s pauses."""
    voices = [Voice(base), Voice(base, -2 * SEMITONE_CENTS)]
    offset = rng.randrange(len(make_meeting.SCRIPT))
    i = 0
    while line.end_s < target_s:
        line.say(voices[i % 2], script_line(offset + i), rng.uniform(0.4, 1.2))
        i += 1


def monologue(line: Timeline, rng: random.Random, opening_s: float = 40.0,
              target_s: float = 75.0) -> None:
    """One voice for ``opening_s`` (its lines 0.25-0.45 s apart), then short replies
    (1-2 s) among three voices, no voice twice in a row, 0.3-0.9 s apart."""
    speaker = Voice("rms")
    voices = [speaker, Voice("slt"), Voice("awb")]
    i = 0
    while line.end_s < LEAD_S + opening_s:
        line.say(speaker, script_line(i), rng.uniform(0.25, 0.45))
        i += 1
    previous = speaker
    replies = list(SHORT_REPLIES)
    rng.shuffle(replies)
    j = 0
    while line.end_s < target_s:
        previous = other(rng, voices, previous)
        line.say(previous, replies[j % len(replies)], rng.uniform(0.3, 0.9))
        j += 1


def backchannel(line: Timeline, rng: random.Random, target_s: float = 75.0) -> None:
    """Two voices alternate long lines; after each, one or two turns under 1 s from the
    listener or from a third voice that only ever backchannels, 0.15-0.5 s apart."""
    main = [Voice("slt"), Voice("rms")]
    listeners = main + [Voice("awb")]
    offset = rng.randrange(len(make_meeting.SCRIPT))
    i = 0
    while line.end_s < target_s:
        speaker = main[i % 2]
        line.say(speaker, script_line(offset + i), rng.uniform(0.4, 1.0))
        previous = speaker
        for _ in range(rng.choice((1, 1, 2))):
            previous = other(rng, listeners, previous)
            line.say(previous, rng.choice(BACKCHANNELS), rng.uniform(0.15, 0.5))
        i += 1


def overlap(line: Timeline, rng: random.Random, target_s: float = 75.0) -> None:
    """Three voices, no one twice in a row, each turn starting 0.3-1.0 s before the
    previous one ends."""
    voices = [Voice("slt"), Voice("rms"), Voice("awb")]
    offset = rng.randrange(len(make_meeting.SCRIPT))
    previous: Voice | None = None
    i = 0
    while line.end_s < target_s:
        previous = other(rng, voices, previous)
        line.say(previous, script_line(offset + i), -rng.uniform(0.3, 1.0))
        i += 1


Design = Callable[[Timeline, random.Random], None]

DESIGNS: dict[str, tuple[str, Design]] = {
    "similar_women": ("similar voices: slt and slt 2 semitones lower",
                      lambda t, r: similar_voices(t, r, "slt")),
    "similar_men": ("similar voices: rms and rms 2 semitones lower",
                    lambda t, r: similar_voices(t, r, "rms")),
    "monologue": ("40 s opening monologue (rms), then short turns of 3 voices", monologue),
    "backchannel": ("long lines of 2 voices with turns under 1 s from 3", backchannel),
    "overlap": ("3 voices, each turn 0.3-1.0 s over the previous", overlap),
}


def build(key: str, seed: int, out: Path, speak: Speak | None = None) -> Clip:
    """The clip ``key`` of DESIGNS as ``out/KEY.wav``; ``speak`` defaults to the voices."""
    description, design = DESIGNS[key]
    line = Timeline(speak or tts(out))
    design(line, random.Random(seed))
    return line.write(out / f"{key}.wav", description)


# -- the speaker benchmarks' clips --------------------------------------------------------

# Real AMI meeting excerpts (scripts/real_meetings.py), 30 s each, 2-4 people; trn02 has
# one speaker, so it checks that one voice stays one label.
AMI = tuple(f"ami_{name}" for name in real_meetings.EXCERPTS)
CLIPS = ("sample", "meeting2", "meeting3", "meeting4", "similar_women", "similar_men",
         "monologue", "backchannel", "overlap", *AMI)
DESIGN_SEEDS = {"similar_women": 11, "similar_men": 12, "monologue": 13, "backchannel": 14,
                "overlap": 15}


def clip_builders(turns: int, has_kal: bool) -> dict[str, Callable[[Path], Clip]]:
    """Every clip by its --clips name; the meetings as bench_speakers builds them."""
    casts = {"meeting2": (["slt", "rms"], 1), "meeting3": (["slt", "rms", "awb"], 2)}
    if has_kal:
        casts["meeting4"] = (["slt", "rms", "awb", bench_speakers.FOURTH_VOICE], 3)
    builders: dict[str, Callable[[Path], Clip]] = {
        "sample": lambda _: bench_speakers.sample_clip()}
    for key, (cast, seed) in casts.items():
        builders[key] = lambda out, c=cast, s=seed: bench_speakers.build_meeting(
            c, turns, s, out)
    for key, seed in DESIGN_SEEDS.items():
        builders[key] = lambda out, k=key, s=seed: build(k, s, out)
    for key in AMI:
        builders[key] = lambda out, k=key: real_meetings.clip(k.removeprefix("ami_"), out)
    return builders


def truth_stats(truth: list[Span]) -> dict[str, float | int]:
    """Speakers, spans, speech and overlapped seconds, and spans under 1 s."""
    edges = sorted([(s.start_s, 1) for s in truth] + [(s.end_s, -1) for s in truth])
    active, since, overlapped, speech = 0, 0.0, 0.0, 0.0
    for t, step in edges:  # at equal times ends (-1) sort first: touching is no overlap
        if active >= 1:
            speech += t - since
        if active >= 2:
            overlapped += t - since
        active, since = active + step, t
    return {"speakers": len({s.speaker for s in truth}), "spans": len(truth),
            "speech_s": round(speech, 3), "overlap_s": round(overlapped, 3),
            "spans_under_1s": sum(1 for s in truth if s.end_s - s.start_s < 1.0)}
