"use strict";

// Audio frames: the one place that knows what was captured, sent and still held, so that
// a dropped meeting resumes with no gap and no duplicate (PROTOCOL.md, "Reconnect").

const FRAME_S = 0.1; // 1600 samples at 16 kHz, as the worklet posts them
const RETAIN_SENT_S = 120; // sent audio kept: a restarted server resumes from its last final
const MAX_HELD_S = 600; // unsent audio kept while offline (the server's grace period)

class FrameQueue {
  constructor() {
    this.count = 0;
    this.pending = []; // {startS, buffer}: captured, not yet sent
    this.sent = []; // sent, kept RETAIN_SENT_S for a resume
    this.droppedS = 0; // captured while offline beyond MAX_HELD_S: lost, oldest first
  }

  add(buffer) {
    this.pending.push({ startS: this.count * FRAME_S, buffer });
    this.count += 1;
    while (this.pending.length * FRAME_S > MAX_HELD_S) {
      this.pending.shift();
      this.droppedS += FRAME_S;
    }
  }

  sendPending(socket) {
    while (this.pending.length > 0) {
      const frame = this.pending.shift();
      socket.send(frame.buffer);
      this.sent.push(frame);
    }
    const keepFromS = this.count * FRAME_S - RETAIN_SENT_S;
    while (this.sent.length > 0 && this.sent[0].startS < keepFromS) this.sent.shift();
  }

  // The audio time of the oldest sample still held (the start frame's resume_from_s).
  oldestHeldS() {
    const oldest = this.sent[0] || this.pending[0];
    return oldest ? oldest.startS : this.count * FRAME_S;
  }

  // Seconds captured but not yet sent (shown while reconnecting).
  heldS() {
    return this.pending.length * FRAME_S;
  }

  // After `started` on a resume: send again whatever the server does not hold, in order;
  // what it already holds is not sent twice.
  resumeFrom(receivedS) {
    const tolerance = FRAME_S / 10;
    const again = this.sent.filter((frame) => frame.startS >= receivedS - tolerance);
    this.sent = this.sent.filter((frame) => frame.startS < receivedS - tolerance);
    this.pending = again.concat(this.pending).filter(
      (frame) => frame.startS >= receivedS - tolerance);
  }
}
