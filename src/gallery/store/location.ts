/**
 * What a gallery location string is, and how to print it. No imports, so that every store (and the key store) can
 * use it without loading another store's driver.
 */

/** A `postgres://` or `postgresql://` URL; anything else is a SQLite file path (`:memory:` included). */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** A location fit to print: the password of a URL replaced by ***. */
export function maskPassword(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/?#]*:)[^@/?#]*@/i, '$1***@').replace(/([?&]password=)[^&#]*/gi, '$1***');
}
