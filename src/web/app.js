// facenet web page: plain ES module, no build step. Talks to the /v1 API of the same origin.
import { $, KEY, api, auth } from './api.js';
let cameraStream = null;
let snapshotBlob = null;

function show(el, text, cls) {
  el.textContent = text;
  el.className = `result ${cls || ''}`;
}
const showError = (el, e) => {
  show(el, errText(e), 'bad');
  el.title = e.code ? `${e.code}: ${e.message}` : e.message;
};

const fmt = (v, d = 3) => (typeof v === 'number' ? v.toFixed(d) : String(v));
const fmtFar = (v) => (typeof v === 'number' ? v.toExponential(1) : String(v));
const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/** What went wrong, in words for the person at the page (the server's code stays in the tooltip / console). */
function errText(e) {
  const d = e.details || {};
  switch (e.code) {
    case 'NO_FACE':
      return (
        'No face was found in this photo. Try a sharper photo, ' +
        'facing the camera, with the face at least 40 pixels wide.'
      );
    case 'MULTIPLE_FACES':
      return (
        `This photo shows ${plural(d.faces || 2, 'face', 'faces')}. ` +
        'Click the face to use (or "Use the largest face"), or crop the photo.'
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
        'This gallery was made with another recognition model than the server is running. ' +
        'Restart the server with the model the gallery was built with.'
      );
    case 'BROWSER_IMAGE':
      return 'The server read this photo, but this browser cannot show it (HEIC or TIFF?): try a JPEG or PNG.';
    case 'INVALID_INPUT':
      return `That input was not accepted: ${e.message}`;
    default:
      if (e.status === 429) return 'The server is busy. Try again in a few seconds.';
      if (e.status === 401) return 'This needs an API key: paste one in the "API key" box above.';
      if (e.status === 403) return 'Your API key may not do this (an admin key is needed).';
      if (e instanceof TypeError) return 'The server cannot be reached. Is `facenet serve` still running?';
      return `Something went wrong: ${e.message}`;
  }
}

/** The photo of a form: the camera snapshot if one was taken, else the chosen file. */
function photoOf(fileInput, useSnapshot) {
  if (useSnapshot && snapshotBlob) return snapshotBlob;
  return fileInput.files && fileInput.files[0];
}

// ---- status and key
async function refreshStatus() {
  try {
    // the public answer is minimal; with a valid key (or no auth) it carries the gallery size and model
    const k = localStorage.getItem(KEY);
    const h = await (await fetch('/v1/health', { headers: k ? { authorization: `Bearer ${k}` } : {} })).json();
    auth.on = h.auth;
    $('auth-section').hidden = !auth.on;
    $('no-auth-banner').hidden = auth.on;
    if (h.people === undefined) {
      $('status').textContent = 'enter an API key to see the gallery';
      $('model').textContent = '';
    } else {
      $('status').textContent = `${plural(h.people, 'person', 'people')} enrolled`;
      $('model').textContent = `model ${h.modelId}`;
    }
    // the pack's licence line (non-permissive packs run only after an explicit opt-in on the server)
    $('pack-licence').textContent = h.pack ? `pack ${h.pack.name} · licence: ${h.pack.licence}` : '';
  } catch {
    $('status').textContent = 'the server cannot be reached';
  }
}

$('api-key').value = localStorage.getItem(KEY) || '';
$('key-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  localStorage.setItem(KEY, $('api-key').value.trim());
  loadAll();
});

