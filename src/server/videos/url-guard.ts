/**
 * What a video URL may point at. The video core reads any URL ffmpeg can, so a server that takes URLs from clients
 * must not become a way into its own network (SSRF): only http(s), rtsp(s) and rtmp(s) are taken, and every address
 * the host name resolves to must be public: loopback, private (RFC 1918, unique-local), link-local (cloud metadata
 * at 169.254.169.254), carrier-grade NAT, multicast and unspecified addresses are refused unless the operator
 * allows private addresses (`facenet serve --allow-private-urls`). Userinfo in the URL is allowed but masked in
 * everything the server stores and shows.
 *
 * Known limit: ffmpeg resolves the name again and follows HTTP redirects and HLS playlist entries itself, so a host
 * that answers differently the second time, or redirects to an internal address, is not caught here.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { FaceError } from '../../errors.js';
import { maskPassword } from '../../gallery/store/location.js';

export const ALLOWED_SCHEMES = ['http:', 'https:', 'rtsp:', 'rtsps:', 'rtmp:', 'rtmps:'];

const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const)
  blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  blocked.addSubnet(net, bits, 'ipv6');

/** Whether an address is loopback, private, link-local or otherwise not a public host. */
export function isPrivateAddress(address: string): boolean {
  const v = isIP(address);
  if (v === 4) return blocked.check(address, 'ipv4');
  if (v !== 6) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1], 'ipv4');
  return blocked.check(address, 'ipv6');
}

export type Resolver = (host: string) => Promise<string[]>;
const dnsResolver: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Check a client's video URL: URL_NOT_ALLOWED for another scheme or a non-public address, INVALID_INPUT for a URL
 * that does not parse, VIDEO_NOT_FOUND for a host that does not resolve. Returns the URL as given.
 */
export async function checkVideoUrl(
  raw: string,
  opts: { allowPrivate?: boolean; resolve?: Resolver } = {},
): Promise<string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FaceError('INVALID_INPUT', 'url is not a valid absolute URL');
  }
  const shown = maskPassword(raw);
  if (!ALLOWED_SCHEMES.includes(url.protocol))
    throw new FaceError(
      'URL_NOT_ALLOWED',
      `${url.protocol.replace(/:$/, '')} URLs are not taken: use ${ALLOWED_SCHEMES.map((s) => s.slice(0, -1)).join(', ')}`,
      { url: shown, reason: 'scheme' },
    );
  if (opts.allowPrivate) return raw;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await (opts.resolve ?? dnsResolver)(host);
  } catch {
    throw new FaceError('VIDEO_NOT_FOUND', `cannot resolve the host of ${shown}`, { url: shown });
  }
  const inner = addresses.find(isPrivateAddress);
  if (inner !== undefined || !addresses.length)
    throw new FaceError(
      'URL_NOT_ALLOWED',
      `${shown} points at a loopback, private or link-local address (${inner ?? 'none'}): ` +
        'not allowed unless the server runs with --allow-private-urls',
      { url: shown, reason: 'private-address' },
    );
  return raw;
}
