"use strict";

// Turns the microphone's audio (any rate, any channel count) into 16 kHz mono
// pcm_s16le frames of exactly 100 ms, posted to the main thread as transferred
// ArrayBuffers. After the "flush" message it posts the last frame (padded with
// silence) followed by the string "flushed", and stops.

const TARGET_RATE_HZ = 16000;
const FRAME_SAMPLES = 1600; // 100 ms at 16 kHz
const BYTES_PER_SAMPLE = 2;
const CUTOFF_FRACTION = 0.875; // of the lower Nyquist: passes speech up to 7 kHz at 16 kHz out
const KERNEL_ZERO_CROSSINGS = 16; // each side; sets the filter's transition width
const TABLE_STEPS_PER_SAMPLE = 512; // kernel resolution between input samples
const MAX_CACHED_PHASES = 4096; // beyond this (odd rates), weights are computed per sample

// Blackman-windowed sinc low-pass, sampled over |d| in [0, halfWidth] input samples.
function kernelTable(cutoff, halfWidth) {
  const size = halfWidth * TABLE_STEPS_PER_SAMPLE + 2;
  const table = new Float64Array(size);
  for (let n = 0; n < size; n += 1) {
    const d = n / TABLE_STEPS_PER_SAMPLE;
    if (d >= halfWidth) break;
    const x = 2 * Math.PI * cutoff * d;
    const sinc = d === 0 ? 1 : Math.sin(x) / x;
    const w = d / halfWidth;
    const window = 0.42 + 0.5 * Math.cos(Math.PI * w) + 0.08 * Math.cos(2 * Math.PI * w);
    table[n] = sinc * window;
  }
  return table;
}

function greatestCommonDivisor(a, b) {
  return b === 0 ? a : greatestCommonDivisor(b, a % b);
}

// Band-limited interpolation (low-pass and resample in one step) that keeps
// its history between calls, so consecutive blocks join without a seam.
// Positions are kept as whole numbers of 1/outRateHz input samples: no drift.
class Resampler {
  constructor(inRateHz, outRateHz) {
    this.inRateHz = Math.round(inRateHz);
    this.outRateHz = outRateHz;
    const cutoff = 0.5 * CUTOFF_FRACTION * Math.min(1, outRateHz / this.inRateHz); // cycles per input sample
    this.halfWidth = Math.ceil(KERNEL_ZERO_CROSSINGS / (2 * cutoff));
    this.table = kernelTable(cutoff, this.halfWidth);
    // The output positions fall on outRateHz / gcd distinct fractions of an input sample
    // (160 at 44.1 kHz, 1 at 48 kHz): their weights are computed once.
    this.phaseStep = greatestCommonDivisor(this.inRateHz, outRateHz);
    const phases = outRateHz / this.phaseStep;
    this.weightCache = phases <= MAX_CACHED_PHASES ? new Array(phases) : null;
    this.input = new Float32Array(4096);
    // halfWidth - 1 samples of silence stand for the time before the first sample,
    // so the first output sample sits exactly on the first input sample.
    this.inputLength = this.halfWidth - 1;
    this.position = (this.halfWidth - 1) * outRateHz; // of the next output, in 1/outRateHz samples
    this.output = new Float32Array(0);
  }

  // Returns the output samples now available; the view is reused by the next call.
  resample(samples) {
    this.append(samples);
    const maxOut = Math.ceil((samples.length * this.outRateHz) / this.inRateHz) + 2;
    if (this.output.length < maxOut) this.output = new Float32Array(maxOut * 2);
    let count = 0;
    for (;;) {
      const index = Math.floor(this.position / this.outRateHz);
      if (index + this.halfWidth >= this.inputLength) break;
      const weights = this.weightsFor(this.position - index * this.outRateHz);
      this.output[count] = this.dot(index - this.halfWidth + 1, weights);
      count += 1;
      this.position += this.inRateHz;
    }
    this.discardConsumed();
    return this.output.subarray(0, count);
  }

  append(samples) {
    const needed = this.inputLength + samples.length;
    if (needed > this.input.length) {
      const grown = new Float32Array(needed * 2);
      grown.set(this.input.subarray(0, this.inputLength));
      this.input = grown;
    }
    this.input.set(samples, this.inputLength);
    this.inputLength = needed;
  }

