/** The SSRF guard of video URLs: schemes, and the addresses a name resolves to. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FaceError } from '../../src/errors.js';
import { checkVideoUrl, isPrivateAddress } from '../../src/server/videos/url-guard.js';

test('loopback, private, link-local, CGNAT, multicast and unspecified addresses are not public', () => {
  for (const a of [
    '127.0.0.1',
    '127.8.9.10',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    'fc12::3',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    'nonsense',
  ])
    assert.equal(isPrivateAddress(a), true, a);
  for (const a of ['8.8.8.8', '172.32.0.1', '192.169.0.1', '100.128.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8'])
    assert.equal(isPrivateAddress(a), false, a);
});

test('checkVideoUrl: schemes, private hosts by name, passwords masked, the operator may allow private', async () => {
  const resolve = async (host: string) =>
    ({
      'cam.example': ['93.184.216.34'],
      'inside.example': ['93.184.216.34', '10.0.0.5'],
      'meta.example': ['169.254.169.254'],
    })[host] ?? [];
  const code = async (url: string, allowPrivate = false) => {
    try {
      await checkVideoUrl(url, { resolve, allowPrivate });
      return 'ok';
    } catch (e) {
      assert.ok(e instanceof FaceError);
      return `${e.code}${e.details?.reason ? `:${e.details.reason}` : ''}`;
    }
  };
  assert.equal(await code('https://cam.example/live.m3u8'), 'ok');
  assert.equal(await code('rtsp://cam.example:554/stream1'), 'ok');
  assert.equal(await code('http://inside.example/x.mp4'), 'URL_NOT_ALLOWED:private-address', 'any private address');
  assert.equal(await code('http://meta.example/'), 'URL_NOT_ALLOWED:private-address');
  assert.equal(await code('http://unknown.example/'), 'URL_NOT_ALLOWED:private-address', 'no address at all');
  assert.equal(await code('http://[::1]:8080/'), 'URL_NOT_ALLOWED:private-address');
  assert.equal(await code('http://2130706433/'), 'URL_NOT_ALLOWED:private-address', '127.0.0.1 as a number');
  assert.equal(await code('file:///etc/passwd'), 'URL_NOT_ALLOWED:scheme');
  assert.equal(await code('udp://0.0.0.0:1234'), 'URL_NOT_ALLOWED:scheme');
  assert.equal(await code('concat:a.mp4|b.mp4'), 'URL_NOT_ALLOWED:scheme');
  assert.equal(await code('not a url'), 'INVALID_INPUT');
  assert.equal(await code('http://10.0.0.8/cam.mjpg', true), 'ok', 'allowed by the operator');
  assert.equal(await code('file:///etc/passwd', true), 'URL_NOT_ALLOWED:scheme', 'schemes stay closed');
  try {
    await checkVideoUrl('http://user:s3cret@inside.example/x.mp4', { resolve });
    assert.fail('refused');
  } catch (e) {
    assert.ok(!(e as Error).message.includes('s3cret'), 'the password is masked');
  }
});
