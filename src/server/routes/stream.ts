/** The WebSocket /v1/stream: live frames from a camera in, boxes and names out (see ../videos/live.ts). */
import type { FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import type { ServerContext } from '../context.js';
import type { VideoService } from '../videos/service.js';
import { serveLiveStream } from '../videos/live.js';

export function streamRoutes(ctx: ServerContext, video: VideoService) {
  return async (v1: FastifyInstance): Promise<void> => {
    // a frame over the limit closes the socket with 1009 (ws enforces maxPayload before buffering it)
    await v1.register(websocket, { options: { maxPayload: video.limits.maxFrameBytes + 1024 } });
    v1.get(
      '/stream',
      {
        websocket: true,
        // the key comes in the first message (browsers cannot set WebSocket headers)
        config: { role: 'public' },
        schema: { tags: ['videos'], summary: 'WebSocket: JPEG frames in, boxes and names out (docs/video.md)' },
      },
      (socket) => serveLiveStream(socket, ctx, video),
    );
  };
}