  weightsFor(remainder) {
    const phase = remainder / this.phaseStep;
    const cached = this.weightCache && this.weightCache[phase];
    if (cached) return cached;
    const weights = this.computeWeights(remainder / this.outRateHz);
    if (this.weightCache) this.weightCache[phase] = weights;
    return weights;
  }

  // Taps for input samples index-halfWidth+1 … index+halfWidth around index+fraction.
  computeWeights(fraction) {
    const { table, halfWidth } = this;
    const weights = new Float64Array(2 * halfWidth);
    let total = 0;
    for (let j = 0; j < weights.length; j += 1) {
      const at = Math.abs(fraction + halfWidth - 1 - j) * TABLE_STEPS_PER_SAMPLE;
      const n = Math.floor(at);
      weights[j] = table[n] + (at - n) * (table[n + 1] - table[n]);
      total += weights[j];
    }
    for (let j = 0; j < weights.length; j += 1) weights[j] /= total; // unit gain at DC
    return weights;
  }

  dot(first, weights) {
    const input = this.input;
    let sum = 0;
    for (let j = 0; j < weights.length; j += 1) sum += input[first + j] * weights[j];
    return sum;
  }

  discardConsumed() {
    const index = Math.floor(this.position / this.outRateHz);
    const drop = index - this.halfWidth + 1;
    if (drop <= 0) return;
    this.input.copyWithin(0, drop, this.inputLength);
    this.inputLength -= drop;
    this.position -= drop * this.outRateHz;
  }

  // Silence enough to push the last real samples through the filter.
  drain() {
    return this.resample(new Float32Array(this.halfWidth + 1));
  }
}

function toInt16(sample) {
  const clipped = Math.max(-1, Math.min(1, sample));
  return Math.round(clipped < 0 ? clipped * 32768 : clipped * 32767);
}

function mixDown(channels, into) {
  const count = channels.length;
  into.set(channels[0]);
  for (let c = 1; c < count; c += 1) {
    const channel = channels[c];
    for (let i = 0; i < into.length; i += 1) into[i] += channel[i];
  }
  if (count > 1) for (let i = 0; i < into.length; i += 1) into[i] /= count;
  return into;
}

class PcmCaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.resampler = new Resampler(sampleRate, TARGET_RATE_HZ);
    this.mono = new Float32Array(128);
    this.newFrame();
    this.hasInput = false;
    this.finished = false;
    this.port.onmessage = (event) => {
      if (event.data === "flush") this.flush();
    };
  }

  process(inputs) {
    if (this.finished) return false;
    const channels = inputs[0] || [];
    // The clock starts with the first real input; after that a gap counts as silence.
    if (channels.length === 0 && !this.hasInput) return true;
    this.hasInput = true;
    const blockLength = channels.length ? channels[0].length : this.mono.length;
    if (this.mono.length !== blockLength) this.mono = new Float32Array(blockLength);
    if (channels.length) mixDown(channels, this.mono);
    else this.mono.fill(0);
    this.write(this.resampler.resample(this.mono));
    return true;
  }

  newFrame() {
    this.frame = new DataView(new ArrayBuffer(FRAME_SAMPLES * BYTES_PER_SAMPLE));
    this.filled = 0;
  }

  write(samples) {
    for (let i = 0; i < samples.length; i += 1) {
      this.frame.setInt16(this.filled * BYTES_PER_SAMPLE, toInt16(samples[i]), true);
      this.filled += 1;
      if (this.filled === FRAME_SAMPLES) this.post();
    }
  }

  post() {
    const buffer = this.frame.buffer;
    this.port.postMessage(buffer, [buffer]);
    this.newFrame();
  }

  flush() {
    if (this.finished) return;
    this.finished = true;
    if (this.hasInput) this.write(this.resampler.drain());
    if (this.filled > 0) this.post(); // the rest of the frame is already zeros
    this.port.postMessage("flushed");
  }
}

registerProcessor("pcm-capture", PcmCaptureProcessor);
