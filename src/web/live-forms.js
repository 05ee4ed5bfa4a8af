// Enroll and verify after a liveness check (challenge.js): the camera's photo at the end of the check is the one sent,
// with the token the check earned (livenessToken), so the server knows the face was live and is the one that answered.
import { $, api } from './api.js';
import { errText, fmt, plural } from './words.js';
import { livenessCheck } from './challenge.js';

function form(fields, photo) {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  f.append('image', photo, 'camera.jpg');
  return f;
}

/** Wires the two buttons; `page` gives the page's own helpers (results, refresh). */
export function installLiveForms(page) {
  const { show, clearResults, loadAll } = page;
  const busy = (on) => {
    for (const id of ['enroll-live', 'verify-live']) $(id).disabled = on;
  };

  $('enroll-live').addEventListener('click', async () => {
    const out = $('enroll-result');
    const name = $('enroll-name').value.trim();
    clearResults('enroll-result');
    if (!name) return show(out, 'Type the name of the person first.', 'bad');
    busy(true);
    try {
      const live = await livenessCheck('enrolling');
      if (!live) return show(out, 'Not enrolled: the liveness check did not pass.', 'bad');
      show(out, 'enrolling…');
      const fields = { name, livenessToken: live.token };
      let r;
      try {
        r = await api('POST', '/people', form(fields, live.photo));
      } catch (e) {
        // the name is checked before the token is spent: the same token adds the photo to them
        if (e.code !== 'PERSON_EXISTS') throw e;
        r = await api('POST', `/people/${encodeURIComponent(name)}/faces`, form(fields, live.photo));
      }
      show(
        out,
        `${r.created ? 'Enrolled' : 'Added a photo to'} ${r.person.name} after a liveness check ` +
          `(${plural(r.templates, 'photo', 'photos')})`,
        'ok',
      );
      loadAll();
    } catch (e) {
      show(out, errText(e), 'bad');
    } finally {
      busy(false);
    }
  });

  $('verify-live').addEventListener('click', async () => {
    const out = $('verify-result');
    const name = $('verify-name').value.trim();
    clearResults('verify-result');
    if (!name) return show(out, 'Type the claimed name first.', 'bad');
    busy(true);
    try {
      const live = await livenessCheck('verifying');
      if (!live) return show(out, 'Not verified: the liveness check did not pass.', 'bad');
      show(out, 'verifying…');
      const r = await api('POST', '/verify', form({ name, livenessToken: live.token }, live.photo));
      show(
        out,
        r.match
          ? `This is ${r.person}, live at the camera: distance ${fmt(r.distance)}, below the threshold ` +
              `${fmt(r.threshold)}.`
          : `Not ${r.person}: the face at the camera does not match ${r.person} ` +
              `(distance ${fmt(r.distance)}, at or above the threshold ${fmt(r.threshold)}).`,
        r.match ? 'ok' : 'bad',
      );
    } catch (e) {
      show(out, errText(e), 'bad');
    } finally {
      busy(false);
    }
  });
}