// ---- camera
$('camera-start').addEventListener('click', async () => {
  try {
    cameraStream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: 'user', width: { ideal: 1280 } },
      audio: false,
    });
    const v = $('camera');
    v.srcObject = cameraStream;
    v.hidden = false;
    await v.play();
    $('camera-snap').hidden = false;
    $('camera-stop').hidden = false;
  } catch (e) {
    show(
      $('enroll-result'),
      'The camera cannot be used here (' +
        (e.name === 'NotAllowedError' ? 'permission refused' : 'no camera, or the page is not on https/localhost') +
        '). Choose a photo file instead.',
      'bad',
    );
  }
});
function stopCamera() {
  cameraStream?.getTracks().forEach((t) => t.stop());
  cameraStream = null;
  $('camera').hidden = true;
  $('camera-snap').hidden = true;
  $('camera-stop').hidden = true;
}
$('camera-stop').addEventListener('click', stopCamera);
$('camera-snap').addEventListener('click', () => {
  const v = $('camera');
  const c = $('snapshot');
  c.width = v.videoWidth;
  c.height = v.videoHeight;
  c.getContext('2d').drawImage(v, 0, 0);
  c.hidden = false;
  c.toBlob(
    (b) => {
      snapshotBlob = b;
      show($('enroll-result'), 'photo taken: press Enroll', '');
    },
    'image/jpeg',
    0.92,
  );
  stopCamera();
});
// ---- a photo with numbered face boxes and the numbered list beside it
function loadImage(blob) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () =>
      reject(Object.assign(new Error('the browser cannot show this image'), { code: 'BROWSER_IMAGE' }));
    img.src = URL.createObjectURL(blob);
  });
}

/** The server's answer first (its error explains a bad file best), then the photo as the browser shows it. */
async function apiAndImage(path, photo) {
  const f = new FormData();
  f.append('image', photo, 'photo.jpg');
  const img = loadImage(photo);
  img.catch(() => {}); // reported below, after the server's answer
  const r = await api('POST', path, f);
  return [r, await img];
}

const overlaps = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/**
 * Put each number badge where it overlaps no other badge: at a corner of its box (inside, then outside), else the
 * nearest free spot around it. Coordinates in CSS pixels of the shown photo.
 */
function placeBadges(boxes, badge, W, H) {
  const placed = [];
  for (const b of boxes) {
    const cands = [
      [b.x, b.y],
      [b.x, b.y - badge.h],
      [b.x + b.w - badge.w, b.y],
      [b.x, b.y + b.h - badge.h],
      [b.x + b.w - badge.w, b.y + b.h - badge.h],
      [b.x, b.y + b.h],
      [b.x - badge.w, b.y],
      [b.x + b.w, b.y],
    ];
    for (let r = 1; r <= 40; r++)
      for (const [dx, dy] of [
        [r, 0],
        [-r, 0],
        [0, r],
        [0, -r],
        [r, r],
        [-r, -r],
        [r, -r],
        [-r, r],
      ])
        cands.push([b.x + dx * 4, b.y + dy * 4]);
    let spot;
    for (const [x0, y0] of cands) {
      const c = {
        x: Math.min(Math.max(0, x0), W - badge.w),
        y: Math.min(Math.max(0, y0), H - badge.h),
        w: badge.w,
        h: badge.h,
      };
      if (!placed.some((p) => overlaps(p, c))) {
        spot = c;
        break;
      }
    }
    placed.push(spot ?? { x: b.x, y: b.y, w: badge.w, h: badge.h });
  }
  return placed;
}

/**
 * Show `img` in `host` with a numbered box per face and the numbered list beside it. faces: [{ box, label, cls }].
 * onPick(i) is called when a box or a list entry is clicked.
 */
