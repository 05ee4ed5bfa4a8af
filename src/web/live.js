// facenet page, Live view: the camera's frames go over the WebSocket /v1/stream (JPEG, one in flight at a time),
// the answers draw a box and a name over each face, and the list shows who was seen and when. An unknown face can be
// enrolled from the list (an admin key): the frame it was last seen in and its box go to POST /v1/people.
import { $, KEY, api, auth } from './api.js';

const FPS = 12; // frames offered per second; the server's answer paces them further (one in flight)
const SIDE = 640; // frames are sent at most 640 px wide: the server's latency figures are for 640×480

let media = null;
let ws = null;
let count = 0; // binary messages sent: the server numbers frames the same way (seq)
let waiting = false;
let lastSent = 0;
let frameSize = { w: SIDE, h: 480 };
const recent = new Map(); // seq → { blob, w, h }: the last few frames, for enrolling from them
// `${generation}:${track id}` → { id, person, first, last, here, frame, box, named }: each session (a start, or the
// reset after enrolling) numbers its tracks afresh, and who was seen before stays in the list
const seen = new Map();
let generation = 0;
const seenKey = (id) => `${generation}:${id}`;
let enrolling = null;
const canvas = document.createElement('canvas');

const clockText = (d) => d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const status = (text) => ($('live-status').textContent = text);

function closeReason(code) {
  switch (code) {
    case 4401:
      return 'the API key was refused: paste a valid key above';
    case 4429:
      return 'the server is busy with other live streams: try again later';
    case 4408:
      return 'the connection timed out';
    case 1009:
      return 'a frame was too large for the server';
    case 1000:
    case 1005:
      return 'stopped';
    default:
      return `the connection closed (${code})`;
  }
}

