// The customer's picture on a canvas: video frames through WebCodecs, sharp
// WebP tiles through createImageBitmap, painted in `seq` order.
//
// Every picture message takes a slot in arrival order (the applet sends them
// in seq order). A slot is ready once its VideoFrame has come out of the
// decoder or its images are decoded; ready slots at the head are painted and
// acknowledged, so a sharp tile is never overwritten by an older video frame
// that took longer to decode. Video frames before the first key frame after a
// (re)configure are dropped, but still acknowledged so the applet goes on.
// A decoder error loses the picture the next frames build on: `onLost` asks
// the applet for a whole new one from a key frame.

const SLOT_TIMEOUT_MS = 2000;

export class Picture {
  constructor(canvas, { onDrawn, onError, onLost = () => {} }) {
    Object.assign(this, { canvas, onDrawn, onError, onLost });
    this.context = canvas.getContext("2d", { alpha: false });
    this.decoder = null;
    this.format = null;
    this.needKey = true;
    this.slots = [];
    this.decodeMs = 0;
  }

  /** A new screen.format: (re)configure; a key frame must follow. */
  configure(format) {
    this.format = format;
    this.needKey = true;
    if (this.canvas.width !== format.width || this.canvas.height !== format.height) {
      this.canvas.width = format.width;
      this.canvas.height = format.height;
    }
    if (this.decoder === null || this.decoder.state === "closed") this.decoder = this.newDecoder();
    else this.decoder.reset();
    this.finishVideoSlots();

    const config = { codec: format.codec, codedWidth: format.width, codedHeight: format.height, optimizeForLatency: true };
    if (format.codec.startsWith("avc1") || format.codec.startsWith("avc3")) config.avc = { format: "annexb" };
    try {
      this.decoder.configure(config);
    } catch (error) {
      this.onError(`The console cannot decode ${format.codec}: ${error.message}`);
    }
  }

  newDecoder() {
    return new VideoDecoder({
      output: (frame) => this.onFrame(frame),
      error: (error) => {
        this.onError(`The picture could not be decoded (${error.message}); asking for a new one.`);
        this.decoder = null;
        this.needKey = true;
        this.finishVideoSlots();
        this.onLost();
      },
    });
  }

  /** One parsed 00 01 or 00 02 message. */
  add(message) {
    if (this.decoder === null && this.format !== null) this.configure(this.format); // viewing again
    const slot = { message, ready: false, frame: null, bitmaps: null, arrived: performance.now() };
    this.slots.push(slot);
    if (message.kind === "video") this.decode(slot);
    else this.decodeSharp(slot);
    this.drain();
  }

  decode(slot) {
    const { message } = slot;
    if (message.key) this.needKey = false;
    if (this.needKey || this.decoder === null || this.decoder.state !== "configured") {
      slot.ready = true; // dropped: nothing to paint, acknowledged all the same
      return;
    }
    slot.started = performance.now();
    this.decoder.decode(new EncodedVideoChunk({
      type: message.key ? "key" : "delta", timestamp: message.seq, data: message.data,
    }));
  }

  onFrame(frame) {
    const slot = this.slots.find((s) => s.message.kind === "video" && s.message.seq === frame.timestamp && !s.ready);
    if (slot === undefined) {
      frame.close();
      return;
    }
    this.decodeMs = performance.now() - slot.started;
    slot.frame = frame;
    slot.ready = true;
    this.drain();
  }

  async decodeSharp(slot) {
    try {
      slot.bitmaps = await Promise.all(slot.message.images.map(
        (image) => createImageBitmap(new Blob([image.data], { type: "image/webp" }))));
    } catch (error) {
      this.onError(`A sharp tile could not be decoded: ${error.message}`);
    }
    if (slot.done) for (const bitmap of slot.bitmaps ?? []) bitmap.close();
    slot.ready = true;
    this.drain();
  }

  /** Paint and acknowledge every ready slot at the head of the queue. */
  drain() {
    const now = performance.now();
    while (this.slots.length && (this.slots[0].ready || now - this.slots[0].arrived > SLOT_TIMEOUT_MS)) {
      const slot = this.slots.shift();
      slot.done = true;
      this.paint(slot);
      this.onDrawn(slot.message, slot.frame !== null || slot.bitmaps !== null);
    }

    // A slot that never gets ready (a decoder that swallowed a frame) must not
    // hold the queue, and with it the applet's acknowledgements, for ever.
    clearTimeout(this.timer);
    if (this.slots.length) this.timer = setTimeout(() => this.drain(), SLOT_TIMEOUT_MS);
  }

  paint({ message, frame, bitmaps }) {
    if (frame !== null) {
      // One draw, clipped to the rectangles, of only the part of the frame
      // that holds them: drawing a VideoFrame converts what it shows from
      // YUV, so a draw per rectangle, or of the whole frame for a click's
      // small change, would convert a full 1080p picture each time.
      const box = alignedBox(message.rects, frame.codedWidth, frame.codedHeight);
      const part = box ? new VideoFrame(frame, { visibleRect: box }) : frame;
      const context = this.context;
      context.save();
      context.beginPath();
      for (const { x, y, w, h } of message.rects) context.rect(x, y, w, h);
      context.clip();
      if (box) context.drawImage(part, box.x, box.y, box.width, box.height);
      else context.drawImage(frame, 0, 0);
      context.restore();
      if (part !== frame) part.close();
      frame.close();
    }
    for (const [at, bitmap] of (bitmaps ?? []).entries()) {
      const { x, y, w, h } = message.images[at].rect;
      this.context.drawImage(bitmap, x, y, w, h);
      bitmap.close();
    }
  }

  /** Video slots waiting for the decoder will get no frame: let them go. */
  finishVideoSlots() {
    for (const slot of this.slots) if (slot.message.kind === "video" && !slot.ready) slot.ready = true;
    this.drain();
  }

  /** Viewing ended or the channel closed: tear the decoder down (the format
   * is kept: viewing again without a new screen.format starts with it). */
  close() {
    clearTimeout(this.timer);
    if (this.decoder && this.decoder.state !== "closed") this.decoder.close();
    this.decoder = null;
    this.needKey = true;
    for (const slot of this.slots.splice(0)) {
      slot.done = true;
      slot.frame?.close();
      for (const bitmap of slot.bitmaps ?? []) bitmap.close();
    }
  }
}

/**
 * The bounding box of `rects`, widened to even coordinates (4:2:0 chroma is
 * sampled in 2x2 blocks, so a visible rectangle must start and end on even
 * pixels), within the coded size; null when it is the whole picture anyway.
 */
export function alignedBox(rects, codedWidth, codedHeight) {
  if (!rects.length) return null;
  let left = Infinity, top = Infinity, right = 0, bottom = 0;
  for (const { x, y, w, h } of rects) {
    left = Math.min(left, x); top = Math.min(top, y);
    right = Math.max(right, x + w); bottom = Math.max(bottom, y + h);
  }
  left -= left % 2; top -= top % 2;
  right = Math.min(codedWidth, right + (right % 2));
  bottom = Math.min(codedHeight, bottom + (bottom % 2));
  if (left === 0 && top === 0 && right >= codedWidth && bottom >= codedHeight) return null;
  return { x: left, y: top, width: right - left, height: bottom - top };
}
