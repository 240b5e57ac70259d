/** How a sha256 digest (an image's, a base's id, a content hash) is shortened, the same everywhere. */

/** Its first 12 hex digits: what an immutable image tag carries (`<version>-<hex12>`). */
export const digestHex12 = (digest: string) => digest.replace(/^sha256:/, "").slice(0, 12);

/** `sha256:0123456789ab`: short enough for a table or a log line; JSON keeps the whole digest. */
export const shortDigest = (digest: string) => `sha256:${digestHex12(digest)}`;
