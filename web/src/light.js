// The light challenge: the screen shows the colours IDV drew for this
// attempt (POST /v1/app/session/challenge), in order and for as long as
// each segment lasts, while the page takes frames of the face lit by
// them. A recording cannot know the sequence in advance; the liveness
// stage checks that the light reflected on the face follows it.
//
// The tint covers the whole screen but the camera's preview (whose frame
// stays above it, so the person still sees their face), large enough to
// light a face held at arm's length. Colours change by a 250 ms CSS
// transition (app.css, kept when the person prefers reduced motion, where
// nothing else moves), and a segment lasts at least 600 ms: never more
// than two changes a second (WCAG 2.3.1 allows three flashes), and the
// palette has no saturated red.

// SETTLE is how long after a colour change a frame may be taken: the
// transition (250 ms) and a camera frame or two on top.
const SETTLE = 320;

// MARGIN is how long before its segment ends a frame is taken at the
// latest: a camera frame, so the next colour has not reached the face.
const MARGIN = 40;

// GAP is the least time between two frames: a camera frame (15 a
// second), so that no two are the same picture.
const GAP = 70;

// WIDTH bounds a light frame's width: the check needs the face's colour,
// not its detail, and eight frames stay small to seal and send.
const WIDTH = 640;

// until resolves at performance.now() === at (at once when past).
function until(at) {
  return new Promise((r) => setTimeout(r, Math.max(0, at - performance.now())));
}

// small is the video's current frame, at most WIDTH pixels wide, as a
// canvas (camera pixels, never mirrored).
function small(video) {
  const scale = Math.min(1, WIDTH / video.videoWidth);
  const c = document.createElement("canvas");
  c.width = Math.round(video.videoWidth * scale);
  c.height = Math.round(video.videoHeight * scale);
  c.getContext("2d").drawImage(video, 0, 0, c.width, c.height);
  return c;
}

// jpeg is canvas c's JPEG bytes.
async function jpeg(c) {
  const blob = await new Promise((resolve) => c.toBlob(resolve, "image/jpeg", 0.9));
  if (!blob) throw new Error("light: a frame could not be encoded");
  return new Uint8Array(await blob.arrayBuffer());
}

// moments are the times, as fractions of a segment, of the per frames
// taken in it: evenly in its second half (2: at 5/8 and 7/8).
function moments(per) {
  return Array.from({ length: per }, (_, k) => 0.5 + ((k + 0.5) * 0.5) / per);
}

// runLight shows light.sequence ([{colour, ms}]) from t0 (performance.now()
// when the challenge arrived: the sequence's ms 0) and takes light.frames
// frames of video, planned evenly in each segment's second half. The
// colour shown follows the sequence's clock, and a frame is taken only
// while the colour of the segment its time falls in is shown and has
// settled (SETTLE after it was set, MARGIN before the segment ends): a
// page running late (a busy phone) takes a frame it missed in a later
// segment rather than one whose colour its time does not name. Past the
// sequence's end the last colour stays until the last frame is taken. It
// resolves, in the order taken, [{bytes, at}]: the JPEG and its capture
// time in ms after t0.
export async function runLight(video, light, t0) {
  const seq = light.sequence;
  const starts = seq.map((_, i) => seq.slice(0, i).reduce((n, s) => n + s.ms, 0));
  const last = seq.length - 1;
  const per = Math.max(1, Math.round(light.frames / seq.length));
  const planned = seq.flatMap((s, i) => moments(per).map((f) => starts[i] + s.ms * f)).slice(0, light.frames);
  // segmentAt is the segment the sequence shows at ms (the last after it).
  const segmentAt = (ms) => {
    let k = 0;
    while (k < last && ms >= starts[k + 1]) k++;
    return k;
  };
  const tint = document.createElement("div");
  tint.className = "light";
  tint.id = "light";
  tint.setAttribute("aria-hidden", "true");
  document.body.append(tint);
  document.body.classList.add("light-on");
  const taken = [];
  let shown = -1; // the segment whose colour is shown
  let shownAt = 0; // when it was set (ms after t0)
  let lastAt = -GAP; // when the last frame was taken
  try {
    for (const plan of planned) {
      for (;;) {
        const now = performance.now() - t0;
        const k = segmentAt(now);
        if (k !== shown) {
          tint.style.backgroundColor = seq[k].colour;
          shown = k;
          shownAt = now;
        }
        const ready = Math.max(plan, shownAt + SETTLE, lastAt + GAP);
        const closes = k === last ? Infinity : starts[k] + seq[k].ms - MARGIN;
        if (now >= ready && now <= closes) {
          taken.push({ c: small(video), at: now });
          lastAt = now;
          break;
        }
        // Wait until it is ready, or, when that is too late for this
        // segment, for the next one.
        await until(t0 + (now <= closes && ready <= closes ? ready : starts[k + 1]));
      }
    }
    await until(t0 + starts[last] + seq[last].ms);
  } finally {
    tint.remove();
    document.body.classList.remove("light-on");
  }
  // Encoded once the burst is over: the encoder's work on the page's
  // thread would hold up the colours and the frames' timers.
  const out = [];
  for (const { c, at } of taken) out.push({ bytes: await jpeg(c), at });
  return out;
}
