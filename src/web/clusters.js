// "Unnamed people": the groups `facenet cluster` found (served with `facenet serve --clusters FILE`).
// Name a group to enroll it, or delete it. app.js loads this section only when /v1/health says clusters are served.
import { $, api } from './api.js';
import { errText, plural } from './words.js';

/** before(): an action starts (older answers go); after(): the gallery or the groups changed (reload the lists). */
let hooks = { before() {}, after() {} };

function say(text, cls) {
  const out = $('clusters-result');
  out.textContent = text;
  out.className = `result ${cls || ''}`;
}

async function thumb(faceId) {
  const img = document.createElement('img');
  img.alt = `face ${faceId}`;
  img.width = 48;
  img.height = 48;
  api('GET', `/clusters/faces/${faceId}/thumbnail`)
    .then((blob) => (img.src = URL.createObjectURL(blob)))
    .catch(() => img.classList.add('missing'));
  return img;
}

async function groupItem(g) {
  const li = document.createElement('li');
  li.dataset.group = g.id;
  const faces = document.createElement('div');
  faces.className = 'cluster-faces';
  for (const id of g.sampleFaces) faces.append(await thumb(id));
  const info = document.createElement('div');
  info.className = 'small muted';
  info.textContent =
    `group ${g.id} · ${plural(g.faces, 'face', 'faces')}` +
    (g.match ? ` · looks like ${g.match.person} (${g.match.faces} of ${g.match.of})` : '');
  const form = document.createElement('form');
  form.className = 'row';
  const name = document.createElement('input');
  name.placeholder = g.match ? g.match.person : 'Who is this?';
  name.value = g.match ? g.match.person : '';
  name.required = true;
  name.setAttribute('aria-label', `name of group ${g.id}`);
  const save = document.createElement('button');
  save.type = 'submit';
  save.textContent = 'Name';
  const del = document.createElement('button');
  del.type = 'button';
  del.textContent = 'Delete';
  del.className = 'danger';
  form.append(name, save, del);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    save.disabled = true;
    hooks.before();
    try {
      const r = await api('POST', `/clusters/${g.id}/enroll`, { person: name.value });
      say(`Group ${g.id} enrolled as ${r.person}: ${plural(r.templatesAdded, 'face', 'faces')} added.`, 'ok');
      await hooks.after();
    } catch (e) {
      say(`Group ${g.id}: ${errText(e)}`, 'bad');
    } finally {
      save.disabled = false;
    }
  });
  del.addEventListener('click', async () => {
    const what = `group ${g.id} and its ${plural(g.faces, 'face', 'faces')}`;
    if (!confirm(`Delete ${what} from the cluster state? (The gallery is not touched.)`)) return;
    hooks.before();
    try {
      await api('DELETE', `/clusters/${g.id}`);
      say(`Deleted ${what}.`, 'ok');
      await hooks.after();
    } catch (e) {
      say(`Group ${g.id}: ${errText(e)}`, 'bad');
    }
  });
  li.append(faces, info, form);
  return li;
}

/** Lists the unnamed groups; `withHooks` tells what to do around an action (app.js clears and reloads). */
export async function loadClusters(withHooks) {
  if (withHooks) hooks = withHooks;
  const list = $('clusters-list');
  let data;
  try {
    data = await api('GET', '/clusters?unnamed=true&match=true&sample=8');
  } catch (e) {
    list.replaceChildren();
    $('clusters-summary').textContent = errText(e);
    return;
  }
  const items = await Promise.all(data.groups.map(groupItem));
  list.replaceChildren(...items);
  $('clusters-summary').textContent =
    `${plural(data.groups.length, 'unnamed group', 'unnamed groups')}, ` +
    `${plural(data.unclustered, 'face', 'faces')} on their own`;
}

$('clusters-refresh').addEventListener('click', () => loadClusters());
