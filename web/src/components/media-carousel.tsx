import { useEffect, useRef, useState } from "preact/hooks";
import type { MediaView as Media } from "../api/types";
import { ChevronIcon } from "./icons";
import { MediaView } from "./media-view";
import "../styles/media-carousel.css";

/** Instagram keeps a post's box at its first media's shape, between 4:5 (tall) and 1.91:1 (wide). */
function ratioOf(media: Media | undefined): number {
  if (!media?.width || !media.height) return 1;
  return Math.min(1.91, Math.max(0.8, media.width / media.height));
}

/** The post's 1–10 media, one at a time, with previous/next buttons, "n of N", and swiping on touch screens. */
export function MediaCarousel(props: {
  media: Media[];
  username: string;
  large?: boolean;
  onDoubleClick: () => void;
}) {
  const { media } = props;
  const [index, setIndex] = useState(0);
  const box = useRef<HTMLDivElement>(null);
  const prev = useRef<HTMLButtonElement>(null);
  const next = useRef<HTMLButtonElement>(null);
  const touchX = useRef<number | null>(null);
  const count = media.length;
  const at = Math.min(index, Math.max(0, count - 1));
  const item = media[at];

  useEffect(() => {
    box.current?.style.setProperty("--post-ratio", String(ratioOf(media[0])));
  }, [media]);

  // A button that becomes disabled at either end would drop the focus: it goes to the other one, once rendered.
  const refocus = useRef<HTMLButtonElement | null>(null);
  useEffect(() => {
    refocus.current?.focus();
    refocus.current = null;
  }, [at]);

  const go = (to: number) => {
    const target = Math.max(0, Math.min(count - 1, to));
    setIndex(target);
    if (target === 0) refocus.current = next.current;
    else if (target === count - 1) refocus.current = prev.current;
  };
  const kind = (m: Media | undefined) => (m?.type === "video" ? "video" : "photo");
  // The author's own description first (alt text); else what the item is and whose.
  const altOf = (i: number) =>
    media[i]?.altText ??
    (count > 1
      ? `${kind(media[i]) === "video" ? "Video" : "Photo"} ${i + 1} of ${count} by ${props.username}`
      : `${kind(media[i]) === "video" ? "Video" : "Photo"} by ${props.username}`);

  if (!item) return null;
  return (
    <div
      class="post-media"
      ref={box}
      role={count > 1 ? "group" : undefined}
      aria-roledescription={count > 1 ? "carousel" : undefined}
      aria-label={count > 1 ? `${count} photos or videos` : undefined}
      onDblClick={props.onDoubleClick}
      onPointerDown={(event) => {
        if (event.pointerType !== "mouse") touchX.current = event.clientX;
      }}
      onPointerUp={(event) => {
        const start = touchX.current;
        touchX.current = null;
        if (start === null || count < 2) return;
        const dx = event.clientX - start;
        if (Math.abs(dx) > 40) setIndex(Math.max(0, Math.min(count - 1, at + (dx < 0 ? 1 : -1))));
      }}
    >
      <MediaView
        key={item.id}
        media={item}
        alt={altOf(at)}
        sizes={props.large ? "(max-width: 640px) 100vw, 600px" : undefined}
      />
      {count > 1 && (
        <>
          <button
            ref={prev}
            type="button"
            class="carousel-button carousel-prev"
            disabled={at === 0}
            aria-label={`Previous ${kind(media[at - 1])}`}
            onClick={() => go(at - 1)}
          >
            <ChevronIcon left />
          </button>
          <button
            ref={next}
            type="button"
            class="carousel-button carousel-next"
            disabled={at === count - 1}
            aria-label={`Next ${kind(media[at + 1])}`}
            onClick={() => go(at + 1)}
          >
            <ChevronIcon />
          </button>
          <span class="carousel-count" aria-live="polite">
            {at + 1} of {count}
          </span>
          <span class="carousel-dots" aria-hidden="true">
            {media.map((m, i) => (
              <span key={m.id} class={i === at ? "is-on" : ""} />
            ))}
          </span>
        </>
      )}
    </div>
  );
}