async function start() {
  $('live-result').textContent = '';
  try {
    media = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 } },
      audio: false,
    });
  } catch (e) {
    status(
      e.name === 'NotAllowedError'
        ? 'camera permission refused'
        : 'no camera here (or the page is not on https/localhost)',
    );
    return;
  }
  const v = $('live-video');
  v.srcObject = media;
  await v.play();
  $('live-stage').hidden = false;
  $('live-start').hidden = true;
  $('live-stop').hidden = false;
  status('connecting…');
  count = 0;
  waiting = false;
  ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/stream`);
  ws.binaryType = 'arraybuffer';
  // the key travels in the first message, never in the URL (which servers and proxies log)
  ws.onopen = () =>
    ws.send(JSON.stringify({ type: 'hello', ...(auth.on ? { key: localStorage.getItem(KEY) || '' } : {}) }));
  ws.onmessage = (ev) => onMessage(JSON.parse(ev.data));
  ws.onclose = (ev) => {
    status(closeReason(ev.code));
    stop(false);
  };
}

function stop(closeSocket = true) {
  if (closeSocket && ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'end' }));
  ws = null;
  media?.getTracks().forEach((t) => t.stop());
  media = null;
  $('live-stage').hidden = true;
  $('live-boxes').replaceChildren();
  $('live-start').hidden = false;
  $('live-stop').hidden = true;
  for (const t of seen.values()) t.here = false;
  renderSeen();
}

function onMessage(m) {
  if (m.type === 'ready') {
    status(m.reset ? 'live (names refreshed)' : `live · ${m.people} enrolled`);
    // a new session (a start, or a reset) numbers its tracks from 1 again
    generation++;
    if (!m.reset) requestAnimationFrame(tick);
  } else if (m.type === 'faces') {
    waiting = false;
    drawBoxes(m.faces, recent.get(m.seq));
    for (const f of m.faces) {
      const t = seen.get(seenKey(f.track));
      if (t) {
        t.last = new Date();
        if (!t.named) t.person = f.person;
        t.frame = recent.get(m.seq);
        t.box = f.box;
      }
    }
    renderSeen();
  } else if (m.type === 'dropped' || (m.type === 'error' && m.seq)) {
    waiting = false;
  } else if (m.type === 'track') onTrack(m);
  else if (m.type === 'error') status(`error: ${m.message}`);
}

function onTrack(m) {
  const key = seenKey(m.track.id);
  const t = seen.get(key) ?? { id: m.track.id, first: new Date(), last: new Date() };
  // a track enrolled from the list keeps its new name when the reset ends it
  if (!t.named) t.person = m.track.person;
  t.here = m.event !== 'ended';
  t.last = new Date();
  seen.set(key, t);
  // the list stays short: the 30 latest tracks
  if (seen.size > 30) seen.delete(seen.keys().next().value);
  renderSeen();
}

/** Send the next frame when the last one is answered (or dropped), at most FPS a second. */
function tick(now) {
  if (!ws || ws.readyState !== WebSocket.OPEN) return;
  const v = $('live-video');
  if (!waiting && now - lastSent >= 1000 / FPS && v.videoWidth) {
    lastSent = now;
    waiting = true;
    const scale = Math.min(1, SIDE / v.videoWidth);
    canvas.width = Math.round(v.videoWidth * scale);
    canvas.height = Math.round(v.videoHeight * scale);
    canvas.getContext('2d').drawImage(v, 0, 0, canvas.width, canvas.height);
    const size = { w: canvas.width, h: canvas.height };
    canvas.toBlob(
      async (blob) => {
        if (!blob || !ws || ws.readyState !== WebSocket.OPEN) return void (waiting = false);
        const seq = ++count;
        recent.set(seq, { blob, ...size });
        for (const k of recent.keys()) if (k < seq - 4) recent.delete(k);
        ws.send(await blob.arrayBuffer());
      },
      'image/jpeg',
      0.8,
    );
  }
  requestAnimationFrame(tick);
}

function drawBoxes(faces, frame) {
  const { w, h } = frame ?? frameSize;
  frameSize = { w, h };
  const layer = $('live-boxes');
  const keep = new Set();
  for (const f of faces) {
    const id = `live-track-${f.track}`;
    keep.add(id);
    let el = document.getElementById(id);
    if (!el) {
      el = document.createElement('div');
      el.id = id;
      el.append(document.createElement('span'));
      el.firstChild.className = 'name';
      layer.append(el);
    }
    const known = f.person !== 'unknown';
    // the name goes inside the picture: over the box's right edge in the right half, under a box at the top
    const right = f.box.x + f.box.width / 2 > w / 2 ? ' right' : '';
    const top = f.box.y < 0.08 * h ? ' top' : '';
    el.className = `box ${known ? 'known' : 'unknown'}${f.predicted ? ' predicted' : ''}${right}${top}`;
    el.dataset.person = f.person;
    el.dataset.track = String(f.track);
    Object.assign(el.style, {
      left: `${(100 * f.box.x) / w}%`,
      top: `${(100 * f.box.y) / h}%`,
      width: `${(100 * f.box.width) / w}%`,
      height: `${(100 * f.box.height) / h}%`,
    });
    el.firstChild.textContent = known ? f.person : `unknown · ${f.track}`;
  }
  for (const el of [...layer.children]) if (!keep.has(el.id)) el.remove();
}

function renderSeen() {
  const list = $('live-seen');
  const items = [...seen.values()].sort((a, b) => b.last - a.last);
  list.replaceChildren(
    ...items.map((t) => {
      const li = document.createElement('li');
      li.className = `${t.here ? 'here' : ''} ${t.person === 'unknown' ? 'unknown' : 'known'}`;
      li.dataset.track = String(t.id);
      li.dataset.person = t.person;
      const who = document.createElement('span');
      who.className = 'who';
      who.textContent = t.person === 'unknown' ? `unknown (track ${t.id})` : t.person;
      const when = document.createElement('span');
      when.className = 'small muted';
      when.textContent = `${clockText(t.first)}–${t.here ? 'now' : clockText(t.last)}`;
      li.append(who, when);
      if (t.person === 'unknown' && t.frame && t.box) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'small-btn secondary';
        b.textContent = 'Enroll…';
        b.addEventListener('click', () => pickForEnroll(t));
        li.append(b);
      }
      return li;
    }),
  );
  if (!items.length) {
    const li = document.createElement('li');
    li.className = 'muted small';
    li.textContent = media ? 'nobody yet' : 'start the camera to see who is there';
    list.append(li);
  }
}

function pickForEnroll(t) {
  enrolling = { frame: t.frame, box: t.box, track: t };
  $('live-enroll').hidden = false;
  $('live-enroll-hint').textContent = `Enroll the face of track ${t.id} (its last frame) as:`;
  $('live-enroll-name').focus();
}

$('live-enroll').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  if (!enrolling) return;
  const name = $('live-enroll-name').value.trim();
  const f = new FormData();
  f.append('name', name);
  f.append('face', JSON.stringify(enrolling.box));
  f.append('image', enrolling.frame.blob, 'frame.jpg');
  $('live-enroll-submit').disabled = true;
  try {
    await api('POST', '/people', f);
    $('live-result').textContent = `enrolled ${name}`;
    $('live-result').className = 'result small ok';
    $('live-enroll').hidden = true;
    $('live-enroll').reset();
    Object.assign(enrolling.track, { person: name, named: true });
    enrolling = null;
    // the open tracks were decided before this person existed: start them afresh (their entries stay, ended)
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'reset' }));
    renderSeen();
  } catch (e) {
    $('live-result').textContent =
      e.code === 'FORBIDDEN' || e.status === 403
        ? 'enrolling needs an admin key'
        : e.code === 'PERSON_EXISTS'
          ? `someone called "${name}" is already enrolled`
          : `not enrolled: ${e.message}`;
    $('live-result').className = 'result small bad';
  } finally {
    $('live-enroll-submit').disabled = false;
  }
});

$('live-start').addEventListener('click', start);
$('live-stop').addEventListener('click', () => {
  stop();
  status('stopped');
});
renderSeen();