function showFaces(host, img, faces, onPick) {
  host.innerHTML = '';
  const wrap = document.createElement('div');
  wrap.className = 'faces';
  const photo = document.createElement('div');
  photo.className = 'photo';
  const shown = new Image();
  shown.src = img.src;
  shown.alt = `photo with ${plural(faces.length, 'face', 'faces')}`;
  photo.append(shown);
  const legend = document.createElement('ol');
  legend.className = 'legend';
  const boxes = [];
  const items = [];
  const select = (i) => {
    boxes.forEach((b, j) => b.classList.toggle('selected', j === i));
    items.forEach((li, j) => li.classList.toggle('selected', j === i));
    onPick?.(i);
  };
  faces.forEach((f, i) => {
    const box = document.createElement('div');
    box.className = `box ${f.cls || ''}`;
    box.dataset.face = String(i + 1);
    box.title = `${i + 1}: ${f.label}`;
    const { x, y, width, height } = f.box;
    Object.assign(box.style, {
      left: `${(100 * x) / img.naturalWidth}%`,
      top: `${(100 * y) / img.naturalHeight}%`,
      width: `${(100 * width) / img.naturalWidth}%`,
      height: `${(100 * height) / img.naturalHeight}%`,
    });
    box.addEventListener('click', () => select(i));
    const badge = document.createElement('span');
    badge.className = `badge ${f.cls || ''}`;
    badge.textContent = String(i + 1);
    badge.dataset.face = String(i + 1);
    photo.append(box);
    boxes.push(box);
    const li = document.createElement('li');
    li.className = f.cls || '';
    li.dataset.face = String(i + 1);
    if (f.person) li.dataset.person = f.person;
    li.dataset.box = JSON.stringify(f.box);
    if (f.distance !== undefined) li.dataset.distance = String(f.distance);
    const num = document.createElement('span');
    num.className = 'num';
    num.textContent = String(i + 1);
    const text = document.createElement('span');
    text.textContent = f.label;
    li.append(num, text);
    li.addEventListener('click', () => select(i));
    legend.append(li);
    items.push(li);
    box.badge = badge;
  });
  const badgeLayer = document.createElement('div');
  photo.append(badgeLayer);
  const layout = () => {
    const W = shown.clientWidth;
    const H = shown.clientHeight;
    if (!W) return;
    const s = W / img.naturalWidth;
    const rects = faces.map((f) => ({ x: f.box.x * s, y: f.box.y * s, w: f.box.width * s, h: f.box.height * s }));
    const spots = placeBadges(rects, { w: faces.length > 9 ? 20 : 16, h: 16 }, W, H);
    badgeLayer.innerHTML = '';
    spots.forEach((p, i) => {
      const b = boxes[i].badge;
      // in % of the photo, so that until the next layout (ResizeObserver runs after a resize) badges scale with it
      b.style.left = `${(100 * p.x) / W}%`;
      b.style.top = `${(100 * p.y) / H}%`;
      b.style.width = `${p.w}px`;
      b.style.setProperty(
        '--c',
        faces[i].cls === 'known' ? '#137333' : faces[i].cls === 'unknown' ? '#b3261e' : '#0b63ce',
      );
      badgeLayer.append(b);
    });
  };
  shown.addEventListener('load', layout);
  new ResizeObserver(layout).observe(shown);
  wrap.append(photo, legend);
  host.append(wrap);
  return { select };
}

// ---- enroll: one face, picked from a group photo when there are several
let enrollChoice = null; // { faces, box } for the chosen file

async function prepareEnrollPhoto(photo) {
  enrollChoice = null;
  $('enroll-picker').hidden = true;
  $('enroll-faces').innerHTML = '';
  if (!photo) return;
  try {
    const [r, img] = await apiAndImage('/detect', photo);
    enrollChoice = { faces: r.faces, box: null };
    if (r.faces.length < 2) return;
    // largest first, as the server's "largest" picks
    const order = r.faces
      .map((face, i) => ({ face, i }))
      .sort((a, b) => b.face.box.width * b.face.box.height - a.face.box.width * a.face.box.height);
    $('enroll-pick-hint').textContent =
      `This photo shows ${plural(r.faces.length, 'face', 'faces')}: click the one to enroll (or use the largest).`;
    $('enroll-picker').hidden = false;
    const view = showFaces(
      $('enroll-faces'),
      img,
      order.map(({ face }, k) => ({ box: face.box, label: k === 0 ? 'largest' : '' })),
      (k) => {
        enrollChoice.box = order[k].face.box;
        $('enroll-pick-hint').textContent = `Face ${k + 1}${k === 0 ? ' (the largest)' : ''} chosen: press Enroll.`;
        show($('enroll-result'), '');
      },
    );
    $('enroll-largest').onclick = () => view.select(0);
  } catch (e) {
    showError($('enroll-result'), e);
  }
}

