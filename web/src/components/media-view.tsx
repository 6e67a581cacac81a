import { decode } from "blurhash";
import { useEffect, useRef } from "preact/hooks";
import type { MediaView as Media } from "../api/types";
import "../styles/media.css";

const IMAGE_VARIANTS = ["thumb", "small", "large"] as const;

/**
 * A photo or a video as the API describes it: images from their variants by `srcset` (the browser picks the
 * smallest that fills the box) over their blurhash, videos as the MP4 variant with its poster; a media still
 * processing, or failed, says so.
 */
export function MediaView(props: {
  media: Media;
  /** What the picture shows, for screen readers. */
  alt: string;
  /** The `sizes` attribute: how wide the box is on screen. */
  sizes?: string;
  /** Show only the smallest variant, square (grids). */
  thumb?: boolean;
}) {
  const { media } = props;
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    if (media.width && media.height && !props.thumb)
      el.style.setProperty("aspect-ratio", `${media.width} / ${media.height}`);
    if (media.blurhash) {
      const placeholder = blurhashUrl(media.blurhash);
      if (placeholder) el.style.setProperty("background-image", `url(${placeholder})`);
    }
  }, [media.id, media.blurhash, media.width, media.height, props.thumb]);

  const classes = `media ${props.thumb ? "media-thumb" : ""}`;
  if (media.status !== "ready") {
    const failed = media.status === "failed";
    return (
      <div
        ref={box}
        class={`${classes} media-pending`}
        role="img"
        aria-label={`${props.alt} (${failed ? "could not be processed" : "still processing"})`}
      >
        <span>{failed ? "This media could not be processed" : "Processing…"}</span>
      </div>
    );
  }
  const variants = media.variants;
  if (media.type === "video") {
    const mp4 = variants.mp4;
    const poster = variants.poster;
    if (props.thumb) {
      return (
        <div ref={box} class={classes}>
          {poster && <img src={poster.url} alt={`${props.alt} (video)`} loading="lazy" decoding="async" />}
          <span class="media-badge" aria-hidden="true">
            ▶
          </span>
        </div>
      );
    }
    return (
      <div ref={box} class={classes}>
        <video controls playsInline preload="metadata" poster={poster?.url} aria-label={props.alt}>
          {mp4 && <source src={mp4.url} type={mp4.contentType} />}
        </video>
      </div>
    );
  }
  const present = IMAGE_VARIANTS.map((name) => variants[name]).filter((v) => v !== undefined);
  const smallest = present[0];
  const srcset = present.map((v) => `${v.url} ${v.width}w`).join(", ");
  return (
    <div ref={box} class={classes}>
      {smallest && (
        <img
          src={props.thumb ? smallest.url : (variants.small ?? smallest).url}
          srcset={props.thumb ? undefined : srcset}
          sizes={props.thumb ? undefined : (props.sizes ?? "(max-width: 640px) 100vw, 600px")}
          width={props.thumb ? undefined : (media.width ?? undefined)}
          height={props.thumb ? undefined : (media.height ?? undefined)}
          alt={props.alt}
          loading="lazy"
          decoding="async"
        />
      )}
    </div>
  );
}

const placeholders = new Map<string, string>();

/** A blurhash drawn small into a data URL (kept per hash: a feed shows the same picture many times). */
function blurhashUrl(hash: string): string | undefined {
  const known = placeholders.get(hash);
  if (known) return known;
  try {
    const size = 24;
    const pixels = decode(hash, size, size);
    const canvas = document.createElement("canvas");
    canvas.width = size;
    canvas.height = size;
    const ctx = canvas.getContext("2d");
    if (!ctx) return undefined;
    const image = ctx.createImageData(size, size);
    image.data.set(pixels);
    ctx.putImageData(image, 0, 0);
    const url = canvas.toDataURL();
    if (placeholders.size > 500) placeholders.clear();
    placeholders.set(hash, url);
    return url;
  } catch {
    return undefined;
  }
}
