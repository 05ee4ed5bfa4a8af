// The active liveness check on the page: the camera, the server's challenge shown one prompt at a time, the frames
// sent back with their times, and the verdict. Small head turns and closing the eyes: no smile, no expression.
import { $, api } from './api.js';
import { errText } from './words.js';

/** Frames a second sent to the server, and their width: enough for the face's points, small enough to send. */
const FPS = 6;
const FRAME_WIDTH = 480;
/** How long each part is shown: facing the camera first, each prompt, facing the camera at the end. */
const START_MS = 1500;
const ACTION_MS = 2400;
const END_MS = 900;

const SIGNS = { 'turn-left': '←', 'turn-right': '→', blink: '◡◡' };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function say(text, cls) {
  const out = $('challenge-result');
  out.textContent = text;
  out.className = `result ${cls || ''}`;
}

function prompt(sign, text) {
  $('challenge-sign').textContent = sign;
  $('challenge-prompt').textContent = text;
}

/** Draws the camera's current image (not mirrored: the server reads it as the camera saw it). */
function grab(video, canvas, width) {
  const scale = Math.min(1, width / video.videoWidth);
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
  return canvas;
}

async function openCamera() {
  try {
    return await navigator.mediaDevices.getUserMedia({
      video: { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 } },
      audio: false,
    });
  } catch (e) {
    throw Object.assign(new Error(e.name === 'NotAllowedError' ? 'permission refused' : 'no camera'), {
      code: 'CAMERA',
    });
  }
}

/** Shows the prompts in order while frames are taken; returns the frames and a full-size photo facing the camera. */
async function perform(challenge, video) {
  const frames = [];
  const small = document.createElement('canvas');
  const timer = setInterval(() => {
    if (video.videoWidth)
      frames.push({ t: performance.now(), image: grab(video, small, FRAME_WIDTH).toDataURL('image/jpeg', 0.85) });
  }, 1000 / FPS);
  try {
    const steps = challenge.actions.length;
    prompt('●', 'Look at the camera');
    await sleep(START_MS);
    for (const [i, action] of challenge.actions.entries()) {
      $('challenge-step').textContent = `Step ${i + 1} of ${steps}`;
      $('challenge-progress').value = i / steps;
      prompt(SIGNS[action] || '', challenge.prompts[i]);
      await sleep(ACTION_MS);
    }
    $('challenge-step').textContent = '';
    $('challenge-progress').value = 1;
    prompt('●', 'Look at the camera');
    await sleep(END_MS);
  } finally {
    clearInterval(timer);
  }
  const photo = await new Promise((resolve) =>
    grab(video, document.createElement('canvas'), 1280).toBlob(resolve, 'image/jpeg', 0.92),
  );
  return { frames, photo };
}

/**
 * Runs one challenge. Returns { token, photo } when it passed; null when it failed or could not run (the reason is on
 * the page, with a way to try again).
 */
export async function livenessCheck(purpose) {
  const panel = $('challenge-section');
  const video = $('challenge-video');
  panel.hidden = false;
  panel.dataset.state = 'running';
  $('challenge-title').textContent = `Liveness check before ${purpose}`;
  panel.scrollIntoView({ block: 'start', behavior: 'smooth' });
  say('');
  let stream;
  try {
    stream = await openCamera();
    video.srcObject = stream;
    await video.play();
    const challenge = await api('POST', '/liveness/challenge', {});
    const { frames, photo } = await perform(challenge, video);
    prompt('', '');
    say('Checking…');
    const verdict = await api('POST', `/liveness/challenge/${encodeURIComponent(challenge.id)}/frames`, { frames });
    panel.dataset.state = verdict.passed ? 'passed' : 'failed';
    if (!verdict.passed) {
      say(`Not passed: ${verdict.message} Try again: face the camera, then follow each prompt.`, 'bad');
      return null;
    }
    say('Liveness check passed.', 'ok');
    return { token: verdict.livenessToken, photo };
  } catch (e) {
    panel.dataset.state = 'failed';
    prompt('', '');
    say(
      e.code === 'CAMERA'
        ? `The camera cannot be used here (${e.message}; the page must be on https or localhost).`
        : errText(e),
      'bad',
    );
    return null;
  } finally {
    stream?.getTracks().forEach((t) => t.stop());
    video.srcObject = null;
  }
}
