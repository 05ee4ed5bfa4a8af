// facenet web page: plain ES module, no build step. Talks to the /v1 API of the same origin.
import { $, KEY, api, auth } from './api.js';
import { errText, fmt, notLiveText, oneIn, plural } from './words.js';
import { loadClusters } from './clusters.js';
import { installLiveForms } from './live-forms.js';
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

/**
 * Only the latest action's answer stays on screen: an older one (an identification before a delete, a verification
 * of another photo) would describe a gallery or a photo that has changed since.
 */
const RESULTS = ['enroll-result', 'identify-result', 'verify-result', 'calibration-result', 'clusters-result'];
function clearResults(keep) {
  for (const id of RESULTS) if (id !== keep) show($(id), '');
  if (keep !== 'identify-result') $('identify-faces').innerHTML = '';
}

/** The photo of a form: the camera snapshot if one was taken, else the chosen file. */
function photoOf(fileInput, useSnapshot) {
  if (useSnapshot && snapshotBlob) return snapshotBlob;
  return fileInput.files && fileInput.files[0];
}

// ---- status and key
/** Whether the server serves /v1/clusters (`serve --clusters`): otherwise the page never asks for groups. */
let clustersOn = false;

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
      // the pack's name, not the model id (a hash-like string that means nothing to the person at the page)
      $('model').textContent = h.pack ? `recognition pack: ${h.pack.name}` : '';
    }
    clustersOn = h.clusters === true;
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
  clearResults();
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
      `This photo shows ${plural(enrollChoice.faces.length, 'face', 'faces')}: click the one to enroll, ` +
        'or "Use the largest face".',
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
  clearResults('enroll-result');
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
      `${r.created ? 'Enrolled' : 'Added a photo to'} ${r.person.name} ` +
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
$('identify-file').addEventListener('change', () => clearResults());
$('identify-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const out = $('identify-result');
  const host = $('identify-faces');
  const photo = photoOf($('identify-file'), false);
  clearResults('identify-result');
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
        cls: `${face.person === 'unknown' ? 'unknown' : 'known'}${notLiveText(face.liveness) ? ' not-live' : ''}`,
        label:
          (face.person === 'unknown'
            ? `unknown (nearest ${fmt(face.distance)}, over the threshold ${fmt(r.threshold)})`
            : `${face.person} (distance ${fmt(face.distance)}, threshold ${fmt(r.threshold)})`) +
          (notLiveText(face.liveness) ? ` ⚠ ${notLiveText(face.liveness)}` : ''),
      })),
    );
    const spoofs = r.faces.filter((x) => notLiveText(x.liveness)).length;
    show(
      out,
      r.faces.length
        ? `${plural(r.faces.length, 'face', 'faces')}: ${known} recognised, ${r.faces.length - known} unknown` +
            (known < r.faces.length ? ' (nobody enrolled is close enough).' : '.') +
            (spoofs
              ? ` ⚠ ${plural(spoofs, 'face looks', 'faces look')} like a photo or a screen, not a live person.`
              : '') +
            (r.warning ? ` ${UNRESOLVABLE}` : '')
        : 'No face was found in this photo.',
      r.faces.length && !spoofs ? '' : 'bad',
    );
  } catch (e) {
    showError(out, e);
  } finally {
    $('identify-submit').disabled = false;
  }
});