$('enroll-file').addEventListener('change', () => {
  snapshotBlob = null;
  $('snapshot').hidden = true;
  show($('enroll-result'), '');
  prepareEnrollPhoto(photoOf($('enroll-file'), false));
});

$('enroll-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const out = $('enroll-result');
  const name = $('enroll-name').value.trim();
  const photo = photoOf($('enroll-file'), true);
  if (!name) return show(out, 'Type the name of the person first.', 'bad');
  if (!photo) return show(out, 'Choose a photo (or take one with the camera) first.', 'bad');
  const several = !snapshotBlob && enrollChoice && enrollChoice.faces.length > 1;
  if (several && !enrollChoice.box)
    return show(
      out,
      `This photo shows ${plural(enrollChoice.faces.length, 'face', 'faces')}: ` +
        'click the one to enroll, or "Use the largest face".',
      'bad',
    );
  const form = () => {
    const f = new FormData();
    f.append('name', name);
    if (several) f.append('face', JSON.stringify(enrollChoice.box));
    f.append('image', photo, 'photo.jpg');
    return f;
  };
  $('enroll-submit').disabled = true;
  show(out, 'enrolling…');
  try {
    let r;
    try {
      r = await api('POST', '/people', form());
    } catch (e) {
      if (e.code !== 'PERSON_EXISTS') throw e;
      r = await api('POST', `/people/${encodeURIComponent(name)}/faces`, form());
    }
    const warn = r.warnings.length ? ` — ${r.warnings.map((w) => w.message).join('; ')}` : '';
    show(
      out,
      `${r.created ? 'enrolled' : 'added a photo to'} ${r.person.name} ` +
        `(${plural(r.templates, 'photo', 'photos')})${warn}`,
      r.warnings.length ? '' : 'ok',
    );
    $('enroll-form').reset();
    snapshotBlob = null;
    enrollChoice = null;
    $('snapshot').hidden = true;
    $('enroll-picker').hidden = true;
    $('enroll-faces').innerHTML = '';
    loadAll();
  } catch (e) {
    showError(out, e);
  } finally {
    $('enroll-submit').disabled = false;
  }
});

// ---- identify
$('identify-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const out = $('identify-result');
  const host = $('identify-faces');
  const photo = photoOf($('identify-file'), false);
  host.innerHTML = '';
  if (!photo) return show(out, 'Choose a photo first.', 'bad');
  $('identify-submit').disabled = true;
  show(out, 'identifying…');
  try {
    const [r, img] = await apiAndImage('/identify', photo);
    const known = r.faces.filter((x) => x.person !== 'unknown').length;
    showFaces(
      host,
      img,
      r.faces.map((face) => ({
        box: face.box,
        person: face.person,
        distance: face.distance,
        cls: face.person === 'unknown' ? 'unknown' : 'known',
        label:
          face.person === 'unknown'
            ? `unknown (nearest: distance ${fmt(face.distance)})`
            : `${face.person} (distance ${fmt(face.distance)}, threshold ${fmt(r.threshold)})`,
      })),
    );
    show(
      out,
      r.faces.length
        ? `${plural(r.faces.length, 'face', 'faces')}: ${known} recognised, ${r.faces.length - known} unknown.` +
            (r.warning ? ` ${r.warning}` : '')
        : 'No face was found in this photo.',
      r.faces.length ? '' : 'bad',
    );
  } catch (e) {
    showError(out, e);
  } finally {
    $('identify-submit').disabled = false;
  }
});

