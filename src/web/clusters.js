// "Unnamed people": the groups `facenet cluster` found (served with `facenet serve --clusters FILE`).
// Name a group to enroll it, or delete it. Separate from app.js; both talk to the API through api.js.
import { $, api } from './api.js';

const errText = (e) => `${e.code ? `[${e.code}] ` : ''}${e.message}`;

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
    `group ${g.id} · ${g.faces} faces` +
    (g.match ? ` · looks like ${g.match.person} (${g.match.faces}/${g.match.of})` : '');
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
  const out = document.createElement('p');
  out.className = 'result';
  out.setAttribute('role', 'status');
  form.append(name, save, del);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    save.disabled = true;
    try {
      const r = await api('POST', `/clusters/${g.id}/enroll`, { person: name.value });
      out.textContent = `enrolled as ${r.person}: ${r.templatesAdded} faces added`;
      out.className = 'result ok';
      setTimeout(loadClusters, 800);
    } catch (e) {
      out.textContent = errText(e);
      out.className = 'result bad';
    } finally {
      save.disabled = false;
    }
  });
  del.addEventListener('click', async () => {
    if (!confirm(`Delete group ${g.id} and its ${g.faces} faces from the cluster state? (The gallery is not touched.)`))
      return;
    try {
      await api('DELETE', `/clusters/${g.id}`);
      li.remove();
    } catch (e) {
      out.textContent = errText(e);
      out.className = 'result bad';
    }
  });
  li.append(faces, info, form, out);
  return li;
}

export async function loadClusters() {
  const section = $('clusters-section');
  let data;
  try {
    data = await api('GET', '/clusters?unnamed=true&match=true&sample=8');
  } catch {
    // 404: this server has no cluster state; 401: no key yet (app.js asks for one)
    section.hidden = true;
    return;
  }
  section.hidden = false;
  const list = $('clusters-list');
  list.replaceChildren();
  $('clusters-summary').textContent = `${data.groups.length} unnamed groups, ${data.unclustered} faces on their own`;
  for (const g of data.groups) list.append(await groupItem(g));
}

$('clusters-refresh').addEventListener('click', loadClusters);
loadClusters();
