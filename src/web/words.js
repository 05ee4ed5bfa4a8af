// What the page says, shared by app.js and clusters.js: numbers, plurals, rates and errors in plain words.
export const fmt = (v, d = 3) => (typeof v === 'number' ? v.toFixed(d) : String(v));
export const plural = (n, one, many) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** A rate as odds a person can picture: 1e-3 → "1 in 1,000". */
export function oneIn(rate) {
  if (!(rate > 0)) return 'never';
  return `1 in ${Math.round(1 / rate).toLocaleString('en-US')}`;
}

/** A face's liveness flag (the server's `liveness: { live, score, threshold }`), or '' when live or not checked. */
export const notLiveText = (l) =>
  l && !l.live ? `looks like a photo or a screen (liveness ${fmt(l.score)} < ${fmt(l.threshold)})` : '';

/** What went wrong, in words for the person at the page (the server's code stays in the tooltip / console). */
export function errText(e) {
  const d = e.details || {};
  switch (e.code) {
    case 'NO_FACE':
      if (d.frames) return 'No face was seen by the camera: face it, in good light, and try again.';
      return (
        'No face was found in this photo. Try a sharper photo, facing the camera, with the face at least 40 ' +
        'pixels wide.'
      );
    case 'SPOOF_SUSPECTED':
      return (
        'This looks like a printed photo or a screen, not a live person, so it was refused. ' +
        'Use a live camera, facing it in good light.'
      );
    case 'MULTIPLE_FACES':
      if (d.frame) return 'More than one face was in view during the liveness check: only you may be in the picture.';
      return (
        `This photo shows ${plural(d.faces || 2, 'face', 'faces')}. Click the face to use ` +
        '(or "Use the largest face"), or crop the photo.'
      );
    case 'IMAGE_EMPTY':
      return 'The file is empty.';
    case 'IMAGE_CORRUPT':
      return 'This file could not be read as a photo: it may be damaged or cut short.';
    case 'IMAGE_UNSUPPORTED':
      return 'This kind of file is not supported: use a JPEG, PNG, WebP, GIF, TIFF or AVIF photo.';
    case 'BODY_TOO_LARGE':
    case 'IMAGE_TOO_LARGE':
      return 'This photo is too large for the server. Use a smaller one (the limits are shown at /v1/health).';
    case 'PERSON_NOT_FOUND':
      return `Nobody called "${d.name ?? ''}" is enrolled.`;
    case 'PERSON_EXISTS':
      return `Someone called "${d.name ?? ''}" is already enrolled.`;
    case 'UNAUTHORIZED':
      return (
        'This needs an API key: paste one in the "API key" box above ' +
        '(create it with `facenet keys add --role admin`).'
      );
    case 'FORBIDDEN':
      return 'Your API key may not do this: enrolling, deleting and changing thresholds need an admin key.';
    case 'QUEUE_FULL':
      return 'The server is busy. Try again in a few seconds.';
    case 'TIMEOUT':
      return 'The server took too long to answer. Try again, or a smaller photo.';
    case 'MODEL_MISMATCH':
      return (
        'This gallery was made with another recognition model than the server is running. Restart the server ' +
        'with the model the gallery was built with.'
      );
    case 'BROWSER_IMAGE':
      return 'The server read this photo, but this browser cannot show it (HEIC or TIFF?): try a JPEG or PNG.';
    case 'LIVENESS_TOKEN_REQUIRED':
      return (
        'This server asks for a liveness check first: use "Enroll with a liveness check" or ' +
        '"Verify with a liveness check".'
      );
    case 'LIVENESS_TOKEN_USED':
    case 'LIVENESS_TOKEN_EXPIRED':
    case 'LIVENESS_TOKEN_INVALID':
      return 'The liveness check was used up or is too old: do it again.';
    case 'LIVENESS_FACE_MISMATCH':
      return 'The photo does not show the person who did the liveness check.';
    case 'CHALLENGE_EXPIRED':
      return 'The liveness check took too long: try again.';
    case 'CHALLENGE_NOT_FOUND':
      return 'The liveness check was no longer open on the server: try again.';
    case 'FRAMES_OUT_OF_ORDER':
      return 'The camera frames arrived out of order: try again.';
    case 'INVALID_INPUT':
      return `That input was not accepted: ${e.message}`;
    case 'NOT_FOUND':
      return 'That is no longer there: refresh the list.';
    default:
      if (e.status === 429) return 'The server is busy. Try again in a few seconds.';
      if (e.status === 401) return 'This needs an API key: paste one in the "API key" box above.';
      if (e.status === 403) return 'Your API key may not do this (an admin key is needed).';
      if (e instanceof TypeError) return 'The server cannot be reached. Is `facenet serve` still running?';
      return `Something went wrong: ${e.message}`;
  }
}