// ---- verify
$('verify-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const out = $('verify-result');
  const photo = photoOf($('verify-file'), false);
  if (!photo) return show(out, 'choose a photo', 'bad');
  show(out, 'verifying…');
  try {
    const f = new FormData();
    f.append('name', $('verify-name').value.trim());
    f.append('image', photo, 'photo.jpg');
    const r = await api('POST', '/verify', f);
    show(
      out,
      `${r.match ? 'MATCH' : 'NO MATCH'}: ${r.person} — ` +
        `distance ${fmt(r.distance)} vs threshold ${fmt(r.threshold)} (target FAR ${fmtFar(r.targetFar)})`,
      r.match ? 'ok' : 'bad',
    );
  } catch (e) {
    show(out, errText(e), 'bad');
  }
});

// ---- people
async function thumbnail(imgEl, name, templateId) {
  try {
    const blob = await api('GET', `/people/${encodeURIComponent(name)}/faces/${templateId}/thumbnail`);
    imgEl.src = URL.createObjectURL(blob);
  } catch {
    // no thumbnail stored: leave the placeholder
  }
}

async function loadPeople() {
  const ul = $('people-list');
  try {
    const r = await api('GET', '/people');
    ul.innerHTML = '';
    $('people-names').innerHTML = '';
    if (!r.people.length) ul.innerHTML = '<li class="muted">nobody enrolled yet</li>';
    for (const p of r.people) {
      const li = document.createElement('li');
      li.dataset.person = p.name;
      const img = document.createElement('img');
      img.alt = p.name;
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = `${p.name} · ${p.templates} photo${p.templates === 1 ? '' : 's'}`;
      const del = document.createElement('button');
      del.type = 'button';
      del.textContent = 'Delete';
      del.addEventListener('click', async () => {
        if (!confirm(`Forget ${p.name} and every stored photo template?`)) return;
        try {
          await api('DELETE', `/people/${encodeURIComponent(p.name)}`);
          loadAll();
        } catch (e) {
          alert(errText(e));
        }
      });
      li.append(img, name, del);
      ul.append(li);
      const opt = document.createElement('option');
      opt.value = p.name;
      $('people-names').append(opt);
      api('GET', `/people/${encodeURIComponent(p.name)}`)
        .then((d) => d.templates[0] && thumbnail(img, p.name, d.templates[0].id))
        .catch(() => {});
    }
  } catch (e) {
    ul.innerHTML = '';
    const li = document.createElement('li');
    li.className = 'bad';
    li.textContent = errText(e);
    ul.append(li);
  }
}
$('people-refresh').addEventListener('click', () => loadPeople());

// ---- calibration
async function loadCalibration() {
  const box = $('calibration-info');
  try {
    const c = await api('GET', '/calibration');
    box.textContent =
      `1:1 verify: target FAR ${fmtFar(c.verify.targetFar)} → ` +
      `threshold ${fmt(c.verify.threshold)} (TAR ${(100 * c.verify.tar).toFixed(1)} %). ` +
      `1:N identify: open-set FAR ${fmtFar(c.identify.targetFar)} over ${c.identify.people} people → ` +
      `threshold ${fmt(c.identify.threshold)}. ` +
      `Calibration: ${c.origin}, ${c.source}.` +
      (c.identify.warning ? ` ${c.identify.warning}` : '');
    $('verify-far').value = c.verify.targetFar;
    $('identify-far').value = c.identify.targetFar;
  } catch (e) {
    box.textContent = errText(e);
  }
}
$('calibration-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const out = $('calibration-result');
  const body = {};
  const v = Number($('verify-far').value);
  const i = Number($('identify-far').value);
  if ($('verify-far').value !== '') body.verifyFar = v;
  if ($('identify-far').value !== '') body.identifyFar = i;
  try {
    await api('PUT', '/calibration', body);
    show(out, 'saved', 'ok');
    loadCalibration();
  } catch (e) {
    show(out, errText(e), 'bad');
  }
});

async function loadAll() {
  await refreshStatus();
  await Promise.all([loadPeople(), loadCalibration()]);
}
loadAll();
