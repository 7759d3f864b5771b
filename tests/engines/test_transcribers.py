"""The real models on real speech (jfk.wav from whisper.cpp, sample.wav from pyannote.audio)."""

import re

import jiwer
import pytest
import soundfile as sf

from server.engines import load_transcriber
from server.modelstore import ModelStore
from server.offline import transcribe_audio
from server.settings import Settings

pytestmark = pytest.mark.models


def norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z' ]+", " ", text.lower()).split())


@pytest.fixture(scope="module")
def utterance_engine():
    settings = Settings()
    return load_transcriber(settings, ModelStore(settings.model_cache_dir))


def read(path):
    audio, rate = sf.read(str(path), dtype="float32")
    assert rate == 16000
    return audio


def stream_with_partials(engine, audio, frame_s=0.1):
    stream = engine.open_stream("en")
    finals, partials = [], []
    step = int(frame_s * 16000)
    for lo in range(0, audio.size, step):
        stream.accept(audio[lo:lo + step])
        update = stream.step()
        finals += update.finals
        if update.partial is not None and update.partial.text:
            partials.append(update.partial)
    finals += stream.finish().finals
    return finals, partials


def test_jfk_phrases_from_the_streaming_policy(utterance_engine, jfk_wav):
    finals, partials = stream_with_partials(utterance_engine, read(jfk_wav))
    text = norm(" ".join(f.text for f in finals))
    for phrase in ("my fellow americans", "ask not", "what your country can do for you",
                   "ask what you can do for your country"):
        assert phrase in text
    assert partials, "an utterance this long shows provisional text before its final"
    times = [(f.start_s, f.end_s) for f in finals]
    assert times == sorted(times) and all(s < e <= 11.1 for s, e in times)
    for final in finals:
        assert final.words and final.words[0].start_s >= final.start_s - 0.01
        assert final.words[-1].end_s <= final.end_s + 0.01


def test_two_voice_conversation_word_error_rate(utterance_engine, sample_wav):
    rows = transcribe_audio(utterance_engine, read(sample_wav), "en")
    hypothesis = norm(" ".join(r.text for r in rows))
    stm = (sample_wav.parent / "sample.stm").read_text().splitlines()
    reference = norm(" ".join(line.split(maxsplit=5)[5] for line in stm if line.strip()))
    for phrase in ("new jersey", "chicago", "yankee down here"):
        assert phrase in hypothesis
    # Whisper base on a phone-quality two-voice clip with overlaps; offline base gets ~0.15.
    assert jiwer.wer(reference, hypothesis) < 0.3


def test_whisperlivekit_policy_on_the_same_clip(jfk_wav):
    settings = Settings(transcriber="whisperlivekit", language="en")
    engine = load_transcriber(settings, ModelStore(settings.model_cache_dir))
    finals, _ = stream_with_partials(engine, read(jfk_wav), frame_s=0.5)
    text = norm(" ".join(f.text for f in finals))
    assert "fellow americans" in text and "your country" in text


# Talk that opens with a title and a name, with numbers and initials, read without pauses
# long enough to end an utterance: finals may only be cut at real sentence ends.
ABBREVIATED = ("Mr. Patel and Dr. Jones came to see us this morning at St. Mary's. The rent is "
               "one thousand two hundred and forty pounds, up three point five percent. "
               "J. R. Smith from housing signed the letter. Mrs. Okafor said it was fine.")


@pytest.fixture(scope="module")
def abbreviated_wav(tmp_path_factory):
    import subprocess

    out = tmp_path_factory.mktemp("abbrev") / "read.wav"
    subprocess.run(["flite", "-voice", "rms", "-t", ABBREVIATED, "-o", str(out)], check=True)
    audio, rate = sf.read(str(out), dtype="float32")
    import soxr
    return soxr.resample(audio, rate, 16000).astype("float32")


def test_a_reading_that_opens_with_a_title_is_not_cut_inside_it(utterance_engine,
                                                                 abbreviated_wav):
    finals, _ = stream_with_partials(utterance_engine, abbreviated_wav)
    texts = [f.text for f in finals]
    assert "patel" in norm(texts[0]), texts   # the first final is the sentence, not "Mr."
    for final in finals[:-1]:
        last = final.text.split()[-1]
        assert last not in ("Mr.", "Dr.", "Mrs.", "St.", "J.", "R."), texts
    # One stream's finals never overlap in time, so no word is committed twice.
    for earlier, later in zip(finals, finals[1:]):
        assert later.start_s >= earlier.end_s - 1e-6, texts
    words = norm(" ".join(texts)).split()
    assert words.count("patel") == 1 and words.count("jones") == 1, texts
