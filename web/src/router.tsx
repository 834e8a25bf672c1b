import type { ComponentChildren } from "preact";
import { Store, useStore } from "./store";

/** Where the app is: the path and the query of the address bar (the history API: deep links work, the
 * gateway answers index.html for every path that is not a file or the API). */
export interface Place {
  path: string;
  query: URLSearchParams;
}

function here(): Place {
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

export const place = new Store<Place>(here());
let moved = false;

addEventListener("popstate", () => {
  moved = true;
  place.set(here());
});

/** Whether the app has moved since the page loaded (then a new screen takes the focus). */
export function hasNavigated(): boolean {
  return moved;
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  moved = true;
  if (options.replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  place.set(here());
}

export function usePlace(): Place {
  return useStore(place);
}

type LinkProps = {
  href: string;
  children: ComponentChildren;
  class?: string;
  "aria-current"?: "page";
  onClick?: (event: MouseEvent) => void;
};

/** An ordinary link that the app follows itself (a new tab, a modified click, still work as links do). */
export function Link({ href, children, onClick, ...rest }: LinkProps) {
  return (
    <a
      href={href}
      onClick={(event) => {
        onClick?.(event);
        if (event.defaultPrevented || event.button !== 0) return;
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        navigate(href);
      }}
      {...rest}
    >
      {children}
    </a>
  );
}
