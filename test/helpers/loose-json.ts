/**
 * JSON a test reads back (a command's stdout, an HTTP body). Loose on purpose: each test walks the shape it expects,
 * and its assertions fail on any other.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed output of many commands and routes
export type LooseJson = any;
