// The page's one API client, shared by app.js and clusters.js: the stored key, typed errors from /v1.
export const $ = (id) => document.getElementById(id);
export const KEY = 'facenet.apiKey';
/** Whether the server asks for keys (from /v1/health); without auth no key is sent. */
export const auth = { on: true };

function headers() {
  const k = localStorage.getItem(KEY);
  return auth.on && k ? { authorization: `Bearer ${k}` } : {};
}

export async function api(method, path, body) {
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
    e.details = data?.error?.details;
    e.status = res.status;
    console.warn(`facenet API ${method} ${path}: ${res.status} ${e.code ?? ''} ${e.message}`);
    throw e;
  }
  return data;
}
