// facenet web page: plain ES module, no build step. Talks to the /v1 API of the same origin.
const $ = (id) => document.getElementById(id);
const KEY = 'facenet.apiKey';
let authOn = true;
let cameraStream = null;
let snapshotBlob = null;

function headers() {
  const k = localStorage.getItem(KEY);
  return authOn && k ? { authorization: `Bearer ${k}` } : {};
}

async function api(method, path, body) {
  const init = { method, headers: headers() };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  const res = await fetch(`/v1${path}`, init);
  const type = res.headers.get('content-type') || '';
  const data = type.includes('json') ? await res.json() : await res.blob();
  if (!res.ok) {
    const e = new Error(data?.error?.message || `HTTP ${res.status}`);
    e.code = data?.error?.code;
    e.status = res.status;
    throw e;
  }
  return data;
}

function show(el, text, cls) {
  el.textContent = text;
  el.className = `result ${cls || ''}`;
}

const fmt = (v, d = 3) => (typeof v === 'number' ? v.toFixed(d) : String(v));
const fmtFar = (v) => (typeof v === 'number' ? v.toExponential(1) : String(v));
const errText = (e) => `${e.code ? `[${e.code}] ` : ''}${e.message}`;

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
    authOn = h.auth;
    $('auth-section').hidden = !authOn;
    $('status').textContent = h.people === undefined ? 'enter an API key' : `${h.people} people · ${h.modelId}${authOn ? '' : ' · NO AUTH'}`;
    // the pack's licence line (non-permissive packs run only after an explicit opt-in on the server)
    $('pack-licence').textContent = h.pack ? `pack ${h.pack.name} · licence: ${h.pack.licence}` : '';
  } catch (e) {
    $('status').textContent = `offline: ${e.message}`;
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
    cameraStream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'user', width: { ideal: 1280 } }, audio: false });
    const v = $('camera');
    v.srcObject = cameraStream;
    v.hidden = false;
    await v.play();
    $('camera-snap').hidden = false;
    $('camera-stop').hidden = false;
  } catch (e) {
    show($('enroll-result'), `camera unavailable: ${e.message}`, 'bad');
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
  c.toBlob((b) => {
    snapshotBlob = b;
    show($('enroll-result'), 'photo taken: press Enroll', '');
  }, 'image/jpeg', 0.92);
  stopCamera();
});
$('enroll-file').addEventListener('change', () => {
  snapshotBlob = null;
  $('snapshot').hidden = true;
});

// ---- enroll
$('enroll-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const out = $('enroll-result');
  const name = $('enroll-name').value.trim();
  const photo = photoOf($('enroll-file'), true);
  if (!name || !photo) return show(out, 'a name and a photo are needed', 'bad');
  const form = () => {
    const f = new FormData();
    f.append('name', name);
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
    show(out, `${r.created ? 'enrolled' : 'added a photo to'} ${r.person.name} (${r.templates} photo${r.templates === 1 ? '' : 's'})${warn}`, r.warnings.length ? '' : 'ok');
    $('enroll-form').reset();
    snapshotBlob = null;
    $('snapshot').hidden = true;
    loadAll();
  } catch (e) {
    show(out, errText(e), 'bad');
  } finally {
    $('enroll-submit').disabled = false;
  }
});

// ---- identify
function loadImage(blob) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('the browser cannot show this image'));
    img.src = URL.createObjectURL(blob);
  });
}

function drawFaces(canvas, img, faces) {
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const g = canvas.getContext('2d');
  g.drawImage(img, 0, 0);
  const lw = Math.max(2, Math.round(Math.min(canvas.width, canvas.height) / 150));
  const font = Math.max(12, Math.round(Math.min(canvas.width, canvas.height) / 14));
  g.font = `bold ${font}px system-ui, sans-serif`;
  g.textBaseline = 'bottom';
  for (const f of faces) {
    const known = f.person !== 'unknown';
    const color = known ? '#1db954' : '#e53935';
    g.lineWidth = lw;
    g.strokeStyle = color;
    g.strokeRect(f.box.x, f.box.y, f.box.width, f.box.height);
    const label = known ? f.person : 'unknown';
    const tw = g.measureText(label).width + 8;
    // above the box when there is room, else just inside its top edge
    const ty = f.box.y > font + 6 ? f.box.y : Math.max(0, f.box.y) + font + 6;
    g.fillStyle = color;
    g.fillRect(f.box.x - lw / 2, ty - font - 6, tw, font + 6);
    g.fillStyle = '#fff';
    g.fillText(label, f.box.x + 4, ty - 2);
  }
  canvas.hidden = false;
}

$('identify-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const list = $('identify-results');
  const photo = photoOf($('identify-file'), false);
  list.innerHTML = '';
  if (!photo) return;
  const li = (text, cls, person) => {
    const el = document.createElement('li');
    el.textContent = text;
    if (cls) el.className = cls;
    if (person) el.dataset.person = person;
    list.append(el);
  };
  $('identify-submit').disabled = true;
  li('identifying…');
  try {
    const f = new FormData();
    f.append('image', photo, 'photo.jpg');
    const [r, img] = await Promise.all([api('POST', '/identify', f), loadImage(photo)]);
    list.innerHTML = '';
    drawFaces($('identify-canvas'), img, r.faces);
    if (!r.faces.length) li('no face found', 'bad');
    r.faces.forEach((face, i) =>
      li(`face ${i + 1}: ${face.person} (distance ${fmt(face.distance)}, threshold ${fmt(r.threshold)})`, face.person === 'unknown' ? 'bad' : 'ok', face.person),
    );
    if (r.warning) li(r.warning, 'bad');
  } catch (e) {
    list.innerHTML = '';
    li(errText(e), 'bad');
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
    show(out, `${r.match ? 'MATCH' : 'NO MATCH'}: ${r.person} — distance ${fmt(r.distance)} vs threshold ${fmt(r.threshold)} (target FAR ${fmtFar(r.targetFar)})`, r.match ? 'ok' : 'bad');
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
      `1:1 verify: target FAR ${fmtFar(c.verify.targetFar)} → threshold ${fmt(c.verify.threshold)} (TAR ${(100 * c.verify.tar).toFixed(1)} %). ` +
      `1:N identify: open-set FAR ${fmtFar(c.identify.targetFar)} over ${c.identify.people} people → threshold ${fmt(c.identify.threshold)}. ` +
      `Calibration: ${c.origin}, ${c.source}.` + (c.identify.warning ? ` ${c.identify.warning}` : '');
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
