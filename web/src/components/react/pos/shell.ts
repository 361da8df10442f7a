// What the till's screens share: who is signed in, which screen is open and what it opens with,
// the branch's menu kept fresh, and money in the page's language.
import { useCallback, useEffect, useRef, useState } from 'react';
import { get, set } from 'idb-keyval';
import { api, type Menu, type TokenStore } from '../../../lib/api';
import { withStock } from '../../../lib/till';
import { followLive } from '../../../stores/sse';
import type { SousEvent } from '../../../lib/sse';
import { formatPrice, type Lang } from '../../../i18n';

export interface Staff {
  id: string;
  role: string;
  name: string;
}

export type View = 'floor' | 'order' | 'orders' | 'drawer' | 'clock';

/** What the new-order screen starts with: a table of the floor plan, or a counter order. */
export interface Opening {
  kind: 'dine_in' | 'takeaway' | 'pickup' | 'delivery';
  table?: string;
  guests?: number;
}

export type OpenView = (view: View, opening?: Opening) => void;

/** How often the menu is read again for items sold out or back (the server caches it for
 *  half a second, so this costs the database nothing). */
const MENU_REFRESH_MS = 15_000;

/** The branch's menu, read again when an item is sold out or back, every few seconds and when
 *  the page comes back into view. The
 *  last one read is kept on the till, so a till that cannot reach the server still has it. */
export function useMenu(branchId: string): { menu: Menu | null; error: unknown } {
  const [menu, setMenu] = useState<Menu | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = useRef<() => void>(() => {});
  // An item sold out or back at the branch: greyed (or not) at once from the event.
  useBranchEvents(
    useCallback((e?: SousEvent) => {
      if (!e?.type.startsWith('menu.')) return;
      const { itemId, soldOut } = e.payload ?? {};
      if (typeof itemId === 'string' && typeof soldOut === 'boolean') setMenu((m) => (m ? withStock(m, itemId, soldOut) : m));
      // The menu as rebuilt for the change confirms it a moment later.
      setTimeout(() => reload.current(), 2000);
    }, []),
  );
  useEffect(() => {
    let live = true;
    const key = `sous:pos:menu:${branchId}`;
    const load = () =>
      api<Menu>(`/api/branches/${branchId}/menu`).then(
        (m) => {
          if (!live) return;
          setMenu(m);
          setError(null);
          set(key, m).catch(() => {});
        },
        async (e) => {
          const kept = await get<Menu>(key).catch(() => undefined);
          if (!live) return;
          if (kept) setMenu((current) => current ?? kept);
          else setError(e);
        },
      );
    get<Menu>(key).then((kept) => live && kept && setMenu((current) => current ?? kept), () => {});
    reload.current = () => void load();
    load();
    const id = setInterval(load, MENU_REFRESH_MS);
    const onVisible = () => document.visibilityState === 'visible' && load();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      live = false;
      clearInterval(id);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [branchId]);
  return { menu, error };
}

export function money(lang: Lang, currency: string) {
  return (minor: number) => formatPrice(lang, currency, minor);
}

/** Whether the browser thinks it has a network (offline is certain; online is a hope, which
 *  the outbox tests by sending). */
export function useOnline(): boolean {
  const [online, setOnline] = useState(() => typeof navigator === 'undefined' || navigator.onLine);
  useEffect(() => {
    const on = () => setOnline(true);
    const off = () => setOnline(false);
    window.addEventListener('online', on);
    window.addEventListener('offline', off);
    return () => {
      window.removeEventListener('online', on);
      window.removeEventListener('offline', off);
    };
  }, []);
  return online;
}

// The till follows its branch's order events once (one stream, whose state the bar shows) and
// hands them to whichever screens are open.
const bus = new EventTarget();

/** Follows the branch's `orders` channel for every screen of the till; answers the stop. */
export function followBranch(branchId: string, tokens: TokenStore): () => void {
  const emit = (event?: SousEvent) => bus.dispatchEvent(new CustomEvent('change', { detail: event }));
  return followLive({ channel: 'orders', params: { branchId }, tokens, onEvent: emit, onReset: () => emit() });
}

/** Calls `onChange` on every order event of the branch (and when the stream had to start over). */
export function useBranchEvents(onChange: (event?: SousEvent) => void) {
  useEffect(() => {
    const listener = (e: Event) => onChange((e as CustomEvent<SousEvent | undefined>).detail);
    bus.addEventListener('change', listener);
    return () => bus.removeEventListener('change', listener);
  }, [onChange]);
}
