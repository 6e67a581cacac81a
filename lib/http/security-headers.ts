/**
 * Headers every answer carries, whatever it is (JSON, an error, a media file, the event stream):
 *
 * - `X-Content-Type-Options: nosniff`, so a browser never runs an answer as something other than its type (a
 *   JSON error echoing input, or an uploaded file, as HTML or script).
 * - `Referrer-Policy: no-referrer` rather than strict-origin-when-cross-origin: URLs of this API can carry a
 *   token (`/api/stream?access_token=`), and a web client's pages name users and posts; media are fetched from
 *   other origins (a CDN, S3), which have no use for even our origin.
 * - A strict `Content-Security-Policy` for the web client to be served at `/`: everything from this origin only,
 *   images and videos also from `blob:`/`data:` (previews before an upload) and from the media origins (the S3
 *   endpoint or CDN, which presigned uploads are also sent to), no plugins, no framing, no foreign `<base>` or
 *   form targets. On JSON it changes nothing; it is there so no answer is ever without it.
 */
export function securityHeaders(options: { mediaOrigins?: readonly string[] } = {}): Record<string, string> {
  const media = [...new Set(options.mediaOrigins ?? [])].join(" ");
  const withMedia = (sources: string) => (media === "" ? sources : `${sources} ${media}`);
  const policy = [
    "default-src 'self'",
    `img-src ${withMedia("'self' blob: data:")}`,
    `media-src ${withMedia("'self' blob:")}`,
    `connect-src ${withMedia("'self'")}`,
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
  ];
  return {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": policy.join("; "),
  };
}

/** `Content-Disposition` of a stored file: only pictures and videos are shown in place, anything else is saved. */
export function dispositionFor(contentType: string): "inline" | "attachment" {
  const type = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  // SVG is an image that can carry script: shown in place from our origin it would run as a page of ours.
  if (type === "image/svg+xml") return "attachment";
  return /^(image|video)\/[a-z0-9.+-]+$/.test(type) ? "inline" : "attachment";
}
