import { signal } from "@preact/signals";
import type { ComponentChildren, JSX } from "preact";

/** The current path (no query), kept in step with the History API. */
export const currentPath = signal(location.pathname);
/** The current query string's parameters. */
export const currentQuery = signal(new URLSearchParams(location.search));

addEventListener("popstate", () => {
  currentPath.value = location.pathname;
  currentQuery.value = new URLSearchParams(location.search);
});

/** Goes to `to` (a path with an optional query) without reloading the page. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = new URL(to, location.origin);
  if (url.pathname + url.search === location.pathname + location.search) return;
  if (options.replace) history.replaceState(null, "", url.pathname + url.search);
  else history.pushState(null, "", url.pathname + url.search);
  currentPath.value = url.pathname;
  currentQuery.value = new URLSearchParams(url.search);
  window.scrollTo(0, 0);
}

/** A route pattern such as `/u/:username/followers`, matched against a path; the values decoded. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/").filter(Boolean);
  const have = path.split("/").filter(Boolean);
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const h = have[i] as string;
    if (w.startsWith(":")) {
      try {
        params[w.slice(1)] = decodeURIComponent(h);
      } catch {
        return null;
      }
    } else if (w !== h) return null;
  }
  return params;
}

/** An in-app link: a real `<a href>` (open in a new tab works) that navigates without a reload on a plain click. */
export function Link(
  props: { href: string; children: ComponentChildren } & Omit<JSX.HTMLAttributes<HTMLAnchorElement>, "href">,
) {
  const { href, children, ...rest } = props;
  return (
    <a
      {...rest}
      href={href}
      onClick={(event) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}