// ---- verify
$('verify-file').addEventListener('change', () => clearResults());
$('verify-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const out = $('verify-result');
  const photo = photoOf($('verify-file'), false);
  clearResults('verify-result');
  if (!photo) return show(out, 'Choose a photo first.', 'bad');
  show(out, 'verifying…');
  try {
    const f = new FormData();
    f.append('name', $('verify-name').value.trim());
    f.append('image', photo, 'photo.jpg');
    const r = await api('POST', '/verify', f);
    // "NO MATCH: NAME" read as if the photo were NAME: say what the photo is, or is not
    const spoof = notLiveText(r.liveness);
    show(
      out,
      (r.match
        ? `This is ${r.person}: distance ${fmt(r.distance)}, below the threshold ${fmt(r.threshold)}.`
        : `Not ${r.person}: this photo does not match ${r.person} ` +
          `(distance ${fmt(r.distance)}, at or above the threshold ${fmt(r.threshold)}).`) +
        (spoof ? ` ⚠ But the face ${spoof}: not a live person?` : ''),
      r.match && !spoof ? 'ok' : 'bad',
    );
    out.dataset.live = r.liveness ? String(r.liveness.live) : '';
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
      name.textContent = `${p.name} · ${plural(p.templates, 'photo', 'photos')}`;
      const del = document.createElement('button');
      del.type = 'button';
      del.textContent = 'Delete';
      del.addEventListener('click', async () => {
        if (!confirm(`Forget ${p.name} and every stored photo template?`)) return;
        clearResults();
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

// ---- calibration: what each threshold promises, in words
const ORIGIN = {
  default: 'shipped with this recognition pack',
  gallery: "this gallery's own (facenet calibrate)",
  model: "the trained model's own",
  override: 'given to the server at start',
};
const UNRESOLVABLE =
  'With this many people enrolled, the calibration cannot promise that rate: the strictest threshold it measured is ' +
  'used, and a stranger may be matched more often. Calibrate on more photo pairs (facenet calibrate), or allow a ' +
  'higher rate.';

function para(parts) {
  const p = document.createElement('p');
  for (const part of parts) {
    if (typeof part === 'string') p.append(part);
    else {
      const b = document.createElement('strong');
      b.textContent = part.strong;
      p.append(b);
    }
  }
  return p;
}

async function loadCalibration() {
  const box = $('calibration-info');
  try {
    const c = await api('GET', '/calibration');
    const v = c.verify;
    const i = c.identify;
    box.replaceChildren(
      para([
        { strong: 'Verify (1:1, is this who they say?)' },
        `: a photo is accepted as the claimed person when its distance to them is below ${fmt(v.threshold)}. ` +
          `This is set so that a stranger claiming to be someone enrolled is accepted about ${oneIn(v.targetFar)} ` +
          `tries; at this setting ${(100 * v.tar).toFixed(0)} % of true claims are accepted.`,
      ]),
      para([
        { strong: 'Identify (1:N, who is this?)' },
        `: a face gets a name when it is closer than ${fmt(i.threshold)} to someone enrolled. ` +
          (i.people
            ? `With ${plural(i.people, 'person', 'people')} enrolled, this is set so that a stranger is taken for ` +
              `${i.people === 1 ? 'them' : 'any of them'} at most ${oneIn(i.targetFar)} times. `
            : `It is set so that a stranger is taken for someone enrolled at most ${oneIn(i.targetFar)} times. `) +
          'Every person enrolled is one more chance of a look-alike, so this threshold gets stricter (lower) as the ' +
          'gallery grows.' +
          (i.warning ? ` ${UNRESOLVABLE}` : ''),
      ]),
      para([
        'The two differ because verify compares a photo with one person and identify with everyone, each at its ' +
          `own rate (set below). Both come from photo pairs of known people: ${ORIGIN[c.origin] ?? c.origin}.`,
      ]),
    );
    $('verify-far').value = v.targetFar;
    $('identify-far').value = i.targetFar;
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
  clearResults('calibration-result');
  try {
    await api('PUT', '/calibration', body);
    show(out, 'Saved: the thresholds above follow the new rates.', 'ok');
    loadCalibration();
  } catch (e) {
    show(out, errText(e), 'bad');
  }
});

async function loadAll() {
  await refreshStatus();
  const clusters = clustersOn ? loadClusters({ before: () => clearResults('clusters-result'), after: loadAll }) : null;
  $('clusters-section').hidden = !clustersOn;
  await Promise.all([loadPeople(), loadCalibration(), clusters]);
}
installLiveForms({ show, clearResults, loadAll });
loadAll();
