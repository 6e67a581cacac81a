import type { ComponentChildren } from "preact";
import { Link } from "../router";

/*
 * The server's own rules (lib/posts/caption.ts), so a caption links exactly the tags and mentions the server
 * recorded: `#` or `@` at the start or after a character that cannot be part of a word.
 */
const TOKEN =
  /(^|[^\p{L}\p{N}_&/])#([\p{L}\p{N}_]{1,100})|(^|[^\p{L}\p{N}_.@/])@([A-Za-z0-9._]{3,30})(?![A-Za-z0-9_])/gu;

/**
 * A caption or comment as text, its #tags linked to their tag page and its @mentions to the profile. Built as
 * nodes, never as HTML: what people write is never markup.
 */
export function CaptionText(props: { text: string; mentions?: readonly string[] }) {
  const { text } = props;
  const mentions = props.mentions && new Set(props.mentions.map((m) => m.toLowerCase()));
  const parts: ComponentChildren[] = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    const prefix = match[1] ?? match[3] ?? "";
    const start = match.index + prefix.length;
    const tag = match[2];
    // The server drops trailing dots from a mention ("@bob." mentions bob).
    const name = match[4]?.replace(/\.+$/, "");
    let link: ComponentChildren = null;
    let end = start;
    if (tag !== undefined && !/^\p{N}+$/u.test(tag)) {
      end = start + 1 + tag.length;
      link = (
        <Link key={start} href={`/tags/${encodeURIComponent(tag.toLowerCase())}`} class="caption-link">
          #{tag}
        </Link>
      );
    } else if (name !== undefined && name.length >= 3 && (!mentions || mentions.has(name.toLowerCase()))) {
      end = start + 1 + name.length;
      link = (
        <Link key={start} href={`/u/${encodeURIComponent(name.toLowerCase())}`} class="caption-link">
          @{name}
        </Link>
      );
    }
    if (link === null) continue;
    if (start > last) parts.push(text.slice(last, start));
    parts.push(link);
    last = end;
  }
  if (last < text.length) parts.push(text.slice(last));
  return <span class="caption-text">{parts}</span>;
}
