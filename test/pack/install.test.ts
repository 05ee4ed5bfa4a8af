import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { installPackFiles } from '../../src/pack/install.js';
import { packStatus } from '../../src/pack/files.js';
import { resolvePack } from '../../src/pack/router.js';
import { MODEL_FILES } from '../../src/pack/packs.js';
import { FaceError } from '../../src/errors.js';
import { MODELS_DIR, needModel } from '../helpers/datasets.js';

/** A static file server on 127.0.0.1 over `root`, with `override` bytes for some paths; records the paths asked for. */
async function serve(
  root: string,
  override: Record<string, Uint8Array> = {},
): Promise<{ url: string; server: Server; asked: string[] }> {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/models\//, '');
    asked.push(rel);
    const body =
      override[rel] ??
      (existsSync(path.join(root, rel)) && !rel.includes('..') ? readFileSync(path.join(root, rel)) : undefined);
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/`, server, asked };
}

const skip = needModel(path.join(MODELS_DIR, MODEL_FILES.edgefaceXs.path));

test('packs add URL: downloads from a 127.0.0.1 server, checks every sha256, installs the pack', { skip }, async () => {
  const dest = mkdtempSync(path.join(os.tmpdir(), 'facenet-install-'));
  const { url, server, asked } = await serve(MODELS_DIR);
  try {
    const r = await installPackFiles(url, { models: dest, packs: ['edgeface-xs'] });
    assert.deepEqual([...r.installed].sort(), [MODEL_FILES.edgefaceXs.path, MODEL_FILES.scrfd25g.path].sort());
    assert.deepEqual(r.packs, [{ name: 'edgeface-xs', complete: true }]);
    assert.ok((await packStatus(resolvePack('edgeface-xs'), dest)).every((s) => s.state === 'verified'));
    // a second run finds them in place and downloads nothing
    const before = asked.length;
    const again = await installPackFiles(url, { models: dest, packs: ['edgeface-xs'] });
    assert.equal(again.installed.length, 0);
    assert.equal(again.present.length, 2);
    assert.equal(asked.length, before);
    // YuNet ships in the package: present without a download, never written to the models folder
    const yunet = await installPackFiles(url, { models: dest, packs: ['edgeface-xs-yunet'] });
    assert.deepEqual(
      [yunet.installed, [...yunet.present].sort()],
      [[], [MODEL_FILES.edgefaceXs.path, MODEL_FILES.yunet.path].sort()],
    );
    assert.equal(asked.length, before);
    assert.ok(!existsSync(path.join(dest, MODEL_FILES.yunet.path)));
  } finally {
    server.close();
  }
});

test('packs add URL: a file whose sha256 differs is refused and nothing is written', { skip }, async () => {
  const dest = mkdtempSync(path.join(os.tmpdir(), 'facenet-install-'));
  const tampered = new Uint8Array(readFileSync(path.join(MODELS_DIR, MODEL_FILES.edgefaceXs.path)));
  tampered[1000] ^= 0xff;
  const { url, server } = await serve(MODELS_DIR, { [MODEL_FILES.edgefaceXs.path]: tampered });
  try {
    await assert.rejects(installPackFiles(url, { models: dest, packs: ['edgeface-xs'] }), (e: unknown) => {
      assert.ok(e instanceof FaceError);
      assert.equal(e.code, 'MODEL_CHECKSUM');
      assert.match(e.message, /Nothing was installed/);
      return true;
    });
    assert.ok(!existsSync(path.join(dest, MODEL_FILES.edgefaceXs.path)));
    assert.ok(!existsSync(path.join(dest, MODEL_FILES.scrfd25g.path)), 'the good file is not written either');
    // a file larger than its pin is cut off while downloading
    const { url: url2, server: big } = await serve(MODELS_DIR, {
      [MODEL_FILES.scrfd25g.path]: new Uint8Array(MODEL_FILES.scrfd25g.bytes + 10),
    });
    try {
      await assert.rejects(
        installPackFiles(url2, { models: dest, packs: ['edgeface-xs'] }),
        (e: unknown) => e instanceof FaceError && e.code === 'MODEL_CHECKSUM',
      );
    } finally {
      big.close();
    }
  } finally {
    server.close();
  }
});

test(
  'packs add DIR: copies from a folder of bare file names; a source without the files is an error',
  { skip },
  async () => {
    const src = mkdtempSync(path.join(os.tmpdir(), 'facenet-src-'));
    writeFileSync(path.join(src, 'scrfd_2.5g.onnx'), readFileSync(path.join(MODELS_DIR, MODEL_FILES.scrfd25g.path)));
    writeFileSync(
      path.join(src, 'edgeface_xs_q_fp32.onnx'),
      readFileSync(path.join(MODELS_DIR, MODEL_FILES.edgefaceXs.path)),
    );
    const dest = path.join(mkdtempSync(path.join(os.tmpdir(), 'facenet-install-')), 'models');
    const r = await installPackFiles(src, { models: dest, packs: ['edgeface-xs'] });
    assert.deepEqual([...r.installed].sort(), [MODEL_FILES.edgefaceXs.path, MODEL_FILES.scrfd25g.path].sort());
    assert.deepEqual(r.packs, [{ name: 'edgeface-xs', complete: true }]);
    const empty = mkdtempSync(path.join(os.tmpdir(), 'facenet-empty-'));
    mkdirSync(path.join(empty, 'x'));
    await assert.rejects(
      installPackFiles(empty, { models: path.join(empty, 'models'), packs: ['edgeface-xs'] }),
      (e: unknown) => e instanceof FaceError && e.code === 'INVALID_INPUT',
    );
    await assert.rejects(
      installPackFiles(src, { models: dest, packs: ['no-such-pack'] }),
      (e: unknown) => e instanceof FaceError && e.code === 'INVALID_INPUT',
    );
  },
);
