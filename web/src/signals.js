// Injection signals: derived yes/no answers about the browser and the
// selfie camera, sent with the submit (signals) and kept by IDV as
// advisory values of the liveness result, never decisive alone. Nothing
// else about the device leaves the page: not the camera's name, not its
// settings, not the measured frame rate (no fingerprint). Each is easy to
// spoof for someone who controls the browser; they make a careless
// injection visible, nothing more.

// VIRTUAL names the virtual cameras a track's label gives away: the common
// streaming and phone-as-webcam tools, Linux's loopback device, and the
// words such drivers use.
const VIRTUAL = /\b(obs|manycam|snap camera|xsplit|droidcam|epoccam|ndi|v4l2loopback|camtwist|iriun|splitcam|youcam|vcam)\b|virtual|fake|dummy|loopback/i;

// FRAME_WINDOW is how long the frames' timestamps are counted (ms).
const FRAME_WINDOW = 1000;

// automation: the browser says it is driven by automation (WebDriver,
// DevTools-driven tools that set the flag).
export function automation() {
  return navigator.webdriver === true;
}

// virtualCamera: the track's label names a known virtual camera.
export function virtualCamera(track) {
  return VIRTUAL.test(track.label || "");
}

// trackMismatch: the track's settings do not fit the device or the video
// element playing it: a touch device whose front camera does not say it
// faces the user, or a size other than the frames the element shows
// (either orientation: a phone may report its sensor's).
export function trackMismatch(track, video) {
  const s = track.getSettings ? track.getSettings() : {};
  const touch = navigator.maxTouchPoints > 0 && matchMedia("(pointer: coarse)").matches;
  if (touch && s.facingMode !== "user") return true;
  const w = video.videoWidth;
  const h = video.videoHeight;
  if (!s.width || !s.height || !w || !h) return false;
  return !((s.width === w && s.height === h) || (s.width === h && s.height === w));
}

// frameRate measures the frames video presents over about a second
// (requestVideoFrameCallback) and resolves whether the rate the track
// claims is off by more than half: true or false, or null when it cannot
// be told (no callback in this browser, no claimed rate, too few frames).
export function frameRateMismatch(track, video) {
  const claimed = (track.getSettings ? track.getSettings() : {}).frameRate;
  if (!claimed || !video.requestVideoFrameCallback) return Promise.resolve(null);
  return new Promise((resolve) => {
    let first = null;
    // Each callback says how many frames the element has presented so
    // far and when (now, ms): their rate over the window.
    const tick = (now, meta) => {
      if (!first) first = { now, frames: meta.presentedFrames };
      const span = now - first.now;
      if (span >= FRAME_WINDOW) {
        const frames = meta.presentedFrames - first.frames;
        return resolve(frames < 2 ? null : Math.abs((frames * 1000) / span - claimed) > claimed / 2);
      }
      if (video.isConnected) video.requestVideoFrameCallback(tick);
      else resolve(null);
    };
    video.requestVideoFrameCallback(tick);
  });
}

// watchCamera starts the signals of the camera playing in video and
// returns a function that gives those known so far, yes/no only: an
// object of booleans with the keys the contract names, each only when it
// could be told.
export function watchCamera(video) {
  const stream = video.srcObject;
  const track = stream && stream.getVideoTracks ? stream.getVideoTracks()[0] : null;
  const found = { automation: automation() };
  if (!track) return () => ({ ...found });
  found.virtual_camera = virtualCamera(track);
  found.track_mismatch = trackMismatch(track, video);
  frameRateMismatch(track, video).then((m) => {
    if (m !== null) found.frame_rate_mismatch = m;
  });
  return () => ({ ...found });
}
